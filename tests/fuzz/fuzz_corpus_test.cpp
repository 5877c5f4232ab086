// Runs the codec fuzz entry points over the checked-in seed corpus and a fixed-seed stream of
// mutations (corpus_runner.hpp), so that every build exercises the invariants the fuzzers check.
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

TEST(FuzzCorpus, EngineIo) {
  run_corpus(&engineio_one_input, corpus("engineio"), kTokens, 0x5eed'0001);
}

TEST(FuzzCorpus, SocketIo) {
  run_corpus(&socketio_one_input, corpus("socketio"), kTokens, 0x5eed'0002);
}

// Steps of the session script (engineio_session_fuzz.cpp: an op byte, an argument, then the
// step's own bytes): a probe opened, answered and promoted; a GET; sends; the clock.
constexpr std::array<std::string_view, 10> kSessionTokens = {
    std::string_view("\x04\x00", 2),     std::string_view("\x01\x00\x00", 3),
    std::string_view("\x01\x00\x01", 3), std::string_view("\x02\x00", 2),
    std::string_view("\x05\x07\x10", 3), std::string_view("\x09\x01", 2),
    std::string_view("\x06\x00", 2),     std::string_view("\x00\x00\x00", 3),
    std::string_view("\x08\x00", 2),     std::string_view("\x0a\x00", 2),
};

// WebSocket frame headers: FIN and opcode, masked lengths in their three forms.
constexpr std::array<std::string_view, 12> kFrameTokens = {
    std::string_view("\x81\x80\x00\x00\x00\x00", 6),
    std::string_view("\x01\x80\x00\x00\x00\x00", 6),
    std::string_view("\x80\x80\x00\x00\x00\x00", 6),
    std::string_view("\x82\xfe\x00\x7e", 4),
    std::string_view("\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00", 10),
    std::string_view("\x89\x80\x00\x00\x00\x00", 6),
    std::string_view("\x8a\x80\x00\x00\x00\x00", 6),
    std::string_view("\x88\x82\x00\x00\x00\x00\x03\xe8", 8),
    std::string_view("\x88\x80\x00\x00\x00\x00", 6),
    "\xf0\x9f\x8e\xae",
    "\xed\xa0\x80",
    std::string_view("\xff\x00", 2),
};

TEST(FuzzCorpus, EngineIoSession) {
  run_corpus(&engineio_session_one_input, corpus("engineio_session"), kSessionTokens, 0x5eed'0003);
}

TEST(FuzzCorpus, WebSocketFrame) {
  run_corpus(&websocket_frame_one_input, corpus("websocket_frame"), kFrameTokens, 0x5eed'0004);
}

// Both decoders see Engine.IO and Socket.IO seeds: each is hostile input for the other.
TEST(FuzzCorpus, CrossFed) {
  for (const Input& input : read_corpus(corpus("socketio"))) run(&engineio_one_input, input);
  for (const Input& input : read_corpus(corpus("engineio"))) run(&socketio_one_input, input);
}

// The two scripted targets read each other's seeds (and the codec seeds) as scripts.
TEST(FuzzCorpus, ScriptsCrossFed) {
  for (const char* name : {"engineio", "engineio_session", "websocket_frame"}) {
    for (const Input& input : read_corpus(corpus(name))) {
      run(&engineio_session_one_input, input);
      run(&websocket_frame_one_input, input);
    }
  }
}

}  // namespace
}  // namespace sudachi::fuzz
