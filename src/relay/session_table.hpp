#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "relay/endpoint.hpp"
#include "relay/ip_session_limits.hpp"
#include "relay/token_bucket.hpp"
#include "relay/wire.hpp"

// The sessions of one worker. Each worker owns the sessions whose id hashes to it (see
// owner_worker), so both legs of a session meet here and the table needs no lock.
namespace sudachi::relay {

enum class Transport : std::uint8_t { udp, tcp };

// Why a session ended, as counted in sudachi_relay_sessions_closed_total{reason}; finer than
// the wire's CloseReason (a data idle timeout is IDLE_TIMEOUT to the peers).
enum class SessionEnd : std::uint8_t {
  idle_timeout,
  data_idle_timeout,
  pairing_timeout,
  max_lifetime,
  peer_bye,
  draining,
  peer_closed,
  error,
  count_
};

// Which worker serves a session: both legs must compute the same answer from the id alone.
inline std::size_t owner_worker(const wire::SessionId& id, std::size_t workers) {
  return workers <= 1 ? 0 : static_cast<std::size_t>(wire::get_u64(id.data()) % workers);
}

struct SessionIdHash {
  std::size_t operator()(const wire::SessionId& id) const noexcept {
    // Session ids are CSPRNG output (the room server mints them): any 8 bytes spread well.
    return static_cast<std::size_t>(wire::get_u64(id.data() + 8));
  }
};

// The relay-wide session limit, shared by all workers; touched only when a session opens or
// closes, never per packet.
class SessionBudget {
 public:
  explicit SessionBudget(std::int64_t max_sessions) : max_(max_sessions) {}
  bool try_acquire() {
    std::int64_t n = active_.load(std::memory_order_relaxed);
    do {
      if (n >= max_) return false;
    } while (!active_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
  }
  void release() { active_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t active() const { return active_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> active_{0};
  std::int64_t max_;
};

struct Slot {
  bool bound = false;
  Endpoint endpoint;             // UDP: the only address accepted from, and sent to
  std::uint64_t rebind_key = 0;  // UDP: proves a re-binding HELLO comes from this peer
  std::string client_id;         // from the token: a third peer has another one
  void* tcp = nullptr;           // TCP: the back end's connection, opaque here
  std::uint64_t packets = 0;     // received from this peer
  std::uint64_t bytes = 0;
};

struct Session {
  wire::SessionId id{};
  Transport transport = Transport::udp;
  std::array<Slot, 2> slots;
  std::int64_t created_ms = 0;
  std::int64_t paired_ms = 0;  // 0 until both slots are bound
  std::int64_t last_activity_ms = 0;
  std::int64_t last_data_ms = 0;  // UDP: DATA received (keepalives do not count)
  TokenBucket bandwidth;

  bool paired() const { return slots[0].bound && slots[1].bound; }
};

struct SessionLimits {
  std::int64_t pairing_timeout_ms = 30'000;
  std::int64_t idle_timeout_ms = 60'000;
  double bandwidth_bytes_per_s = 0;  // 0: unlimited
  // A paired UDP session with keepalives but no DATA this long is closed (0: never), so that
  // keepalives alone cannot hold a session for ever.
  std::int64_t data_idle_timeout_ms = 300'000;
  // No session outlives this, whatever it carries (0: no limit).
  std::int64_t max_lifetime_ms = 86'400'000;
};

// What the handshake brings, after the token's signature and relay id were checked.
struct BindRequest {
  wire::SessionId session_id{};
  std::uint8_t slot = 0;
  std::string_view client_id;
  bool token_expired = false;  // only a re-binding of a live slot is accepted then
  Transport transport = Transport::udp;
  Endpoint from;  // UDP source; TCP: the peer's address (per-IP limits only)
  std::uint64_t rebind_key = 0;
  void* tcp = nullptr;
  bool draining = false;  // refuse to open new sessions (existing ones may complete)
};

struct BindResult {
  wire::Status status = wire::Status::ok;
  Session* session = nullptr;  // set on ok
  bool newly_paired = false;   // this bind completed the pair
  bool rebound = false;        // the slot moved to a new address
  bool created = false;        // this bind opened the session
  // With status over_capacity: which per-IP cap refused (ok: the relay-wide limit).
  IpSessionLimits::Verdict ip_limit = IpSessionLimits::Verdict::ok;
};

class SessionTable {
 public:
  // `ip_limits` (shared by the workers; may be null: no per-IP caps) must outlive the table.
  SessionTable(SessionLimits limits, SessionBudget& budget, IpSessionLimits* ip_limits = nullptr);
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  BindResult bind(const BindRequest& request, std::int64_t now_ms);

  struct Peer {
    Session* session = nullptr;
    std::uint8_t slot = 0;
  };
  // The UDP session slot bound to `from`; {nullptr} when none. The per-packet lookup.
  Peer find(const Endpoint& from) const {
    auto it = by_endpoint_.find(from);
    return it == by_endpoint_.end() ? Peer{} : it->second;
  }
  Session* find(const wire::SessionId& id);

  // Removes the session and frees its budget.
  void close(Session& session);

  // Calls on_close(session, wire reason, SessionEnd) for every session past its pairing, idle,
  // data idle or lifetime limit, then removes it.
  template <class F>
  void sweep(std::int64_t now_ms, F&& on_close) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Session& s = it->second;
      const SessionEnd end = expiry(s, now_ms);
      if (end == SessionEnd::count_) {
        ++it;
        continue;
      }
      on_close(s, wire_reason(end), end);
      release_slots(s);
      budget_.release();
      it = sessions_.erase(it);
    }
  }

  // Every session, for draining.
  template <class F>
  void close_all(F&& on_close) {
    for (auto& [id, s] : sessions_) {
      on_close(s, wire::CloseReason::draining, SessionEnd::draining);
      release_slots(s);
      budget_.release();
    }
    sessions_.clear();
  }

  std::size_t size() const { return sessions_.size(); }
  const SessionLimits& limits() const { return limits_; }

 private:
  BindResult bind_existing(Session& s, const BindRequest& r, std::int64_t now_ms);
  // Forgets the session's addresses and gives back their per-IP counts.
  void release_slots(const Session& s);
  // SessionEnd::count_ while the session may live on.
  SessionEnd expiry(const Session& s, std::int64_t now_ms) const;
  static wire::CloseReason wire_reason(SessionEnd end);
  static std::uint64_t new_rebind_key();

  SessionLimits limits_;
  SessionBudget& budget_;
  IpSessionLimits* ip_limits_;
  std::unordered_map<wire::SessionId, Session, SessionIdHash> sessions_;
  std::unordered_map<Endpoint, Peer, EndpointHash> by_endpoint_;
};

}  // namespace sudachi::relay
