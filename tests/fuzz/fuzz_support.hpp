#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

// Shared by the libFuzzer binaries and the corpus test. A broken invariant aborts: libFuzzer
// then saves the input as a crash reproducer, and the corpus test dies with the input printed.
namespace sudachi::fuzz {

// One iteration of each target; the bodies of the two LLVMFuzzerTestOneInput entry points.
int engineio_one_input(const std::uint8_t* data, std::size_t size);
int socketio_one_input(const std::uint8_t* data, std::size_t size);

[[noreturn]] inline void invariant_failed(const char* target, const char* condition, int line,
                                          const std::uint8_t* data, std::size_t size) {
  std::fprintf(stderr, "%s fuzz invariant failed (line %d): %s\ninput (%zu bytes): \"", target,
               line, condition, size);
  for (std::size_t i = 0; i < size; ++i) {
    const unsigned c = data[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      std::fputc(static_cast<int>(c), stderr);
    } else {
      std::fprintf(stderr, "\\x%02x", c);
    }
  }
  std::fputs("\"\n", stderr);
  std::abort();
}

}  // namespace sudachi::fuzz

// Each target defines kTarget, data and size in scope where this is used.
#define SUDACHI_FUZZ_CHECK(condition)                                               \
  do {                                                                              \
    if (!(condition)) {                                                             \
      ::sudachi::fuzz::invariant_failed(kTarget, #condition, __LINE__, data, size); \
    }                                                                               \
  } while (false)
