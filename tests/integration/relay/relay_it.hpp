#pragma once

#include <gtest/gtest.h>

#include <string>

#include "peers.hpp"
#include "relay_process.hpp"

namespace sudachi::relay::test {

// Every relay integration test runs once per back end (the parameter, passed as --backend).
class RelayIT : public ::testing::TestWithParam<std::string> {};

// Asserts a handshake's reply status; `reply` (an expression, evaluated once) is an
// optional<wire::HelloReply>.
#define ASSERT_STATUS(reply, expected)                                           \
  do {                                                                           \
    const auto relay_reply_ = (reply);                                           \
    ASSERT_TRUE(relay_reply_.has_value()) << "no reply";                         \
    ASSERT_EQ(wire::to_string(relay_reply_->status), wire::to_string(expected)); \
  } while (0)

}  // namespace sudachi::relay::test
