#include "transport/client_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace sudachi::transport {
namespace {

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

TrustedProxies proxies(std::string_view list) {
  auto p = TrustedProxies::parse(list);
  EXPECT_TRUE(p.ok()) << list << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(p).value() : TrustedProxies{};
}

// ------------------------------------------------------------------ IpAddress

TEST(IpAddress, ParsesIpv4) {
  const auto a = IpAddress::parse("192.0.2.17");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->v6);
  EXPECT_EQ(a->bytes[0], 192);
  EXPECT_EQ(a->bytes[1], 0);
  EXPECT_EQ(a->bytes[2], 2);
  EXPECT_EQ(a->bytes[3], 17);
  for (std::size_t i = 4; i < 16; ++i) EXPECT_EQ(a->bytes[i], 0) << i;
  EXPECT_EQ(a->to_string(), "192.0.2.17");
}

TEST(IpAddress, ParsesIpv6InCanonicalForm) {
  const auto a = IpAddress::parse("2001:DB8:0:0:0:0:0:7");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->v6);
  EXPECT_EQ(a->to_string(), "2001:db8::7");
  EXPECT_EQ(*a, ip("2001:db8::7"));
  EXPECT_EQ(ip("::1").to_string(), "::1");
  EXPECT_TRUE(ip("::1").v6);
  EXPECT_NE(ip("::1"), ip("::2"));
}

TEST(IpAddress, FoldsV4MappedIpv6ToIpv4) {
  // One client is one key however its address was written.
  EXPECT_EQ(ip("::ffff:1.2.3.4"), ip("1.2.3.4"));
  EXPECT_EQ(ip("::FFFF:7f00:1"), ip("127.0.0.1"));
  EXPECT_EQ(ip("0:0:0:0:0:ffff:10.0.0.1"), ip("10.0.0.1"));
  EXPECT_FALSE(ip("::ffff:1.2.3.4").v6);
  EXPECT_EQ(ip("::ffff:1.2.3.4").to_string(), "1.2.3.4");
  // Not mapped: the IPv4-compatible form and NAT64 stay IPv6.
  EXPECT_TRUE(ip("::1.2.3.4").v6);
  EXPECT_TRUE(ip("64:ff9b::1.2.3.4").v6);
  EXPECT_NE(ip("64:ff9b::1.2.3.4"), ip("1.2.3.4"));
}

TEST(IpAddress, LongestTextualFormParses) {
  const std::string longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
  ASSERT_EQ(longest.size(), 45u);
  const auto a = IpAddress::parse(longest);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->v6);
  for (std::uint8_t b : a->bytes) EXPECT_EQ(b, 0xff);
}

