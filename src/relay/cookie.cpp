#include "relay/cookie.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "relay/wire.hpp"

namespace sudachi::relay {

AddressCookies::AddressCookies() {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed (cookie key)");
  }
}

std::uint64_t AddressCookies::compute(std::int64_t epoch, const Endpoint& from,
                                      std::uint16_t local_port) const {
  // epoch (8) | family (1) | address (16, IPv4 zero-padded) | source port (2) | local port (2)
  std::array<std::uint8_t, 29> input{};
  wire::put_u64(input.data(), static_cast<std::uint64_t>(epoch));
  input[8] = from.family;
  std::copy(from.addr.begin(), from.addr.end(), input.begin() + 9);
  wire::put_u16(&input[25], from.port);
  wire::put_u16(&input[27], local_port);
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  // One-shot HMAC: no state between calls, so every worker may call it concurrently.
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), input.data(), input.size(),
           mac.data(), &mac_size) == nullptr ||
      mac_size < 8) {
    throw std::runtime_error("HMAC-SHA256 failed");  // only if OpenSSL itself is broken
  }
  const std::uint64_t cookie = wire::get_u64(mac.data());
  return cookie == 0 ? 1 : cookie;  // 0 is "no cookie" on the wire
}

std::uint64_t AddressCookies::make(const Endpoint& from, std::uint16_t local_port,
                                   std::int64_t now_ms) const {
  return compute(now_ms / kEpochMs, from, local_port);
}

bool AddressCookies::valid(std::uint64_t cookie, const Endpoint& from, std::uint16_t local_port,
                           std::int64_t now_ms) const {
  if (cookie == 0) return false;
  const std::int64_t epoch = now_ms / kEpochMs;
  std::array<std::uint8_t, 8> got{};
  wire::put_u64(got.data(), cookie);
  for (const std::int64_t e : {epoch, epoch - 1}) {
    std::array<std::uint8_t, 8> want{};
    wire::put_u64(want.data(), compute(e, from, local_port));
    // Constant time: the comparison must not tell an attacker how many bytes it guessed.
    if (CRYPTO_memcmp(got.data(), want.data(), got.size()) == 0) return true;
  }
  return false;
}

}  // namespace sudachi::relay
