#include "relay/session_table.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace sudachi::relay {

using wire::Status;

namespace {

BindResult refused_by_ip(IpSessionLimits::Verdict verdict) {
  BindResult r{Status::over_capacity};
  r.ip_limit = verdict;
  return r;
}

}  // namespace

SessionTable::SessionTable(SessionLimits limits, SessionBudget& budget, IpSessionLimits* ip_limits)
    : limits_(limits), budget_(budget), ip_limits_(ip_limits) {}

SessionTable::~SessionTable() {
  for (auto& [id, s] : sessions_) {
    release_slots(s);
    budget_.release();
  }
}

std::uint64_t SessionTable::new_rebind_key() {
  // Unguessable, or a third party could take over a live slot; never 0 (means "none").
  std::uint64_t key = 0;
  while (key == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&key), sizeof key) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
  }
  return key;
}

Session* SessionTable::find(const wire::SessionId& id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

BindResult SessionTable::bind(const BindRequest& r, std::int64_t now_ms) {
  if (r.slot > 1) return {Status::invalid_token};
  if (r.transport == Transport::udp && by_endpoint_.contains(r.from)) {
    // One address serves one slot: a client needs a socket per relay session, or datagrams
    // could not be told apart.
    const Peer p = by_endpoint_.at(r.from);
    if (p.session->id != r.session_id || p.slot != r.slot) return {Status::address_in_use};
  }
  if (Session* existing = find(r.session_id)) return bind_existing(*existing, r, now_ms);

  if (r.token_expired) return {Status::expired};
  if (r.draining) return {Status::draining};
  if (ip_limits_ != nullptr) {
    const auto verdict = ip_limits_->acquire(r.from, true);
    if (verdict != IpSessionLimits::Verdict::ok) return refused_by_ip(verdict);
  }
  if (!budget_.try_acquire()) {
    if (ip_limits_ != nullptr) ip_limits_->release(r.from, true);
    return {Status::over_capacity};
  }
  Session& s = sessions_[r.session_id];
  s.id = r.session_id;
  s.transport = r.transport;
  s.created_ms = now_ms;
  s.last_activity_ms = now_ms;
  s.last_data_ms = now_ms;
  // Burst of a quarter second (at least 64 KiB) lets a game's frame bursts through.
  const double rate = limits_.bandwidth_bytes_per_s;
  s.bandwidth = TokenBucket(rate, std::max(rate / 4, 65536.0), now_ms);
  Slot& slot = s.slots[r.slot];
  slot.bound = true;
  slot.client_id.assign(r.client_id);
  slot.endpoint = r.from;
  slot.tcp = r.tcp;
  if (r.transport == Transport::udp) {
    slot.rebind_key = new_rebind_key();
    by_endpoint_[r.from] = Peer{&s, r.slot};
  }
  return {Status::ok, &s, false, false, true};
}

BindResult SessionTable::bind_existing(Session& s, const BindRequest& r, std::int64_t now_ms) {
  if (s.transport != r.transport) return {Status::protocol_mismatch};
  Slot& slot = s.slots[r.slot];
  if (!slot.bound) {
    if (r.token_expired) return {Status::expired};
    if (ip_limits_ != nullptr) {
      const auto verdict = ip_limits_->acquire(r.from, false);
      if (verdict != IpSessionLimits::Verdict::ok) return refused_by_ip(verdict);
      ip_limits_->paired(s.slots[1 - r.slot].endpoint);  // the first peer no longer waits
    }
    slot.bound = true;
    slot.client_id.assign(r.client_id);
    slot.endpoint = r.from;
    slot.tcp = r.tcp;
    if (r.transport == Transport::udp) {
      slot.rebind_key = new_rebind_key();
      by_endpoint_[r.from] = Peer{&s, r.slot};
    }
    s.paired_ms = now_ms;
    s.last_activity_ms = now_ms;
    s.last_data_ms = now_ms;  // the data idle timeout runs from when data can flow
    return {Status::ok, &s, true};
  }
  if (r.transport == Transport::tcp || slot.client_id != r.client_id) return {Status::session_full};
  if (slot.endpoint == r.from) return {Status::ok, &s};  // a retransmitted HELLO
  if (r.rebind_key == 0 || r.rebind_key != slot.rebind_key) {
    return {r.token_expired ? Status::expired : Status::session_full};
  }
  if (ip_limits_ != nullptr &&
      IpSessionLimits::key(r.from) != IpSessionLimits::key(slot.endpoint)) {
    // Moving to another IP counts there, or binding elsewhere and moving would dodge the cap.
    const bool waiting = !s.paired();
    const auto verdict = ip_limits_->acquire(r.from, waiting);
    if (verdict != IpSessionLimits::Verdict::ok) return refused_by_ip(verdict);
    ip_limits_->release(slot.endpoint, waiting);
  }
  by_endpoint_.erase(slot.endpoint);
  slot.endpoint = r.from;
  by_endpoint_[r.from] = Peer{&s, r.slot};
  s.last_activity_ms = now_ms;
  return {Status::ok, &s, false, true};
}

void SessionTable::release_slots(const Session& s) {
  const bool waiting = !s.paired();
  for (const Slot& slot : s.slots) {
    if (!slot.bound) continue;
    if (s.transport == Transport::udp) by_endpoint_.erase(slot.endpoint);
    if (ip_limits_ != nullptr) ip_limits_->release(slot.endpoint, waiting);
  }
}

SessionEnd SessionTable::expiry(const Session& s, std::int64_t now_ms) const {
  const SessionLimits& l = limits_;
  if (!s.paired()) {
    if (now_ms - s.created_ms >= l.pairing_timeout_ms) return SessionEnd::pairing_timeout;
  } else if (now_ms - s.last_activity_ms >= l.idle_timeout_ms) {
    return SessionEnd::idle_timeout;
  } else if (s.transport == Transport::udp && l.data_idle_timeout_ms > 0 &&
             now_ms - s.last_data_ms >= l.data_idle_timeout_ms) {
    return SessionEnd::data_idle_timeout;
  }
  if (l.max_lifetime_ms > 0 && now_ms - s.created_ms >= l.max_lifetime_ms) {
    return SessionEnd::max_lifetime;
  }
  return SessionEnd::count_;
}

wire::CloseReason SessionTable::wire_reason(SessionEnd end) {
  switch (end) {
    case SessionEnd::idle_timeout:
    case SessionEnd::data_idle_timeout:  // to the peers, idle is idle
      return wire::CloseReason::idle_timeout;
    case SessionEnd::pairing_timeout:
      return wire::CloseReason::pairing_timeout;
    case SessionEnd::max_lifetime:
      return wire::CloseReason::max_lifetime;
    case SessionEnd::peer_bye:
      return wire::CloseReason::peer_bye;
    case SessionEnd::draining:
      return wire::CloseReason::draining;
    case SessionEnd::peer_closed:
    case SessionEnd::error:
    case SessionEnd::count_:
      break;
  }
  return wire::CloseReason::none;
}

void SessionTable::close(Session& s) {
  release_slots(s);
  budget_.release();
  const wire::SessionId id = s.id;  // erase(key) must not read a key inside the erased node
  sessions_.erase(id);
}

}  // namespace sudachi::relay
