// Runs the relay's fuzz entry points (wire format, STUN, the datagram handler) over their
// checked-in seed corpora and a fixed-seed stream of mutations in every build, as the codec
// corpus test does for the codecs.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string_view>

#include "corpus_runner.hpp"
#include "fuzz_support.hpp"

namespace sudachi::fuzz {
namespace {

std::filesystem::path corpus(const char* name) {
  return std::filesystem::path(SUDACHI_FUZZ_CORPUS_DIR) / name;
}

// Bytes that steer the parsers: message types, the HELLO magic and version, lengths around the
// limits, STUN's magic cookie, message types and attribute types, a handler script's ops.
constexpr std::array<std::string_view, 22> kTokens = {
    std::string_view("\xc1\x01", 2),         "SDRY",
    std::string_view("\xc2\x01\x0d\x00", 4), std::string_view("\xc6\x02\x05\x00", 4),
    std::string_view("\xc0\x00\x00\x00", 4), std::string_view("\xc3\x00\x00\x00", 4),
    std::string_view("\xc5\x00\x00\x00", 4), std::string_view("\x02\x00", 2),
    std::string_view("\x02\x01", 2),         std::string_view("\x00\x00", 2),
    std::string_view("\xff\xff", 2),         std::string_view("\x21\x12\xa4\x42", 4),
    std::string_view("\x00\x01\x00\x00", 4), std::string_view("\x01\x01", 2),
    std::string_view("\x00\x20\x00\x08", 4), std::string_view("\x80\x28\x00\x04", 4),
    std::string_view("\x80\x22\x00\x01", 4), std::string_view("\x01\x00\x00\x04", 4),
    std::string_view("\x01\x02\x14\x05", 4), std::string_view("\x04\x00\xff", 3),
    std::string_view("\x08\x00\x00", 3),     std::string_view("\x02\x00\x10", 3),
};

TEST(RelayFuzzCorpus, Wire) {
  run_corpus(&relay_wire_one_input, corpus("relay_wire"), kTokens, 0x5eed'0101);
}

TEST(RelayFuzzCorpus, Stun) {
  run_corpus(&stun_one_input, corpus("stun"), kTokens, 0x5eed'0102);
}

TEST(RelayFuzzCorpus, Handler) {
  run_corpus(&relay_handler_one_input, corpus("relay_handler"), kTokens, 0x5eed'0103);
}

// Every corpus is hostile input for every parser.
TEST(RelayFuzzCorpus, CrossFed) {
  for (const char* name : {"relay_wire", "stun", "relay_handler"}) {
    for (const Input& input : read_corpus(corpus(name))) {
      run(&relay_wire_one_input, input);
      run(&stun_one_input, input);
      run(&relay_handler_one_input, input);
    }
  }
}

}  // namespace
}  // namespace sudachi::fuzz
