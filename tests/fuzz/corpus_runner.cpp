#include "corpus_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace sudachi::fuzz {

std::vector<Input> read_corpus(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Input> inputs;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return inputs;
}

void mutate_once(Input& input, const std::vector<Input>& seeds,
                 std::span<const std::string_view> tokens, Prng& prng) {
  switch (prng.below(8)) {
    case 0:  // flip a bit
      if (!input.empty()) input[prng.below(input.size())] ^= static_cast<char>(1U << prng.below(8));
      break;
    case 1:  // overwrite a byte
      if (!input.empty()) input[prng.below(input.size())] = static_cast<char>(prng.next());
      break;
    case 2:  // insert a byte
      input.insert(input.begin() + static_cast<std::ptrdiff_t>(prng.below(input.size() + 1)),
                   static_cast<char>(prng.next()));
      break;
    case 3:  // insert a token
      if (!tokens.empty())
        input.insert(prng.below(input.size() + 1), tokens[prng.below(tokens.size())]);
      break;
    case 4:  // delete a range
      if (!input.empty()) {
        const std::size_t at = prng.below(input.size());
        input.erase(at, 1 + prng.below(std::min<std::size_t>(16, input.size() - at)));
      }
      break;
    case 5:  // duplicate a range
      if (!input.empty()) {
        const std::size_t at = prng.below(input.size());
        const std::size_t length = 1 + prng.below(std::min<std::size_t>(64, input.size() - at));
        input.insert(at, input.substr(at, length));
      }
      break;
    case 6: {  // splice in part of another seed
      const Input& other = seeds[prng.below(seeds.size())];
      if (!other.empty()) {
        const std::size_t from = prng.below(other.size());
        input.insert(prng.below(input.size() + 1), other.substr(from, 1 + prng.below(32)));
      }
      break;
    }
    default:  // truncate
      if (!input.empty()) input.resize(prng.below(input.size()));
      break;
  }
}

void run(Target target, const Input& input) {
  target(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

void run_corpus(Target target, const std::filesystem::path& dir,
                std::span<const std::string_view> tokens, std::uint64_t seed, std::size_t mutations,
                std::size_t max_size) {
  const std::vector<Input> seeds = read_corpus(dir);
  ASSERT_GE(seeds.size(), 10U) << "seed corpus missing under " << dir;
  for (const Input& input : seeds) run(target, input);
  run(target, Input());

  Prng prng(seed);
  for (std::size_t i = 0; i < mutations; ++i) {
    Input input = seeds[prng.below(seeds.size())];
    const std::size_t rounds = 1 + prng.below(8);
    for (std::size_t r = 0; r < rounds; ++r) mutate_once(input, seeds, tokens, prng);
    if (input.size() > max_size) input.resize(max_size);
    run(target, input);
  }
}

}  // namespace sudachi::fuzz
