// Runs the fuzz entry points over the checked-in seed corpus and a fixed-seed stream of
// mutations, so that every build (GCC, no libFuzzer) exercises the same invariants the fuzzers
// check. Deterministic: the mutator is a hand-rolled PRNG, not <random>'s distributions, whose
// output differs between standard libraries.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace sudachi::fuzz {
namespace {

constexpr std::size_t kMutations = 20000;
constexpr std::size_t kMaxInputSize = 4096;

using Input = std::string;
using Target = int (*)(const std::uint8_t*, std::size_t);

// splitmix64: tiny, fast and identical on every platform.
class Prng {
 public:
  explicit Prng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough for mutation choices; `bound` must be non-zero.
  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }

 private:
  std::uint64_t state_;
};

// Tokens that move the decoders between their states; random bytes rarely hit them.
constexpr std::array<std::string_view, 30> kTokens = {
    "\x1e",
    "b",
    "0",
    "2",
    "4",
    "5",
    "6",
    "-",
    "/",
    ",",
    "[",
    "]",
    "{",
    "}",
    "\"",
    ":",
    "\\u0000",
    "\\ud83c\\udfae",
    "18446744073709551615",
    "18446744073709551616",
    "4294967296",
    "1e400",
    "[[[[[[[[",
    "]]]]]]]]",
    "\"connect\"",
    "{\"_placeholder\":true,\"num\":0}",
    "==",
    "AAAA",
    "\xf0\x9f\x8e\xae",
    "\xed\xa0\x80",
};

std::vector<Input> read_corpus(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // directory order is not stable across machines
  std::vector<Input> inputs;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return inputs;
}

void mutate_once(Input& input, const std::vector<Input>& seeds, Prng& prng) {
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
      input.insert(prng.below(input.size() + 1), kTokens[prng.below(kTokens.size())]);
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

void run_corpus(Target target, const char* corpus, std::uint64_t seed) {
  const std::filesystem::path root(SUDACHI_FUZZ_CORPUS_DIR);
  const std::vector<Input> seeds = read_corpus(root / corpus);
  ASSERT_GE(seeds.size(), 10U) << "seed corpus missing under " << (root / corpus);
  for (const Input& input : seeds) run(target, input);
  run(target, Input());

  Prng prng(seed);
  for (std::size_t i = 0; i < kMutations; ++i) {
    Input input = seeds[prng.below(seeds.size())];
    const std::size_t rounds = 1 + prng.below(8);
    for (std::size_t r = 0; r < rounds; ++r) mutate_once(input, seeds, prng);
    if (input.size() > kMaxInputSize) input.resize(kMaxInputSize);
    run(target, input);
  }
}

TEST(FuzzCorpus, EngineIo) {
  run_corpus(&engineio_one_input, "engineio", 0x5eed'0001);
}

TEST(FuzzCorpus, SocketIo) {
  run_corpus(&socketio_one_input, "socketio", 0x5eed'0002);
}

// Both decoders see Engine.IO and Socket.IO seeds: each is hostile input for the other.
TEST(FuzzCorpus, CrossFed) {
  const std::filesystem::path root(SUDACHI_FUZZ_CORPUS_DIR);
  for (const Input& input : read_corpus(root / "socketio")) run(&engineio_one_input, input);
  for (const Input& input : read_corpus(root / "engineio")) run(&socketio_one_input, input);
}

}  // namespace
}  // namespace sudachi::fuzz
