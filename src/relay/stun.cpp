#include "relay/stun.hpp"

#include <cstring>

#include "relay/wire.hpp"

namespace sudachi::relay::stun {
namespace {

using wire::get_u16;
using wire::get_u32;
using wire::put_u16;
using wire::put_u32;

constexpr std::uint32_t kFingerprintXor = 0x5354554e;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

void write_header(std::uint8_t* p, std::uint16_t type, std::uint16_t length,
                  const TransactionId& id) {
  put_u16(p, type);
  put_u16(p + 2, length);
  put_u32(p + 4, kMagicCookie);
  std::memcpy(p + 8, id.data(), id.size());
}

// Appends FINGERPRINT at `at` of a message whose header length already counts it.
void write_fingerprint(std::uint8_t* msg, std::size_t at) {
  put_u16(msg + at, kAttrFingerprint);
  put_u16(msg + at + 2, 4);
  put_u32(msg + at + 4, crc32({msg, at}) ^ kFingerprintXor);
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::uint8_t b : bytes) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool looks_like_stun(std::span<const std::uint8_t> d) {
  return d.size() >= kHeaderSize && (d[0] & 0xC0) == 0 && get_u32(&d[4]) == kMagicCookie;
}

Parse parse_binding_request(std::span<const std::uint8_t> d, BindingRequest& out) {
  if (!looks_like_stun(d)) return Parse::not_stun;
  const std::size_t length = get_u16(&d[2]);
  if (length % 4 != 0 || length != d.size() - kHeaderSize) return Parse::malformed;
  // Walk the attributes: each must fit, and FINGERPRINT, when present, must be last and right.
  bool has_fingerprint = false;
  std::size_t at = kHeaderSize;
  while (at < d.size()) {
    if (d.size() - at < 4) return Parse::malformed;
    const std::uint16_t type = get_u16(&d[at]);
    const std::size_t value_length = get_u16(&d[at + 2]);
    const std::size_t padded = (value_length + 3) & ~std::size_t{3};
    if (d.size() - at - 4 < padded) return Parse::malformed;
    if (type == kAttrFingerprint) {
      if (value_length != 4 || at + 8 != d.size()) return Parse::malformed;
      if (get_u32(&d[at + 4]) != (crc32(d.first(at)) ^ kFingerprintXor)) return Parse::malformed;
      has_fingerprint = true;
    }
    at += 4 + padded;
  }
  if (get_u16(&d[0]) != kBindingRequest) return Parse::other_stun;
  std::memcpy(out.transaction_id.data(), &d[8], out.transaction_id.size());
  out.has_fingerprint = has_fingerprint;
  return Parse::binding_request;
}

std::size_t encode_binding_response(std::span<std::uint8_t> out, const BindingRequest& request,
                                    const Endpoint& mapped, bool with_fingerprint) {
  const std::size_t address_length = mapped.family == 6 ? 16 : 4;
  const std::size_t attr_size = 4 + 4 + address_length;
  const std::size_t size = kHeaderSize + attr_size + (with_fingerprint ? 8 : 0);
  if (!mapped.valid() || out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_header(p, kBindingSuccess, static_cast<std::uint16_t>(size - kHeaderSize),
               request.transaction_id);
  std::uint8_t* a = p + kHeaderSize;
  put_u16(a, kAttrXorMappedAddress);
  put_u16(a + 2, static_cast<std::uint16_t>(4 + address_length));
  a[4] = 0;
  a[5] = mapped.family == 6 ? 0x02 : 0x01;
  put_u16(a + 6, static_cast<std::uint16_t>(mapped.port ^ (kMagicCookie >> 16)));
  // The address is XORed with the cookie followed by the transaction id (bytes 4..19).
  for (std::size_t i = 0; i < address_length; ++i) a[8 + i] = mapped.addr[i] ^ p[4 + i];
  if (with_fingerprint) write_fingerprint(p, kHeaderSize + attr_size);
  return size;
}

bool parse_binding_response(std::span<const std::uint8_t> d, const TransactionId& expected,
                            Endpoint& mapped) {
  if (!looks_like_stun(d) || get_u16(&d[0]) != kBindingSuccess) return false;
  if (get_u16(&d[2]) != d.size() - kHeaderSize ||
      std::memcmp(&d[8], expected.data(), expected.size()) != 0) {
    return false;
  }
  for (std::size_t at = kHeaderSize; d.size() - at >= 4;) {
    const std::uint16_t type = get_u16(&d[at]);
    const std::size_t len = get_u16(&d[at + 2]);
    // The padded length must fit too, or `at` would step past the end (and `d.size() - at`
    // wrap around) on a hostile response whose last attribute is not padded.
    const std::size_t padded = (len + 3) & ~std::size_t{3};
    if (d.size() - at - 4 < padded) return false;
    if (type == kAttrXorMappedAddress && len >= 8) {
      const std::uint8_t family = d[at + 5];
      const std::size_t n = family == 0x02 ? 16 : 4;
      if (len < 4 + n) return false;
      mapped = Endpoint{};
      mapped.family = family == 0x02 ? 6 : 4;
      mapped.port = static_cast<std::uint16_t>(get_u16(&d[at + 6]) ^ (kMagicCookie >> 16));
      for (std::size_t i = 0; i < n; ++i) mapped.addr[i] = d[at + 8 + i] ^ d[4 + i];
      return true;
    }
    at += 4 + padded;
  }
  return false;
}

std::size_t encode_binding_request(std::span<std::uint8_t> out, const TransactionId& id,
                                   bool with_fingerprint) {
  const std::size_t size = kHeaderSize + (with_fingerprint ? 8 : 0);
  if (out.size() < size) return 0;
  write_header(out.data(), kBindingRequest, static_cast<std::uint16_t>(size - kHeaderSize), id);
  if (with_fingerprint) write_fingerprint(out.data(), kHeaderSize);
  return size;
}

}  // namespace sudachi::relay::stun
