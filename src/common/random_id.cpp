#include "common/random_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace sudachi {
namespace {

void fill_random(unsigned char* out, std::size_t n) {
  // RAND_bytes only fails when the OS entropy source is broken: a start-up class of failure.
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

constexpr char kHex[] = "0123456789abcdef";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string random_uuid_v4() {
  std::array<unsigned char, 16> b{};
  fill_random(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[b[i] >> 4]);
    s.push_back(kHex[b[i] & 0x0f]);
  }
  return s;
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  fill_random(b.data(), b.size());
  std::string s;
  s.reserve((bytes * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes; i += 3) {
    unsigned v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += kB64Url[(v >> 18) & 63];
    s += kB64Url[(v >> 12) & 63];
    s += kB64Url[(v >> 6) & 63];
    s += kB64Url[v & 63];
  }
  if (bytes - i == 1) {
    unsigned v = b[i] << 16;
    s += kB64Url[(v >> 18) & 63];
    s += kB64Url[(v >> 12) & 63];
  } else if (bytes - i == 2) {
    unsigned v = (b[i] << 16) | (b[i + 1] << 8);
    s += kB64Url[(v >> 18) & 63];
    s += kB64Url[(v >> 12) & 63];
    s += kB64Url[(v >> 6) & 63];
  }
  return s;
}

bool is_hex(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    bool digit = c >= '0' && c <= '9';
    bool lower = c >= 'a' && c <= 'f';
    bool upper = c >= 'A' && c <= 'F';
    if (!digit && !lower && !upper) return false;
  }
  return true;
}

bool is_uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex(s.substr(i, 1))) {
      return false;
    }
  }
  return true;
}

}  // namespace sudachi
