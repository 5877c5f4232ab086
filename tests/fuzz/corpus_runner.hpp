#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The part of the corpus tests every fuzz target shares: read a checked-in seed corpus, run the
// target over it, then over a fixed-seed stream of mutations, so that every build (GCC, no
// libFuzzer) exercises the same invariants the fuzzers check. Deterministic: the mutator is a
// hand-rolled PRNG, not <random>'s distributions, whose output differs between standard
// libraries.
namespace sudachi::fuzz {

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

// Every regular file of `dir`, sorted by name (directory order is not stable across machines).
std::vector<Input> read_corpus(const std::filesystem::path& dir);

// One random edit of `input`: bit flip, byte overwrite or insert, a token from `tokens` (bytes
// that move a decoder between its states, which random bytes rarely hit), range delete or
// duplicate, a splice from another seed, truncation.
void mutate_once(Input& input, const std::vector<Input>& seeds,
                 std::span<const std::string_view> tokens, Prng& prng);

// Runs `target` over the corpus in `dir` (at least 10 seeds, asserted), the empty input, then
// `mutations` mutants of at most `max_size` bytes.
void run_corpus(Target target, const std::filesystem::path& dir,
                std::span<const std::string_view> tokens, std::uint64_t seed,
                std::size_t mutations = 20000, std::size_t max_size = 4096);

void run(Target target, const Input& input);

}  // namespace sudachi::fuzz
