#include "transport/client_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace sudachi::transport {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "1.2.3.4:80" -> "1.2.3.4", "[::1]:80" -> "::1", "[::1]" -> "::1"; bare IPv6 stays.
std::string_view strip_port(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    return close == std::string_view::npos ? std::string_view{} : s.substr(1, close - 1);
  }
  const auto colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
    return s.substr(0, colon);  // exactly one colon: IPv4 with a port
  }
  return s;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest textual IPv6 is 45 characters.
  if (text.empty() || text.size() > 45) return std::nullopt;
  // An embedded NUL would end the string early and let "1.2.3.4\0junk" pass as 1.2.3.4.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::memset(a.bytes.data() + 4, 0, 12);
    return a;
  }
  a.v6 = true;
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
  TrustedProxies out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    const auto slash = item.find('/');
    const auto address = IpAddress::parse(item.substr(0, slash));
    if (!address) {
      return Error::make(ErrorCode::invalid_request,
                         "not an IP address or CIDR block: '" + std::string(item) + "'");
    }
    const unsigned max_prefix = address->v6 ? 128 : 32;
    unsigned prefix = max_prefix;
    if (slash != std::string_view::npos) {
      const std::string_view digits = item.substr(slash + 1);
      if (digits.empty() || digits.size() > 3) {
        return Error::make(ErrorCode::invalid_request, "bad prefix in '" + std::string(item) + "'");
      }
      prefix = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') {
          return Error::make(ErrorCode::invalid_request,
                             "bad prefix in '" + std::string(item) + "'");
        }
        prefix = prefix * 10 + static_cast<unsigned>(c - '0');
      }
      if (prefix > max_prefix) {
        return Error::make(ErrorCode::invalid_request,
                           "prefix too long in '" + std::string(item) + "'");
      }
    }
    out.blocks_.push_back(Block{*address, prefix});
  }
  return out;
}

bool TrustedProxies::contains(const IpAddress& address) const {
  for (const Block& b : blocks_) {
    if (b.base.v6 != address.v6) continue;
    const unsigned full = b.prefix / 8;
    const unsigned bits = b.prefix % 8;
    if (std::memcmp(b.base.bytes.data(), address.bytes.data(), full) != 0) continue;
    if (bits != 0) {
      const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
      if ((b.base.bytes[full] & mask) != (address.bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

Result<IpAddress> resolve_client_address(const IpAddress& peer, const TrustedProxies& trusted,
                                         std::optional<std::string_view> forwarded_for) {
  if (!forwarded_for || trusted.empty() || !trusted.contains(peer)) return peer;
  std::string_view rest = *forwarded_for;
  std::optional<IpAddress> leftmost_trusted;
  // Right to left: skip the trusted proxies' own hops; the first other entry is the client.
  while (true) {
    const auto comma = rest.rfind(',');
    const std::string_view item =
        trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    if (!item.empty()) {
      const auto address = IpAddress::parse(strip_port(item));
      if (!address) {
        return Error::make(ErrorCode::invalid_request, "X-Forwarded-For entry is not an address");
      }
      if (!trusted.contains(*address)) return *address;
      leftmost_trusted = address;
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(0, comma);
  }
  // Every hop was a trusted proxy (a request made from inside the proxy tier).
  return leftmost_trusted ? *leftmost_trusted : peer;
}

}  // namespace sudachi::transport
