#include "client/p2p/pair_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <vector>

namespace sudachi::client::p2p {
namespace {

constexpr std::string_view kLabel = "sudachi-p2p-v1";

}  // namespace

PairKey derive_pair_key(std::string_view local_id, const Secret& local_secret,
                        std::string_view remote_id, const Secret& remote_secret) {
  const bool local_low = local_id < remote_id;
  const Secret& s_lo = local_low ? local_secret : remote_secret;
  const Secret& s_hi = local_low ? remote_secret : local_secret;
  const std::string_view id_lo = local_low ? local_id : remote_id;
  const std::string_view id_hi = local_low ? remote_id : local_id;

  std::uint8_t ikm[2 * kSecretSize];
  std::memcpy(ikm, s_lo.data(), kSecretSize);
  std::memcpy(ikm + kSecretSize, s_hi.data(), kSecretSize);
  std::vector<std::uint8_t> info;
  info.reserve(kLabel.size() + id_lo.size() + id_hi.size() + 2);
  info.insert(info.end(), kLabel.begin(), kLabel.end());
  info.push_back(0);
  info.insert(info.end(), id_lo.begin(), id_lo.end());
  info.push_back(0);
  info.insert(info.end(), id_hi.begin(), id_hi.end());

  PairKey key{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), ikm, sizeof ikm, info.data(), info.size(), key.data(), &len);
  OPENSSL_cleanse(ikm, sizeof ikm);
  return key;
}

Mac compute_mac(const PairKey& key, std::span<const std::uint8_t> bytes) {
  std::uint8_t full[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes.data(), bytes.size(), full,
       &len);
  Mac mac{};
  std::memcpy(mac.data(), full, mac.size());
  return mac;
}

bool mac_matches(const PairKey& key, std::span<const std::uint8_t> bytes,
                 std::span<const std::uint8_t> mac) {
  if (mac.size() != kMacSize) return false;
  const Mac expected = compute_mac(key, bytes);
  return CRYPTO_memcmp(expected.data(), mac.data(), kMacSize) == 0;
}

}  // namespace sudachi::client::p2p
