#include <gtest/gtest.h>

#include <set>

#include "relay/cookie.hpp"

namespace sudachi::relay {
namespace {

Endpoint v4(std::uint8_t last, std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {192, 0, 2, last};
  return e;
}

constexpr std::int64_t kEpoch = AddressCookies::kEpochMs;

TEST(AddressCookies, BoundToSourceAddressPortAndRelayPort) {
  const AddressCookies cookies{AddressCookies::Key{1, 2, 3}};
  const auto c = cookies.make(v4(1, 1000), 3478, 0);
  EXPECT_NE(c, 0u);
  EXPECT_TRUE(cookies.valid(c, v4(1, 1000), 3478, 0));
  EXPECT_FALSE(cookies.valid(c, v4(2, 1000), 3478, 0));  // another IP
  EXPECT_FALSE(cookies.valid(c, v4(1, 1001), 3478, 0));  // another source port
  EXPECT_FALSE(cookies.valid(c, v4(1, 1000), 3479, 0));  // another relay port
  Endpoint v6 = v4(1, 1000);
  v6.family = 6;  // same bytes, other family
  EXPECT_FALSE(cookies.valid(c, v6, 3478, 0));
  EXPECT_FALSE(cookies.valid(0, v4(1, 1000), 3478, 0));
  EXPECT_FALSE(cookies.valid(c ^ 1, v4(1, 1000), 3478, 0));
}

TEST(AddressCookies, LiveForTheCurrentAndThePreviousEpoch) {
  const AddressCookies cookies{AddressCookies::Key{4}};
  const auto made = cookies.make(v4(1, 1000), 3478, kEpoch + 5);
  EXPECT_TRUE(cookies.valid(made, v4(1, 1000), 3478, kEpoch));
  EXPECT_TRUE(cookies.valid(made, v4(1, 1000), 3478, 2 * kEpoch - 1));
  EXPECT_TRUE(cookies.valid(made, v4(1, 1000), 3478, 3 * kEpoch - 1));
  EXPECT_FALSE(cookies.valid(made, v4(1, 1000), 3478, 3 * kEpoch));
  EXPECT_FALSE(cookies.valid(made, v4(1, 1000), 3478, kEpoch - 1));  // not from the future
  EXPECT_NE(cookies.make(v4(1, 1000), 3478, 2 * kEpoch), made);
}

TEST(AddressCookies, KeyedPerProcess) {
  const AddressCookies a, b;  // random keys
  const auto c = a.make(v4(1, 1000), 3478, 0);
  EXPECT_TRUE(a.valid(c, v4(1, 1000), 3478, 0));
  EXPECT_FALSE(b.valid(c, v4(1, 1000), 3478, 0));
  // Deterministic for one key, and spread over sources.
  const AddressCookies fixed{AddressCookies::Key{5}};
  std::set<std::uint64_t> seen;
  for (std::uint16_t port = 1; port <= 1000; ++port) {
    EXPECT_EQ(fixed.make(v4(9, port), 1, 0), fixed.make(v4(9, port), 1, 0));
    seen.insert(fixed.make(v4(9, port), 1, 0));
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace sudachi::relay