TEST(IpAddress, RefusesWhatIsNotExactlyAnAddress) {
  for (std::string_view bad : {
           "",
           "not-an-ip<script>",
           "<script>alert(1)</script>",
           "localhost",
           "1.2.3",
           "1.2.3.4.5",
           "1.2.3.256",
           "1.2.3.-1",
           " 1.2.3.4",
           "1.2.3.4 ",
           "1.2.3.4:80",  // ports and brackets are the X-Forwarded-For reader's business
           "[::1]",
           "[::1]:443",
           "::1%lo",
           "fe80::1%eth0",
           "2001:db8::1::2",
           "12345::",
           "0x7f.0.0.1",
           "1.2.3.4/32",
           "unknown",
       }) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(IpAddress, RefusesOverlongInputWithoutReadingPastIt) {
  // 46 characters and more: nothing textual is that long; the parser copies into a fixed buffer.
  EXPECT_FALSE(IpAddress::parse(std::string(46, '1')));
  EXPECT_FALSE(IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555"));
  EXPECT_FALSE(IpAddress::parse(std::string(100'000, 'a')));
  // A view into a longer buffer is parsed as the view, not up to the buffer's NUL.
  const std::string text = "10.0.0.1999";
  EXPECT_EQ(IpAddress::parse(std::string_view(text).substr(0, 8)), ip("10.0.0.1"));
}

TEST(IpAddress, RefusesEmbeddedNul) {
  // inet_pton stops at a NUL: the bytes after it must not be ignored silently.
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0<script>", 16)));
  EXPECT_FALSE(IpAddress::parse(std::string_view("::1\0", 4)));
}

// ------------------------------------------------------------------ TrustedProxies

TEST(TrustedProxies, EmptyListTrustsNobody) {
  const auto p = proxies("");
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(p.contains(ip("127.0.0.1")));
  EXPECT_TRUE(proxies(" , ,").empty());
}

TEST(TrustedProxies, HostsAndBlocks) {
  const auto p = proxies("127.0.0.1/32,10.0.0.0/8, 192.168.0.0/23 ,fd00::/8");
  EXPECT_FALSE(p.empty());
  EXPECT_TRUE(p.contains(ip("127.0.0.1")));
  EXPECT_FALSE(p.contains(ip("127.0.0.2")));
  EXPECT_TRUE(p.contains(ip("10.0.0.0")));
  EXPECT_TRUE(p.contains(ip("10.255.255.255")));
  EXPECT_FALSE(p.contains(ip("11.0.0.0")));
  EXPECT_FALSE(p.contains(ip("9.255.255.255")));
  // A prefix that does not end on a byte boundary.
  EXPECT_TRUE(p.contains(ip("192.168.0.1")));
  EXPECT_TRUE(p.contains(ip("192.168.1.255")));
  EXPECT_FALSE(p.contains(ip("192.168.2.0")));
  EXPECT_FALSE(p.contains(ip("192.167.255.255")));
  EXPECT_TRUE(p.contains(ip("fd12:3456::1")));
  EXPECT_TRUE(p.contains(ip("fdff:ffff::")));
  EXPECT_FALSE(p.contains(ip("fe80::1")));
  EXPECT_FALSE(p.contains(ip("fc00::1")));
  // The families do not mix: ::1 is not 127.0.0.1.
  EXPECT_FALSE(p.contains(ip("::1")));
  // A v4-mapped address is its IPv4 address.
  EXPECT_TRUE(p.contains(ip("::ffff:10.1.2.3")));
}

TEST(TrustedProxies, AddressWithoutPrefixIsOneHost) {
  const auto p = proxies("10.1.2.3,2001:db8::1");
  EXPECT_TRUE(p.contains(ip("10.1.2.3")));
  EXPECT_FALSE(p.contains(ip("10.1.2.4")));
  EXPECT_FALSE(p.contains(ip("10.1.2.2")));
  EXPECT_TRUE(p.contains(ip("2001:db8::1")));
  EXPECT_FALSE(p.contains(ip("2001:db8::2")));
}

TEST(TrustedProxies, SlashZeroIsTheWholeFamily) {
  const auto v4 = proxies("0.0.0.0/0");
  EXPECT_TRUE(v4.contains(ip("0.0.0.0")));
  EXPECT_TRUE(v4.contains(ip("203.0.113.9")));
  EXPECT_TRUE(v4.contains(ip("255.255.255.255")));
  EXPECT_FALSE(v4.contains(ip("::1")));
  const auto v6 = proxies("::/0");
  EXPECT_TRUE(v6.contains(ip("::1")));
  EXPECT_TRUE(v6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(v6.contains(ip("1.2.3.4")));
  // Host bits in the base of /0 do not matter.
  EXPECT_TRUE(proxies("1.2.3.4/0").contains(ip("200.1.1.1")));
}

TEST(TrustedProxies, FullLengthPrefixes) {
  const auto p = proxies("203.0.113.7/32,2001:db8::7/128");
  EXPECT_TRUE(p.contains(ip("203.0.113.7")));
  EXPECT_FALSE(p.contains(ip("203.0.113.6")));
  EXPECT_FALSE(p.contains(ip("203.0.113.8")));
  EXPECT_TRUE(p.contains(ip("2001:db8::7")));
  EXPECT_FALSE(p.contains(ip("2001:db8::6")));
  EXPECT_FALSE(p.contains(ip("2001:db8::8")));
  EXPECT_FALSE(p.contains(ip("2001:db8::7:0")));
}

TEST(TrustedProxies, HostBitsInTheBaseAreMasked) {
  const auto p = proxies("10.1.2.3/8,2001:db8:ffff::1/32");
  EXPECT_TRUE(p.contains(ip("10.200.0.1")));
  EXPECT_FALSE(p.contains(ip("11.1.2.3")));
  EXPECT_TRUE(p.contains(ip("2001:db8::99")));
  EXPECT_FALSE(p.contains(ip("2001:db9::1")));
}

TEST(TrustedProxies, RefusesMalformedEntries) {
  for (std::string_view bad : {
           "not-an-ip",
           "127.0.0.1/32,not-an-ip<script>",
           "10.0.0.0/33",
           "::/129",
           "::1/200",
           "10.0.0.0/",
           "10.0.0.0/x",
           "10.0.0.0/-1",
           "10.0.0.0/+8",
           "10.0.0.0/8/8",
           "10.0.0.0/1234",
           "10.0.0.0/99999999999999999999",
           "/8",
           "10.0.0/8",
           "[::1]/128",
           "localhost",
           "*",
       }) {
    const auto p = TrustedProxies::parse(bad);
    ASSERT_FALSE(p.ok()) << "'" << bad << "'";
    EXPECT_EQ(p.error().code, ErrorCode::invalid_request) << bad;
    EXPECT_FALSE(p.error().message.empty()) << bad;
  }
}

TEST(TrustedProxies, ErrorNamesTheBadEntry) {
  const auto p = TrustedProxies::parse("127.0.0.1/32, 10.0.0.0/40");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("10.0.0.0/40"), std::string::npos) << p.error().message;
}

// ------------------------------------------------------------------ resolve_client_address

class ResolveClient : public ::testing::Test {
 protected:
  // The proxy tier: nginx on loopback and a load balancer in 10.0.0.0/8.
  TrustedProxies trusted_ = proxies("127.0.0.1/32,10.0.0.0/8,fd00::/8");
  IpAddress proxy_ = ip("127.0.0.1");
  IpAddress outsider_ = ip("198.51.100.23");

  IpAddress resolve(const IpAddress& peer, std::optional<std::string_view> xff) {
    auto r = resolve_client_address(peer, trusted_, xff);
    EXPECT_TRUE(r.ok()) << (xff ? *xff : "(no header)") << ": "
                        << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : IpAddress{};
  }
  void expect_error(const IpAddress& peer, std::string_view xff) {
    auto r = resolve_client_address(peer, trusted_, xff);
    ASSERT_FALSE(r.ok()) << xff << " -> " << r->to_string();
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  }
};

TEST_F(ResolveClient, WithoutTrustedProxiesTheHeaderIsIgnored) {
  const TrustedProxies none;
  for (std::string_view xff : {"1.1.1.1", "not-an-ip<script>", ""}) {
    auto r = resolve_client_address(proxy_, none, xff);
    ASSERT_TRUE(r.ok()) << xff;
    EXPECT_EQ(*r, proxy_) << xff;
  }
}

TEST_F(ResolveClient, UntrustedPeerIgnoresTheHeaderEvenGarbage) {
  EXPECT_EQ(resolve(outsider_, "1.1.1.1"), outsider_);
  EXPECT_EQ(resolve(outsider_, "127.0.0.1"), outsider_);
  EXPECT_EQ(resolve(outsider_, "not-an-ip<script>"), outsider_);
  EXPECT_EQ(resolve(outsider_, std::nullopt), outsider_);
}

TEST_F(ResolveClient, MissingOrEmptyHeaderLeavesThePeer) {
  EXPECT_EQ(resolve(proxy_, std::nullopt), proxy_);
  EXPECT_EQ(resolve(proxy_, ""), proxy_);
  EXPECT_EQ(resolve(proxy_, " , ,"), proxy_);
}

TEST_F(ResolveClient, TrustedPeerNamesTheClient) {
  EXPECT_EQ(resolve(proxy_, "203.0.113.5"), ip("203.0.113.5"));
  EXPECT_EQ(resolve(proxy_, "  203.0.113.5\t"), ip("203.0.113.5"));
  EXPECT_EQ(resolve(ip("10.9.8.7"), "2001:db8::5"), ip("2001:db8::5"));
  EXPECT_EQ(resolve(ip("fd00::1"), "203.0.113.5"), ip("203.0.113.5"));
  // A peer connecting as v4-mapped IPv6 is still the trusted 127.0.0.1.
  EXPECT_EQ(resolve(ip("::ffff:127.0.0.1"), "203.0.113.5"), ip("203.0.113.5"));
}

TEST_F(ResolveClient, ForgedLeftMostEntriesAreIgnored) {
  // The client wrote "6.6.6.6, 7.7.7.7"; nginx appended the address it saw.
  EXPECT_EQ(resolve(proxy_, "6.6.6.6, 7.7.7.7, 203.0.113.5"), ip("203.0.113.5"));
  EXPECT_EQ(resolve(proxy_, "6.6.6.6,203.0.113.5"), ip("203.0.113.5"));
  // Forging a trusted address on the left does not help either.
  EXPECT_EQ(resolve(proxy_, "127.0.0.1, 10.0.0.1, 203.0.113.5"), ip("203.0.113.5"));
  // Nor does garbage, which is never reached.
  EXPECT_EQ(resolve(proxy_, "not-an-ip<script>, 203.0.113.5"), ip("203.0.113.5"));
}

TEST_F(ResolveClient, SkipsTrustedHopsFromTheRight) {
  // client -> load balancer 10.0.0.2 -> nginx 127.0.0.1 -> server
  EXPECT_EQ(resolve(proxy_, "6.6.6.6, 203.0.113.5, 10.0.0.2"), ip("203.0.113.5"));
  EXPECT_EQ(resolve(proxy_, "203.0.113.5, 10.0.0.3, 10.0.0.2, 127.0.0.1"), ip("203.0.113.5"));
  EXPECT_EQ(resolve(proxy_, "2001:db8::9, fd00::2"), ip("2001:db8::9"));
}

TEST_F(ResolveClient, AllTrustedChainGivesTheLeftMostHop) {
  EXPECT_EQ(resolve(proxy_, "10.0.0.3, 10.0.0.2"), ip("10.0.0.3"));
  EXPECT_EQ(resolve(proxy_, "127.0.0.1"), ip("127.0.0.1"));
  EXPECT_EQ(resolve(ip("10.0.0.2"), "fd00::5, 10.0.0.1"), ip("fd00::5"));
}

TEST_F(ResolveClient, EntriesWithPortsAndBrackets) {
  EXPECT_EQ(resolve(proxy_, "203.0.113.5:51234"), ip("203.0.113.5"));
  EXPECT_EQ(resolve(proxy_, "[2001:db8::5]:443"), ip("2001:db8::5"));
  EXPECT_EQ(resolve(proxy_, "[2001:db8::5]"), ip("2001:db8::5"));
  EXPECT_EQ(resolve(proxy_, "2001:db8::5"), ip("2001:db8::5"));
  EXPECT_EQ(resolve(proxy_, "203.0.113.5, 10.0.0.2:8080, [fd00::1]:80"), ip("203.0.113.5"));
  EXPECT_EQ(resolve(proxy_, "::ffff:203.0.113.5"), ip("203.0.113.5"));
}

TEST_F(ResolveClient, GarbageWhereTheClientShouldBeIsAnError) {
  expect_error(proxy_, "not-an-ip<script>");
  expect_error(proxy_, "1.1.1.1, not-an-ip<script>");
  expect_error(proxy_, "not-an-ip<script>, 10.0.0.2");
  expect_error(proxy_, "unknown");
  expect_error(proxy_, "[2001:db8::5");
  expect_error(proxy_, "[not-an-ip]:80");
  expect_error(proxy_, "203.0.113.5 10.0.0.2");
  expect_error(proxy_, "203.0.113.5; 10.0.0.2");
  expect_error(proxy_, std::string(20'000, 'a'));
}

}  // namespace
}  // namespace sudachi::transport
