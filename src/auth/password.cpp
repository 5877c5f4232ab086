#include "auth/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "auth/base64url.hpp"

namespace sudachi::auth {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kHashSize = 32;
// Stored hashes are data: a corrupted or hostile row must not make one verification burn
// minutes of CPU, so iteration counts above this are refused rather than computed.
constexpr int kMaxIterations = 1'000'000;
// Salts we accept from storage: ours are 16 bytes; allow some room for other writers.
constexpr std::size_t kMinSalt = 8;
constexpr std::size_t kMaxSalt = 64;

using Bytes = std::vector<std::uint8_t>;

std::optional<Bytes> derive(std::string_view password, std::span<const std::uint8_t> salt,
                            int iterations) {
  // OpenSSL takes int lengths; nothing legitimate comes near that size.
  if (password.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return std::nullopt;
  Bytes out(kHashSize);
  const int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                                   static_cast<int>(salt.size()), iterations, EVP_sha256(),
                                   static_cast<int>(out.size()), out.data());
  if (ok != 1) return std::nullopt;
  return out;
}

struct StoredHash {
  int iterations = 0;
  Bytes salt;
  Bytes hash;
};

std::optional<int> parse_iterations(std::string_view text) {
  // Digits only: from_chars alone would accept a leading '-'.
  if (text.empty() || text.size() > 7 || text.front() < '1' || text.front() > '9')
    return std::nullopt;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value > kMaxIterations) return std::nullopt;
  return value;
}

// Splits "scheme$iterations$salt$hash"; nullopt for anything else.
std::optional<StoredHash> parse_stored(std::string_view stored) {
  std::array<std::string_view, 4> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto dollar = stored.find('$');
    const bool last = i + 1 == parts.size();
    if (last != (dollar == std::string_view::npos)) return std::nullopt;
    parts[i] = stored.substr(0, dollar);
    if (!last) stored.remove_prefix(dollar + 1);
  }
  if (parts[0] != kScheme) return std::nullopt;
  StoredHash out;
  const auto iterations = parse_iterations(parts[1]);
  auto salt = base64url_decode(parts[2]);
  auto hash = base64url_decode(parts[3]);
  if (!iterations || !salt || !hash) return std::nullopt;
  if (salt->size() < kMinSalt || salt->size() > kMaxSalt || hash->size() != kHashSize)
    return std::nullopt;
  out.iterations = *iterations;
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  // The cost is chosen by our own code, never by input: out of range is a programming error.
  assert(iterations >= 1 && iterations <= kMaxIterations);
  iterations = std::clamp(iterations, 1, kMaxIterations);
  std::array<std::uint8_t, kSaltSize> salt{};
  // RAND_bytes fails only when the OS entropy source is broken; hashing with a guessable salt
  // would be worse than failing loudly.
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  const auto hash = derive(password, salt, iterations);
  if (!hash) throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64url_encode(salt) +
         "$" + base64url_encode(*hash);
}

bool verify_password(std::string_view password, std::string_view stored_hash) {
  const auto stored = parse_stored(stored_hash);
  if (!stored) return false;
  const auto hash = derive(password, stored->salt, stored->iterations);
  if (!hash) return false;
  return CRYPTO_memcmp(hash->data(), stored->hash.data(), kHashSize) == 0;
}

}  // namespace sudachi::auth
