#include "relay/datagram_handler.hpp"

#include <algorithm>

#include "relay/stun.hpp"
#include "relay/token_check.hpp"

namespace sudachi::relay {

using wire::Status;
using wire::Type;

DatagramHandler::DatagramHandler(WorkerIdentity identity, const auth::RelayTokenKeyring& keyring,
                                 const AddressCookies& cookies, const SourceFilter& sources,
                                 SessionTable& table, IpRateLimiter& limiter, WorkerStats& stats,
                                 const std::atomic<bool>& draining)
    : identity_(std::move(identity)),
      keyring_(keyring),
      cookies_(cookies),
      sources_(sources),
      table_(table),
      limiter_(limiter),
      stats_(stats),
      draining_(draining),
      idle_timeout_s_(static_cast<std::uint16_t>(
          std::min<std::int64_t>(table.limits().idle_timeout_ms / 1000, 65535))) {}

void DatagramHandler::on_datagram(std::span<std::uint8_t> d, bool truncated, const Endpoint& from,
                                  std::int64_t now_ms, std::int64_t now_unix_ms, Scratch scratch,
                                  Actions& out) {
  stats_.packet(Transport::udp, Direction::in, d.size());
  // Never answer, bind or forward to a source that cannot be a peer: whatever came "from"
  // there is spoofed, and a reply would reflect at a group, a subnet or the relay itself.
  if (sources_.refuse(from)) return stats_.drop(Drop::bad_source);
  if (truncated || d.size() > wire::kMaxDatagram) return stats_.drop(Drop::oversized);
  if (d.empty()) return stats_.drop(Drop::truncated);
  if (!wire::is_relay_type(d[0])) {
    if (stun::looks_like_stun(d)) return on_stun(d, from, now_ms, scratch, out);
    return stats_.drop(Drop::unknown_type);
  }
  if (d.size() < wire::kHeaderSize) return stats_.drop(Drop::truncated);
  switch (static_cast<Type>(d[0])) {
    case Type::data:
      return on_data(d, from, now_ms, out);
    case Type::hello:
      return on_hello(d, from, now_ms, now_unix_ms, scratch, out);
    case Type::keepalive:
      return on_keepalive(d, from, now_ms, out);
    case Type::bye:
      return on_bye(from, scratch, out);
    default:
      return stats_.drop(Drop::unknown_type);
  }
}

void DatagramHandler::on_data(std::span<std::uint8_t> d, const Endpoint& from, std::int64_t now_ms,
                              Actions& out) {
  const auto peer = table_.find(from);
  if (peer.session == nullptr) return stats_.drop(Drop::unbound_source);
  Session& s = *peer.session;
  s.last_activity_ms = now_ms;
  s.last_data_ms = now_ms;
  Slot& mine = s.slots[peer.slot];
  ++mine.packets;
  mine.bytes += d.size();
  const Slot& other = s.slots[1 - peer.slot];
  if (!other.bound) return stats_.drop(Drop::no_peer);
  if (!s.bandwidth.try_consume(static_cast<double>(d.size()), now_ms))
    return stats_.drop(Drop::bandwidth);
  stats_.relayed_bytes.add(d.size());
  out.add(other.endpoint, d.data(), d.size());  // forwarded unchanged, header included
}

void DatagramHandler::on_keepalive(std::span<std::uint8_t> d, const Endpoint& from,
                                   std::int64_t now_ms, Actions& out) {
  if (d.size() > wire::kMaxKeepalive) return stats_.drop(Drop::oversized);
  const auto peer = table_.find(from);
  if (peer.session == nullptr) return stats_.drop(Drop::unbound_source);
  peer.session->last_activity_ms = now_ms;
  d[0] = static_cast<std::uint8_t>(Type::keepalive_ack);  // echo in place: same size back
  out.add(from, d.data(), d.size());
}

void DatagramHandler::on_bye(const Endpoint& from, Scratch scratch, Actions& out) {
  const auto peer = table_.find(from);
  if (peer.session == nullptr) return stats_.drop(Drop::unbound_source);
  Session& s = *peer.session;
  const Slot& other = s.slots[1 - peer.slot];
  if (other.bound) {
    wire::encode_event(scratch.first<wire::kEventSize>(), wire::Event::session_closed,
                       wire::CloseReason::peer_bye);
    out.add(other.endpoint, scratch.data(), wire::kEventSize);
  }
  stats_.closed(SessionEnd::peer_bye);
  table_.close(s);
}

void DatagramHandler::reply(wire::HelloReply& r, const Endpoint& to, Scratch scratch,
                            Actions& out) {
  r.idle_timeout_s = idle_timeout_s_;
  wire::encode_hello_reply(scratch.first<wire::kHelloReplySize>(), r);
  stats_.handshake(Transport::udp, r.status);
  out.add(to, scratch.data(), wire::kHelloReplySize);
}

void DatagramHandler::on_hello(std::span<std::uint8_t> d, const Endpoint& from, std::int64_t now_ms,
                               std::int64_t now_unix_ms, Scratch scratch, Actions& out) {
  // Anti-amplification: never answer with more bytes than came in.
  if (d.size() < wire::kMinUdpHello) return stats_.drop(Drop::truncated);
  wire::HelloReply r;
  // The limit comes first: every later step (parsing, the HMAC) costs more than a lookup.
  if (!limiter_.allow(from, now_ms)) {
    r.status = Status::rate_limited;
    r.retry_after_s = limiter_.retry_after_s();
    return reply(r, from, scratch, out);
  }
  wire::Hello hello;
  switch (wire::parse_hello(d, hello)) {
    case wire::HelloParse::ok:
      break;
    case wire::HelloParse::unsupported_version:
      r.status = Status::unsupported_version;
      return reply(r, from, scratch, out);
    default:
      r.status = Status::malformed;
      return reply(r, from, scratch, out);
  }
  TokenCheck token = check_token(keyring_, hello.token, now_unix_ms, identity_.relay_id);
  if (token.status != Status::ok) {
    r.status = token.status;
    return reply(r, from, scratch, out);
  }
  r.slot = token.claims.slot;
  r.session_id = token.claims.session_id;
  if (token.expired && hello.rebind_key == 0) {
    r.status = Status::expired;
    return reply(r, from, scratch, out);
  }
  const std::size_t owner = owner_worker(token.claims.session_id, identity_.udp_ports.size());
  if (owner != identity_.index) {
    // Bind only where the data will flow: a symmetric NAT gives another source address per
    // destination port, so the peer must repeat the HELLO to the owner's port.
    r.status = Status::redirect;
    r.data_port = identity_.udp_ports[owner];
    return reply(r, from, scratch, out);
  }
  // Return routability (§4.2): a HELLO binds, re-binds or confirms a slot only with a cookie
  // that was sent to its source address. Without one, answer a cookie and keep no state: a
  // spoofer never sees it, and the answer is smaller than the HELLO that asked for it.
  if (!cookies_.valid(hello.cookie, from, my_port(), now_ms)) {
    r.status = Status::cookie;
    r.rebind_key = cookies_.make(from, my_port(), now_ms);
    return reply(r, from, scratch, out);
  }
  BindRequest bind;
  bind.session_id = token.claims.session_id;
  bind.slot = token.claims.slot;
  bind.client_id = token.claims.client_id;
  bind.token_expired = token.expired;
  bind.transport = Transport::udp;
  bind.from = from;
  bind.rebind_key = hello.rebind_key;
  bind.draining = draining_.load(std::memory_order_relaxed);
  const BindResult result = table_.bind(bind, now_ms);
  r.status = result.status;
  if (result.status == Status::over_capacity) {
    r.retry_after_s = 5;
    stats_.ip_refused(result.ip_limit);
  }
  if (result.status == Status::ok) {
    const Session& s = *result.session;
    r.data_port = my_port();
    r.peer_bound = s.paired();
    r.rebind_key = s.slots[bind.slot].rebind_key;
    if (result.created) stats_.opened(Transport::udp);
  }
  reply(r, from, scratch, out);
  if (result.newly_paired) {
    const Slot& other = result.session->slots[1 - bind.slot];
    auto event = scratch.subspan<wire::kHelloReplySize, wire::kEventSize>();
    wire::encode_event(event, wire::Event::peer_joined, wire::CloseReason::none);
    out.add(other.endpoint, event.data(), event.size());
  }
}

void DatagramHandler::on_stun(std::span<std::uint8_t> d, const Endpoint& from, std::int64_t now_ms,
                              Scratch scratch, Actions& out) {
  stun::BindingRequest request;
  if (stun::parse_binding_request(d, request) != stun::Parse::binding_request) {
    return stats_.stun_result(StunResult::malformed);
  }
  if (!limiter_.allow(from, now_ms)) return stats_.stun_result(StunResult::rate_limited);
  // Within twice the request: drop FINGERPRINT first, then refuse (an IPv6 answer to a bare
  // 20-byte request would be 44 bytes).
  const std::size_t limit = 2 * d.size();
  std::size_t size = stun::encode_binding_response(scratch, request, from, request.has_fingerprint);
  if (size > limit) size = stun::encode_binding_response(scratch, request, from, false);
  if (size == 0 || size > limit) return stats_.stun_result(StunResult::too_large);
  stats_.stun_result(StunResult::answered);
  out.add(from, scratch.data(), size);
}

}  // namespace sudachi::relay
