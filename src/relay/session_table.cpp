#include "relay/session_table.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace sudachi::relay {

using wire::Status;

SessionTable::SessionTable(SessionLimits limits, SessionBudget& budget)
    : limits_(limits), budget_(budget) {}

SessionTable::~SessionTable() {
  for (std::size_t i = 0; i < sessions_.size(); ++i) budget_.release();
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
  if (!budget_.try_acquire()) return {Status::over_capacity};
  Session& s = sessions_[r.session_id];
  s.id = r.session_id;
  s.transport = r.transport;
  s.created_ms = now_ms;
  s.last_activity_ms = now_ms;
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
    return {Status::ok, &s, true};
  }
  if (r.transport == Transport::tcp || slot.client_id != r.client_id) return {Status::session_full};
  if (slot.endpoint == r.from) return {Status::ok, &s};  // a retransmitted HELLO
  if (r.rebind_key == 0 || r.rebind_key != slot.rebind_key) {
    return {r.token_expired ? Status::expired : Status::session_full};
  }
  by_endpoint_.erase(slot.endpoint);
  slot.endpoint = r.from;
  by_endpoint_[r.from] = Peer{&s, r.slot};
  s.last_activity_ms = now_ms;
  return {Status::ok, &s, false, true};
}

void SessionTable::forget_endpoints(const Session& s) {
  if (s.transport != Transport::udp) return;
  for (const Slot& slot : s.slots) {
    if (slot.bound) by_endpoint_.erase(slot.endpoint);
  }
}

void SessionTable::close(Session& s) {
  forget_endpoints(s);
  budget_.release();
  const wire::SessionId id = s.id;  // erase(key) must not read a key inside the erased node
  sessions_.erase(id);
}

}  // namespace sudachi::relay
