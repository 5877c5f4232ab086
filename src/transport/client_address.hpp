#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sudachi::transport {

// An IPv4 or IPv6 address in binary, IPv4-mapped IPv6 folded to IPv4, so that one client is
// one key whichever way its address was written.
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4

  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

// The proxies whose X-Forwarded-For the server believes (--trust-proxy / TRUST_PROXY): a
// comma-separated list of CIDR blocks, "127.0.0.1/32,10.0.0.0/8,fd00::/8". An address without
// a prefix length is one host.
class TrustedProxies {
 public:
  static Result<TrustedProxies> parse(std::string_view list);
  bool empty() const { return blocks_.empty(); }
  bool contains(const IpAddress& address) const;

 private:
  struct Block {
    IpAddress base;
    unsigned prefix = 0;
  };
  std::vector<Block> blocks_;
};

// Who the client is. Without trusted proxies, or when the connection does not come from one,
// it is the TCP peer and X-Forwarded-For is ignored (anyone can write that header). From a
// trusted proxy, it is the right-most X-Forwarded-For entry that is not itself a trusted proxy:
// the entries to its left were written by the client, so only the ones that trusted proxies
// appended count. An entry that is not an IP address is an error (a proxy that appends garbage
// is misconfigured, and garbage must not become a rate-limit key); a missing header leaves the
// peer. Entries may carry ports or brackets as some proxies write them ("[::1]:443", "1.2.3.4:5").
Result<IpAddress> resolve_client_address(const IpAddress& peer, const TrustedProxies& trusted,
                                         std::optional<std::string_view> forwarded_for);

}  // namespace sudachi::transport
