#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <unordered_set>

#include "relay/endpoint.hpp"

namespace sudachi::relay {
namespace {

TEST(Endpoint, V4RoundTripAndMappedV6IsTheSameKey) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(3478);
  ::inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
  const Endpoint a = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&in), sizeof in);
  EXPECT_EQ(a.to_string(), "192.0.2.7:3478");

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(3478);
  ::inet_pton(AF_INET6, "::ffff:192.0.2.7", &in6.sin6_addr);
  const Endpoint b = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&in6), sizeof in6);
  EXPECT_EQ(a, b);
  EXPECT_EQ(EndpointHash{}(a), EndpointHash{}(b));

  sockaddr_storage out{};
  ASSERT_EQ(a.to_sockaddr(out, true), sizeof(sockaddr_in6));  // for a dual-stack socket
  EXPECT_EQ(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&out), sizeof(sockaddr_in6)), a);
  ASSERT_EQ(a.to_sockaddr(out, false), sizeof(sockaddr_in));
  EXPECT_EQ(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&out), sizeof(sockaddr_in)), a);
}

TEST(Endpoint, V6AndGarbage) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(1);
  ::inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
  const Endpoint e = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&in6), sizeof in6);
  EXPECT_EQ(e.family, 6);
  EXPECT_EQ(e.to_string(), "[2001:db8::1]:1");
  EXPECT_NE(e.ip_only(), e);
  EXPECT_EQ(e.ip_only().port, 0);
  // Too short for its family, or unknown family: no endpoint.
  EXPECT_FALSE(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&in6), 8).valid());
  sockaddr unknown{};
  unknown.sa_family = AF_UNIX;
  EXPECT_FALSE(Endpoint::from_sockaddr(&unknown, sizeof unknown).valid());
  EXPECT_FALSE(Endpoint::from_sockaddr(nullptr, 0).valid());
}

}  // namespace
}  // namespace sudachi::relay
