#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "room/relay_directory.hpp"
#include "room/room_store.hpp"

namespace sudachi::room {

// The two peers of one relay session in one room. The pair is unordered: (a, b) and (b, a)
// name the same session; normalized() puts the lexicographically smaller id first, which is
// also the peer that holds slot 0.
struct RelaySessionKey {
  std::string room_id;
  std::string client_a;
  std::string client_b;

  RelaySessionKey normalized() const {
    RelaySessionKey out = *this;
    if (out.client_b < out.client_a) std::swap(out.client_a, out.client_b);
    return out;
  }
};

// One relay session: which relay, which session id, and the latest moment (Unix ms) it may
// start (the expiry of the tokens minted for it).
struct RelaySessionRecord {
  std::array<std::uint8_t, 16> session_id{};
  RelayEndpoint relay;  // id, host, udp_port, tcp_port (region is not kept)
  std::int64_t expires_at_ms = 0;
};

// The relay sessions of live peer pairs, shared by every instance (Redis) or by the threads of
// one (in-process). When two peers fail to connect they usually both send p2p:failure about
// each other at about the same time; claim() makes both reports end in the same session.
//
// Callbacks may run inline or later on another thread (as RoomStore's); UNAVAILABLE when the
// backing service is unreachable.
class RelaySessions {
 public:
  virtual ~RelaySessions() = default;

  // Atomically: returns the unexpired record stored for the pair (key.normalized()), or stores
  // `candidate` for `ttl_ms` and returns it.
  virtual void claim(RelaySessionKey key, RelaySessionRecord candidate, std::int64_t ttl_ms,
                     Callback<RelaySessionRecord> done) = 0;
};

}  // namespace sudachi::room
