#include "client/p2p/frame.hpp"

#include <cstring>

#include "relay/wire.hpp"

namespace sudachi::client::p2p::frame {

using relay::wire::get_u16;
using relay::wire::get_u64;
using relay::wire::put_u16;
using relay::wire::put_u64;

std::size_t encode_check(std::span<std::uint8_t> out, const Check& c, const PairKey& key) {
  if (out.size() < kCheckSize) return 0;
  std::uint8_t* p = out.data();
  std::memset(p, 0, kCheckSize);
  p[0] = static_cast<std::uint8_t>(c.ack ? Type::check_ack : Type::check);
  p[1] = static_cast<std::uint8_t>((c.from_controlling ? kFlagControlling : 0) |
                                   (c.nominate ? kFlagNominate : 0));
  put_u64(p + kTagOffset, c.receiver_tag);
  put_u64(p + 12, c.seq);
  put_u64(p + 20, c.echo);
  if (c.address.family == 4 || c.address.family == 6) {
    p[28] = c.address.family;
    put_u16(p + 30, c.address.port);
    std::memcpy(p + 32, c.address.addr.data(), 16);
  }
  const Mac mac = compute_mac(key, {p, kCheckMacOffset});
  std::memcpy(p + kCheckMacOffset, mac.data(), mac.size());
  return kCheckSize;
}

std::optional<Header> peek(std::span<const std::uint8_t> b) {
  if (b.size() < kDataHeaderSize) return std::nullopt;
  const auto type = static_cast<Type>(b[0]);
  if (type != Type::check && type != Type::check_ack && type != Type::data) return std::nullopt;
  return Header{type, get_u64(&b[kTagOffset])};
}

CheckParse parse_check(std::span<const std::uint8_t> b, const PairKey& key, Check& out) {
  if (b.size() != kCheckSize) return CheckParse::malformed;
  const auto type = static_cast<Type>(b[0]);
  if (type != Type::check && type != Type::check_ack) return CheckParse::malformed;
  // Authenticate before interpreting anything else.
  if (!mac_matches(key, b.first(kCheckMacOffset), b.subspan(kCheckMacOffset, kMacSize))) {
    return CheckParse::bad_mac;
  }
  const std::uint8_t family = b[28];
  if ((b[1] & ~(kFlagControlling | kFlagNominate)) != 0 || b[2] != 0 || b[3] != 0 ||
      (family != 0 && family != 4 && family != 6)) {
    return CheckParse::malformed;
  }
  out = Check{};
  out.ack = type == Type::check_ack;
  out.from_controlling = (b[1] & kFlagControlling) != 0;
  out.nominate = (b[1] & kFlagNominate) != 0;
  out.receiver_tag = get_u64(&b[kTagOffset]);
  out.seq = get_u64(&b[12]);
  out.echo = get_u64(&b[20]);
  if (family != 0) {
    out.address.family = family;
    out.address.port = get_u16(&b[30]);
    std::memcpy(out.address.addr.data(), &b[32], family == 4 ? 4 : 16);
  }
  return CheckParse::ok;
}

void encode_data_header(std::span<std::uint8_t, kDataHeaderSize> out, Tag receiver_tag) {
  out[0] = static_cast<std::uint8_t>(Type::data);
  out[1] = out[2] = out[3] = 0;
  put_u64(&out[kTagOffset], receiver_tag);
}

bool ReplayWindow::test(std::uint64_t seq) const {
  const std::uint64_t i = seq % kSize;
  return (bits_[i / 64] >> (i % 64)) & 1u;
}

void ReplayWindow::set(std::uint64_t seq, bool on) {
  const std::uint64_t i = seq % kSize;
  const std::uint64_t mask = std::uint64_t{1} << (i % 64);
  if (on) {
    bits_[i / 64] |= mask;
  } else {
    bits_[i / 64] &= ~mask;
  }
}

bool ReplayWindow::accept(std::uint64_t seq) {
  if (seq == 0) return false;  // senders start at 1
  if (seq > highest_) {
    // Slide: clear the slots of the numbers skipped over (at most one full turn).
    const std::uint64_t gap = seq - highest_;
    if (gap >= kSize) {
      bits_.fill(0);
    } else {
      for (std::uint64_t s = highest_ + 1; s < seq; ++s) set(s, false);
    }
    highest_ = seq;
    set(seq, true);
    return true;
  }
  if (highest_ - seq >= kSize) return false;  // too old to tell: refuse
  if (test(seq)) return false;                // seen: a replay
  set(seq, true);
  return true;
}

}  // namespace sudachi::client::p2p::frame
