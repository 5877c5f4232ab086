#include <gtest/gtest.h>

#include "relay/source_filter.hpp"

namespace sudachi::relay {
namespace {

Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {a, b, c, d};
  return e;
}

Endpoint v6(std::initializer_list<std::uint8_t> prefix, std::uint8_t last, std::uint16_t port) {
  Endpoint e;
  e.family = 6;
  e.port = port;
  std::copy(prefix.begin(), prefix.end(), e.addr.begin());
  e.addr[15] = last;
  return e;
}

TEST(SourceFilter, NeverAUnicastHost) {
  const SourceFilter f;
  EXPECT_TRUE(f.refuse(v4(192, 0, 2, 1, 0)));  // port 0
  EXPECT_TRUE(f.refuse(v4(0, 0, 0, 0, 1000)));
  EXPECT_TRUE(f.refuse(v4(0, 9, 9, 9, 1000)));
  EXPECT_TRUE(f.refuse(v4(224, 0, 0, 251, 5353)));
  EXPECT_TRUE(f.refuse(v4(239, 1, 1, 1, 1000)));
  EXPECT_TRUE(f.refuse(v4(240, 0, 0, 1, 1000)));
  EXPECT_TRUE(f.refuse(v4(255, 255, 255, 255, 1000)));
  EXPECT_TRUE(f.refuse(v6({}, 0, 1000)));            // ::
  EXPECT_TRUE(f.refuse(v6({0xff, 0x02}, 1, 1000)));  // ff02::1
  EXPECT_TRUE(f.refuse(Endpoint{}));
  EXPECT_FALSE(f.refuse(v4(192, 0, 2, 1, 1000)));
  EXPECT_FALSE(f.refuse(v4(223, 255, 255, 254, 1000)));
  EXPECT_FALSE(f.refuse(v4(127, 0, 0, 1, 3478)));  // no own ports configured
  EXPECT_FALSE(f.refuse(v6({}, 1, 1000)));         // ::1
  EXPECT_FALSE(f.refuse(v6({0x20, 0x01, 0x0d, 0xb8}, 1, 1000)));
}

TEST(SourceFilter, TheRelaysOwnPortsOnItsOwnAddresses) {
  SourceFilter::Config c;
  c.own_ports = {3478, 3479};
  c.local_addresses = {v4(192, 0, 2, 10, 0), v6({0x20, 0x01, 0x0d, 0xb8}, 10, 0)};
  c.broadcast_addresses = {v4(192, 0, 2, 255, 0)};
  const SourceFilter f{c};
  EXPECT_TRUE(f.refuse(v4(127, 0, 0, 1, 3478)));
  EXPECT_TRUE(f.refuse(v4(127, 9, 9, 9, 3479)));  // all of 127/8 is this host
  EXPECT_TRUE(f.refuse(v6({}, 1, 3478)));         // ::1
  EXPECT_TRUE(f.refuse(v4(192, 0, 2, 10, 3479)));
  EXPECT_TRUE(f.refuse(v6({0x20, 0x01, 0x0d, 0xb8}, 10, 3478)));
  EXPECT_TRUE(f.refuse(v4(192, 0, 2, 255, 1234)));  // directed broadcast, any port
  EXPECT_FALSE(f.refuse(v4(127, 0, 0, 1, 3480)));
  EXPECT_FALSE(f.refuse(v4(192, 0, 2, 11, 3478)));  // a remote host may use port 3478
  EXPECT_FALSE(f.refuse(v4(192, 0, 2, 10, 40000)));
}

}  // namespace
}  // namespace sudachi::relay
