// The Engine.IO server session (protocol/engineio/server_session.hpp) fuzzed as a sequence of
// events, fed the way src/transport/engine_session.cpp feeds it: polling GETs and POSTs, a
// probe WebSocket and its upgrade, bursts of WebSocket messages (what one read brings, before
// the transport takes the effects), sends from the layer above, writes that complete or not,
// links that drop, the clock. Only sequences the transport can produce are fed (a message on a
// link that exists, a request for a sid not yet forgotten); the bytes in them are arbitrary.
// The input: a setup byte (queue bounds, timeouts, the first transport), then up to 256 steps,
// each an op byte, an argument byte and the step's own bytes. engineio_session_harness.hpp
// checks the contract after every step and, at the end, that nothing sent was lost.
#include <cstdint>
#include <string>
#include <string_view>

#include "engineio_session_harness.hpp"
#include "fuzz_support.hpp"

namespace sudachi::fuzz {
namespace {

using namespace engineio_session;

constexpr int kMaxSteps = 256;
constexpr std::size_t kMaxRawMessage = 255;
const std::string kDisconnect = "41";  // what the transport sends before server_disconnect

// Small bounds and short times, so that overflow and every timeout are a few steps away.
eio::SessionConfig config_from(std::uint8_t b) {
  eio::SessionConfig c;
  c.ping_interval_ms = 1000;
  c.ping_timeout_ms = 500;
  c.upgrade_timeout_ms = 300;
  c.connect_timeout_ms = (b & 0x08) != 0 ? 1500 : 60'000;
  c.max_payload = 200;
  c.max_queued_frames = 1 + (b & 0x07);
  c.max_queued_bytes = (b & 0x10) != 0 ? 128 : 512;
  c.max_packets_per_payload = 4;
  c.final_poll_wait_ms = (b & 0x20) != 0 ? 2000 : 200;  // over the ping timeout: capped by it
  return c;
}

// Texts that move the session between states; random bytes rarely spell them.
constexpr std::string_view kWsTexts[] = {
    "4hello",
    "40",
    "41",
    "42[\"e\"]",
    "2",
    "3",
    "1",
    "6",
    "5",
    "0",
    "2probe",
    "3probe",
    "",
    "4",
    "9",
    "490",
    "7",
    "b",
    "3probe",
    "4\x1e"
    "4",
};
constexpr std::string_view kProbeTexts[] = {"2probe", "5",   "2probe", "5", "3probe", "2",
                                            "5x",     "4hi", "1",      "",  "6",      "2probe "};
constexpr std::string_view kPostBodies[] = {
    "3",
    "40",
    "4hello",
    "41",
    "42[\"e\"]",
    "4a\x1e"
    "4b\x1e"
    "4c",
    "1",
    "6",
    "2",
    "2probe",
    "",
    "\x1e",
    "4a\x1e"
    "4b\x1e"
    "4c\x1e"
    "4d\x1e"
    "4e",
    "bAQID",
    "b!!",
    "3\x1e"
    "3",
    "5",
    "9",
    "0",
    "3\x1e"
    "40\x1e"
    "1",
};

template <std::size_t N>
std::string_view pick(const std::string_view (&table)[N], std::uint8_t b) {
  return table[b % N];
}

std::string_view raw(Script& script, std::size_t max) {
  const std::size_t n = script.byte() % (max + 1);
  const auto bytes = script.bytes(n);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void step(Harness& h, Script& script) {
  const std::uint8_t* data = h.data;  // for SUDACHI_FUZZ_CHECK
  const std::size_t size = h.size;
  const std::uint8_t op = script.byte();
  const std::uint8_t arg = script.byte();
  h.snapshot();
  switch (op % 14) {
    case 0:    // a burst of WebSocket messages on the primary, as one read delivers them
    case 1: {  // ... or on the probe
      const Link link = op % 14 == 0 ? Link::primary : Link::probe;
      if (!(link == Link::primary ? h.primary_open : h.probe_open)) return;
      const int count = 1 + (arg & 3);
      bool dropped = false;
      for (int i = 0; i < count && !dropped; ++i) {
        const std::uint8_t how = script.byte();
        // The transport learns of a promotion only when it takes the effects: the rest of
        // the burst still comes in as the probe's, though it is the session's transport now.
        const bool as_primary = h.session.transport() == Transport::websocket;
        if (how == 0x7F) {  // the read that brought the burst ends with the link going away
          const bool was_closed = h.session.closed();
          h.session.on_ws_closed(link, CloseReason::transport_close);
          if (!was_closed) {
            SUDACHI_FUZZ_CHECK(h.session.closed() == as_primary);
            if (as_primary) {
              SUDACHI_FUZZ_CHECK(h.session.close_reason() == CloseReason::transport_close);
            }
          }
          dropped = true;
          break;
        }
        const bool binary = (how & 0xC0) == 0xC0;
        std::string message((how & 0x80) != 0       ? raw(script, kMaxRawMessage)
                            : link == Link::primary ? pick(kWsTexts, how)
                                                    : pick(kProbeTexts, how));
        h.ws_message(link, as_primary, binary, message);
      }
      h.flush_and_check(dropped);
      if (dropped) {
        // Gone before the transport could promote it: it never became the primary.
        if (link == Link::probe) {
          h.probe_open = false;
          h.probe_answered = false;
        }
        h.primary_open = false;
        h.in_flight.clear();
      }
      return;
    }
    case 2:
      if (!h.forgotten) h.poll_get();
      return;
    case 3: {
      if (h.forgotten) return;
      std::string body;
      if ((arg & 0x80) != 0) {
        body = raw(script, kMaxRawMessage);
      } else if ((arg & 0x40) != 0) {
        body = "4" + std::string(h.config.max_payload - 1 + (arg & 1), 'x');  // at the limit
      } else {
        body = pick(kPostBodies, arg);
      }
      h.poll_post(body);
      return;
    }
    case 4:
      if (!h.forgotten) h.probe_open_request();
      return;
    case 5:  // the layer above sends: a room broadcast, a burst that may overflow the queue
      h.send_frames(1 + arg % (2 * h.config.max_queued_frames + 2), script.byte() % 48);
      h.flush_and_check();
      return;
    case 6:  // the primary may write: one batch in flight at a time
      if (h.primary_open && h.in_flight.empty()) h.ws_writable();
      return;
    case 7:  // the write in flight completes
      h.in_flight.clear();
      return;
    case 8: {  // a link goes away (WsConnection::detach's reasons)
      constexpr CloseReason kWhy[] = {CloseReason::transport_close, CloseReason::transport_error,
                                      CloseReason::payload_too_large};
      const CloseReason why = kWhy[(arg >> 1) % 3];
      if ((arg & 1) == 0 && h.primary_open) {
        h.session.on_ws_closed(Link::primary, why);
        SUDACHI_FUZZ_CHECK(h.session.closed());
        if (!h.before.closed) SUDACHI_FUZZ_CHECK(h.session.close_reason() == why);
        h.flush_and_check(true);
        h.primary_open = false;
        h.in_flight.clear();
      } else if ((arg & 1) == 1 && h.probe_open) {
        h.session.on_ws_closed(Link::probe, why);
        h.probe_open = false;
        h.probe_answered = false;
        SUDACHI_FUZZ_CHECK(h.session.closed() == h.before.closed);
        h.flush_and_check();
      }
      return;
    }
    case 9: {  // time passes; the timer fires (early, on time or late)
      std::int64_t at = h.now;
      const std::optional<std::int64_t> deadline = h.session.next_deadline();
      switch (arg & 3) {
        case 0:
          at += script.byte() * 4;
          break;
        case 1:  // just before, at or just after the next deadline
          if (deadline) at = std::max(at, *deadline + (arg >> 2) % 3 - 1);
          break;
        case 2:
          at += script.byte() * 64;
          break;
        default:  // a stale timer: nothing is due
          break;
      }
      h.timer(at);
      return;
    }
    case 10:  // server-side closes, as EngineSession::disconnect / shutdown / deliver do them
      switch (arg % 4) {
        case 0:
          if (!h.session.closed()) {
            h.session.send(std::make_shared<const std::string>(kDisconnect));
            h.session.close(CloseReason::server_disconnect);
          }
          break;
        case 1:
          h.session.close(CloseReason::server_shutdown);
          break;
        case 2:
          h.session.close(CloseReason::upper_violation);
          break;
        default:
          h.session.close(CloseReason::client_close);
          break;
      }
      h.flush_and_check();
      return;
    case 11:  // the parked GET's connection went away
      if (h.get_parked) {
        h.session.on_poll_get_abandoned();
        h.get_parked = false;
        h.flush_and_check();
      }
      return;
    case 12:
      h.connected = true;
      h.session.upper_connected();
      h.flush_and_check();
      return;
    default:  // a packet decoded elsewhere (on_packet directly), any type
      if (!h.forgotten && h.session.transport() == Transport::polling) {
        const auto type = static_cast<eio::PacketType>('0' + arg % 7);
        const std::string body(raw(script, 16));
        if (const auto in = h.session.on_packet(type, body, (arg & 0x80) != 0, h.now)) {
          SUDACHI_FUZZ_CHECK(type == eio::PacketType::message && in->data == body);
          SUDACHI_FUZZ_CHECK(in->binary == ((arg & 0x80) != 0));
          h.deliver(*in);
        }
        h.flush_and_check();
      }
      return;
  }
}

}  // namespace

int engineio_session_one_input(const std::uint8_t* data, std::size_t size) {
  Script script(data, size);
  const std::uint8_t setup = script.byte();
  Harness h(data, size, config_from(setup),
            (setup & 0x40) != 0 ? Transport::websocket : Transport::polling);
  for (int steps = 0; steps < kMaxSteps && !script.done(); ++steps) step(h, script);
  h.drain_and_check();
  return 0;
}

}  // namespace sudachi::fuzz

#ifndef SUDACHI_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sudachi::fuzz::engineio_session_one_input(data, size);
}
#endif
