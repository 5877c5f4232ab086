#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

// The per-pair key that authenticates probes. Each side draws a random 32-byte secret per
// peer and sends it in its p2p:signal; the key mixes both secrets and both client ids, so
// nobody who lacks either signal (any host on the path, another room member) can forge a
// probe or an answer, and a key is never reused across pairs or across restarts.
namespace sudachi::client::p2p {

inline constexpr std::size_t kSecretSize = 32;
inline constexpr std::size_t kMacSize = 16;  // HMAC-SHA256 truncated to 128 bits

using Secret = std::array<std::uint8_t, kSecretSize>;
using PairKey = std::array<std::uint8_t, 32>;
using Mac = std::array<std::uint8_t, kMacSize>;

// K = HMAC-SHA256(secret_lo || secret_hi, "sudachi-p2p-v1" 0 id_lo 0 id_hi), where lo is the
// side with the lexicographically smaller client id. Both sides compute the same key.
PairKey derive_pair_key(std::string_view local_id, const Secret& local_secret,
                        std::string_view remote_id, const Secret& remote_secret);

Mac compute_mac(const PairKey& key, std::span<const std::uint8_t> bytes);

// Constant time, so the comparison leaks nothing about how much of a forged MAC was right.
bool mac_matches(const PairKey& key, std::span<const std::uint8_t> bytes,
                 std::span<const std::uint8_t> mac);

}  // namespace sudachi::client::p2p
