#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

// Shared by the libFuzzer binaries and the corpus test. A broken invariant aborts: libFuzzer
// then saves the input as a crash reproducer, and the corpus test dies with the input printed.
namespace sudachi::fuzz {

// One iteration of each target; the bodies of the LLVMFuzzerTestOneInput entry points.
int engineio_one_input(const std::uint8_t* data, std::size_t size);
int socketio_one_input(const std::uint8_t* data, std::size_t size);
int relay_wire_one_input(const std::uint8_t* data, std::size_t size);
int stun_one_input(const std::uint8_t* data, std::size_t size);
int relay_handler_one_input(const std::uint8_t* data, std::size_t size);
int engineio_session_one_input(const std::uint8_t* data, std::size_t size);
int websocket_frame_one_input(const std::uint8_t* data, std::size_t size);

// Reads a fuzz input as a script of bytes, for the targets that drive a state machine through a
// sequence of steps; past its end every read is 0 (and no bytes), which ends their loops.
class Script {
 public:
  Script(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::span<const std::uint8_t> bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    const std::span<const std::uint8_t> out(data_ + at_, n);
    at_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

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
