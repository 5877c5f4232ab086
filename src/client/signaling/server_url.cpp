#include "client/signaling/server_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sudachi::client {
namespace {

Error bad(std::string_view text, std::string_view why) {
  return Error::make(ErrorCode::invalid_request,
                     "bad server URL '" + std::string(text) + "': " + std::string(why));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool host_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
}

bool ipv6_char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
}

bool path_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '?' && c != '#' && c != '\\';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ServerUrl::socketio_target() const {
  return base_path + "/socket.io/?EIO=4&transport=websocket";
}

std::string ServerUrl::signup_target() const {
  return base_path + "/api/v1/auth/guest";
}

std::string ServerUrl::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

std::string ServerUrl::to_string() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "https://" : "http://") + h + ":" + std::to_string(port) + base_path;
}

Result<ServerUrl> parse_server_url(std::string_view input) {
  const std::string_view text = trim(input);
  if (text.empty()) return bad(input, "empty");
  ServerUrl url;
  std::string_view rest = text;
  const auto scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    const std::string scheme = lower(rest.substr(0, scheme_end));
    if (scheme == "https" || scheme == "wss") {
      url.tls = true;
    } else if (scheme != "http" && scheme != "ws") {
      return bad(input, "the scheme must be http, https, ws or wss");
    }
    rest.remove_prefix(scheme_end + 3);
  }
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad(input, "a query or fragment is not allowed");

  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad(input, "user info is not allowed");

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad(input, "unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    if (url.host.empty() || !std::all_of(url.host.begin(), url.host.end(), ipv6_char) ||
        url.host.find(':') == std::string::npos)
      return bad(input, "bad IPv6 address");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(input, "junk after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad(input, "empty port");
    }
  } else {
    const auto colon = authority.find(':');
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad(input, "empty port");
    }
    if (url.host.empty()) return bad(input, "no host");
    if (!std::all_of(url.host.begin(), url.host.end(), host_char))
      return bad(input, "bad host name");
  }

  if (port_text.empty()) {
    url.port = url.tls ? 443 : 80;
  } else {
    unsigned value = 0;
    const auto* end = port_text.data() + port_text.size();
    const auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
    if (ec != std::errc() || ptr != end || value == 0 || value > 65535)
      return bad(input, "the port must be 1..65535");
    url.port = static_cast<std::uint16_t>(value);
  }

  if (!std::all_of(path.begin(), path.end(), path_char)) return bad(input, "bad path");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.base_path = std::string(path);
  return url;
}

Result<std::vector<ServerUrl>> parse_server_list(std::string_view text) {
  std::vector<ServerUrl> out;
  if (trim(text).empty()) return bad(text, "no server given");
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    auto url = parse_server_url(item);
    if (!url) return url.error();
    out.push_back(std::move(*url));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace sudachi::client
