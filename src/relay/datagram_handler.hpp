#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "auth/relay_token.hpp"
#include "relay/cookie.hpp"
#include "relay/endpoint.hpp"
#include "relay/ip_rate_limiter.hpp"
#include "relay/session_table.hpp"
#include "relay/source_filter.hpp"
#include "relay/wire.hpp"
#include "relay/worker_stats.hpp"

// Everything a worker does with one UDP datagram, with no I/O: the back end (Asio or
// io_uring) receives, calls on_datagram, and transmits the sends it gets back. Keeping the
// protocol here means both back ends behave identically and the logic is unit-testable.
namespace sudachi::relay {

struct WorkerIdentity {
  std::size_t index = 0;                 // this worker
  std::vector<std::uint16_t> udp_ports;  // every worker's UDP port, by index (0 = main port)
  std::string relay_id;                  // tokens must name it
};

struct UdpSend {
  Endpoint to;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

class DatagramHandler {
 public:
  static constexpr std::size_t kScratchSize = 64;  // a HELLO_REPLY + an EVENT, or a STUN reply
  using Scratch = std::span<std::uint8_t, kScratchSize>;

  struct Actions {
    std::array<UdpSend, 2> sends;
    std::size_t count = 0;
    void add(const Endpoint& to, const std::uint8_t* data, std::size_t size) {
      sends[count++] = {to, data, size};
    }
  };

  // `cookies` and `sources` are shared by every worker (immutable); the rest is this worker's.
  DatagramHandler(WorkerIdentity identity, const auth::RelayTokenKeyring& keyring,
                  const AddressCookies& cookies, const SourceFilter& sources, SessionTable& table,
                  IpRateLimiter& limiter, WorkerStats& stats, const std::atomic<bool>& draining);

  // `datagram` is the received bytes (forwarded in place, so it must stay valid until sent);
  // `truncated` says the kernel cut it (MSG_TRUNC). Replies are composed in `scratch`.
  void on_datagram(std::span<std::uint8_t> datagram, bool truncated, const Endpoint& from,
                   std::int64_t now_ms, std::int64_t now_unix_ms, Scratch scratch, Actions& out);

  // Tells each bound UDP peer of a closing session (EVENT SESSION_CLOSED) through `send`.
  template <class SendFn>
  void announce_close(const Session& s, wire::CloseReason reason, SendFn&& send) {
    if (s.transport != Transport::udp) return;
    std::array<std::uint8_t, wire::kEventSize> event{};
    wire::encode_event(event, wire::Event::session_closed, reason);
    for (const Slot& slot : s.slots) {
      if (slot.bound) send(UdpSend{slot.endpoint, event.data(), event.size()});
    }
  }

  std::uint16_t my_port() const { return identity_.udp_ports[identity_.index]; }

 private:
  void on_hello(std::span<std::uint8_t> d, const Endpoint& from, std::int64_t now_ms,
                std::int64_t now_unix_ms, Scratch scratch, Actions& out);
  void on_stun(std::span<std::uint8_t> d, const Endpoint& from, std::int64_t now_ms,
               Scratch scratch, Actions& out);
  void on_data(std::span<std::uint8_t> d, const Endpoint& from, std::int64_t now_ms, Actions& out);
  void on_keepalive(std::span<std::uint8_t> d, const Endpoint& from, std::int64_t now_ms,
                    Actions& out);
  void on_bye(const Endpoint& from, Scratch scratch, Actions& out);
  void reply(wire::HelloReply& r, const Endpoint& to, Scratch scratch, Actions& out);

  WorkerIdentity identity_;
  const auth::RelayTokenKeyring& keyring_;
  const AddressCookies& cookies_;
  const SourceFilter& sources_;
  SessionTable& table_;
  IpRateLimiter& limiter_;
  WorkerStats& stats_;
  const std::atomic<bool>& draining_;
  std::uint16_t idle_timeout_s_;
};

}  // namespace sudachi::relay
