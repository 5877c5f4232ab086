#include "protocol/websocket/handshake.hpp"

#include <array>
#include <cctype>

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace sudachi::websocket {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> accept_key(std::string_view client_key) {
  client_key = trim(client_key);
  // 16 bytes in base64: 22 significant characters and "==".
  if (client_key.size() != 24 || client_key.substr(22) != "==") return std::nullopt;
  // EVP_DecodeBlock decodes '=' as zero bits anywhere, so it alone would take
  // "AAAAAAAAAAAAAAAAAAAA====" (15 bytes) or "AAAA=AAA...==" as a 16-byte key: the 22
  // characters before the padding must all be of the base64 alphabet.
  for (const char c : client_key.substr(0, 22)) {
    const bool base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!base64) return std::nullopt;
  }
  std::array<unsigned char, 18> decoded{};
  const int n = EVP_DecodeBlock(decoded.data(),
                                reinterpret_cast<const unsigned char*>(client_key.data()), 24);
  if (n != 18) return std::nullopt;  // EVP_DecodeBlock counts the padding as bytes

  std::string input(client_key);
  input.append(kGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  std::array<unsigned char, 29> encoded{};  // 4 * ceil(20 / 3) + NUL
  const int len = EVP_EncodeBlock(encoded.data(), digest.data(), SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(len));
}

bool header_has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::string switching_protocols_response(std::string_view accept) {
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  r.append(accept);
  r.append("\r\n\r\n");
  return r;
}

}  // namespace sudachi::websocket
