// The relay's per-datagram logic fuzzed as a sequence of datagrams from a handful of sources
// (docs/relay-protocol.md §4). The input is a script: each step sends raw bytes, or a HELLO
// built from real tokens (so that binding, pairing, re-binding and the cookie checks are
// reachable), or DATA/KEEPALIVE/BYE, or moves the clock and sweeps. After every step the
// security properties of the protocol must hold:
// - no answer to a source is larger than what it sent (a STUN answer: at most twice);
// - nothing but a HELLO_REPLY or a STUN answer ever goes to an address that is not bound;
// - a slot binds to an address only with the cookie the relay made for that very address;
// - nothing is ever sent to, or bound from, a source the filter refuses;
// - the session table, the address map and the per-IP counts stay consistent.
#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "relay/datagram_handler.hpp"

namespace sudachi::fuzz {
namespace {

using namespace relay;

constexpr const char* kTarget = "relay_handler";
constexpr std::uint16_t kPort = 3478;
constexpr std::int64_t kUnixNow = 1'700'000'000'000;
constexpr std::size_t kSessions = 3;

Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {a, b, c, d};
  return e;
}

// Sources a script picks from: peers on two IPs, the relay itself, and impossible ones.
const std::array<Endpoint, 8> kSources = {
    v4(192, 0, 2, 1, 40000),   v4(192, 0, 2, 1, 40001),   v4(192, 0, 2, 2, 40000),
    v4(198, 51, 100, 7, 3478), v4(127, 0, 0, 1, kPort),   v4(224, 0, 0, 1, 5000),
    v4(192, 0, 2, 9, 0),       v4(255, 255, 255, 255, 9),
};

// Built once: keys, tokens for every (session, slot, client), expired ones too.
struct World {
  auth::RelayTokenKeyring keyring{{{"k1", "fuzz-secret-0123456789abcdef0123"}}, "k1"};
  AddressCookies cookies{AddressCookies::Key{0x5e, 0xed}};
  SourceFilter sources{[] {
    SourceFilter::Config c;
    c.own_ports = {kPort};
    return c;
  }()};
  // [session][slot][client: 0 rightful, 1 intruder][expired]
  std::array<std::array<std::array<std::array<std::string, 2>, 2>, 2>, kSessions> tokens;

  World() {
    for (std::size_t s = 0; s < kSessions; ++s) {
      for (std::uint8_t slot = 0; slot < 2; ++slot) {
        for (int client = 0; client < 2; ++client) {
          for (int expired = 0; expired < 2; ++expired) {
            auth::RelayTokenClaims c;
            c.session_id[0] = static_cast<std::uint8_t>(s + 1);
            c.slot = slot;
            c.client_id = client == 0 ? "peer-" + std::to_string(slot) : "intruder";
            c.relay_id = "local";
            c.expires_at_ms = expired != 0 ? kUnixNow - 1 : kUnixNow + 3'600'000;
            tokens[s][slot][client][expired] = keyring.mint(c).value();
          }
        }
      }
    }
  }
};

const World& world() {
  static const World w;
  return w;
}

struct Harness {
  const World& w = world();
  SessionBudget budget{4};
  IpSessionLimits ip_limits{3, 2};
  SessionTable table{SessionLimits{1000, 5000, 0, 20'000, 60'000}, budget, &ip_limits};
  IpRateLimiter limiter{50, 10, 64};  // small: a fresh one per input
  WorkerStats stats;
  std::atomic<bool> draining{false};
  DatagramHandler handler{WorkerIdentity{0, {kPort}, "local"},
                          w.keyring,
                          w.cookies,
                          w.sources,
                          table,
                          limiter,
                          stats,
                          draining};
  std::array<std::uint8_t, DatagramHandler::kScratchSize> scratch{};
  std::int64_t now = 0;
};

bool bound(const Harness& h, const Endpoint& e) {
  return h.table.find(e).session != nullptr;
}

void check_tables(const std::uint8_t* data, std::size_t size, Harness& h) {
  std::map<std::pair<std::uint8_t, std::uint8_t>, std::uint32_t> slots_per_ip;  // IPv4 tail
  std::size_t sessions = 0;
  for (std::size_t s = 0; s < kSessions; ++s) {
    wire::SessionId id{};
    id[0] = static_cast<std::uint8_t>(s + 1);
    const Session* session = h.table.find(id);
    if (session == nullptr) continue;
    ++sessions;
    SUDACHI_FUZZ_CHECK(session->slots[0].bound || session->slots[1].bound);
    for (std::uint8_t slot = 0; slot < 2; ++slot) {
      const Slot& sl = session->slots[slot];
      if (!sl.bound) continue;
      SUDACHI_FUZZ_CHECK(!h.w.sources.refuse(sl.endpoint));
      const auto peer = h.table.find(sl.endpoint);
      SUDACHI_FUZZ_CHECK(peer.session == session && peer.slot == slot);
      SUDACHI_FUZZ_CHECK(sl.rebind_key != 0);
      ++slots_per_ip[{sl.endpoint.addr[2], sl.endpoint.addr[3]}];
    }
  }
  SUDACHI_FUZZ_CHECK(h.table.size() == sessions);
  SUDACHI_FUZZ_CHECK(static_cast<std::size_t>(h.budget.active()) == sessions);
  for (const Endpoint& e : kSources) {
    const auto it = slots_per_ip.find({e.addr[2], e.addr[3]});
    const std::uint32_t expected = it == slots_per_ip.end() ? 0 : it->second;
    SUDACHI_FUZZ_CHECK(h.ip_limits.slots(e) == expected);
    SUDACHI_FUZZ_CHECK(expected <= 3);
  }
}

void step(const std::uint8_t* data, std::size_t size, Harness& h, Script& script) {
  const std::uint8_t op = script.byte();
  const Endpoint& from = kSources[script.byte() % kSources.size()];
  std::vector<std::uint8_t> d;
  switch (op % 5) {
    case 0: {  // raw bytes
      const std::size_t n = script.byte() | (static_cast<std::size_t>(script.byte() & 0x07) << 8);
      const auto raw = script.bytes(n);
      d.assign(raw.begin(), raw.end());
      break;
    }
    case 1: {  // a HELLO from real tokens
      const std::uint8_t pick = script.byte();
      const std::uint8_t how = script.byte();
      const std::string& token =
          h.w.tokens[pick % kSessions][(pick >> 2) & 1][(pick >> 3) & 1][(pick >> 4) & 1];
      std::uint64_t key = 0;
      if ((how & 3) == 1) {  // the slot's real key, as a client re-binding would send
        wire::SessionId id{};
        id[0] = static_cast<std::uint8_t>(pick % kSessions + 1);
        if (const Session* s = h.table.find(id)) key = s->slots[(pick >> 2) & 1].rebind_key;
      } else if ((how & 3) == 2) {
        key = 0x0123456789abcdefULL;
      }
      std::uint64_t cookie = 0;
      const Endpoint& cookie_for = kSources[(how >> 3) % kSources.size()];
      if ((how & 4) != 0) cookie = h.w.cookies.make(cookie_for, kPort, h.now);
      d.resize(wire::kMaxUdpHello);
      d.resize(wire::encode_udp_hello(d, token, key, cookie));
      if ((how & 0x80) != 0 && !d.empty()) d.resize(d.size() - 1 - script.byte() % d.size());
      break;
    }
    case 2:  // DATA
      d = {0xC0, 0, 0, 0};
      d.resize(4 + script.byte() * 4u, 0x5a);
      break;
    case 3:  // KEEPALIVE or BYE
      d = {static_cast<std::uint8_t>((op & 8) != 0 ? 0xC5 : 0xC3), 0, 0, 0};
      d.resize(4 + script.byte() % 16, 1);
      break;
    default: {  // time passes; the worker's sweep runs
      h.now += script.byte() * 250;
      h.table.sweep(h.now, [](Session&, wire::CloseReason, SessionEnd) {});
      return;
    }
  }

  // What the step may do depends on the state before it.
  const bool was_bound = bound(h, from);
  std::vector<Endpoint> bound_before;
  for (const Endpoint& e : kSources) {
    if (bound(h, e)) bound_before.push_back(e);
  }
  wire::Hello hello;
  const bool is_hello =
      !d.empty() && d[0] == 0xC1 && wire::parse_hello(d, hello) == wire::HelloParse::ok;
  const std::uint64_t key_before =
      was_bound ? h.table.find(from).session->slots[h.table.find(from).slot].rebind_key : 0;

  DatagramHandler::Actions actions;
  const std::vector<std::uint8_t> sent = d;  // the handler may rewrite a KEEPALIVE in place
  h.handler.on_datagram(d, false, from, h.now, kUnixNow, h.scratch, actions);

  SUDACHI_FUZZ_CHECK(actions.count <= actions.sends.size());
  for (std::size_t i = 0; i < actions.count; ++i) {
    const UdpSend& s = actions.sends[i];
    SUDACHI_FUZZ_CHECK(!h.w.sources.refuse(s.to));
    SUDACHI_FUZZ_CHECK(s.size > 0 && s.data != nullptr);
    if (s.to == from) {
      const bool stun_answer = (s.data[0] & 0xC0) == 0;
      SUDACHI_FUZZ_CHECK(s.size <= (stun_answer ? 2 * sent.size() : sent.size()));
      if (!bound(h, from) && !was_bound) {
        SUDACHI_FUZZ_CHECK(stun_answer || s.data[0] == 0xC2);
      }
    } else {
      // Forwarded DATA or an EVENT: only to a peer that was bound already.
      SUDACHI_FUZZ_CHECK(std::find(bound_before.begin(), bound_before.end(), s.to) !=
                         bound_before.end());
    }
  }
  // Return routability: a new binding of `from` needed the cookie made for `from`.
  if (bound(h, from) &&
      (!was_bound ||
       h.table.find(from).session->slots[h.table.find(from).slot].rebind_key != key_before)) {
    SUDACHI_FUZZ_CHECK(is_hello && h.w.cookies.valid(hello.cookie, from, kPort, h.now));
  }
  if (h.w.sources.refuse(from)) SUDACHI_FUZZ_CHECK(actions.count == 0 && !bound(h, from));
  check_tables(data, size, h);
}

}  // namespace

int relay_handler_one_input(const std::uint8_t* data, std::size_t size) {
  Harness h;
  Script script(data, size);
  for (int steps = 0; steps < 256 && !script.done(); ++steps) step(data, size, h, script);
  return 0;
}

}  // namespace sudachi::fuzz

#ifndef SUDACHI_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sudachi::fuzz::relay_handler_one_input(data, size);
}
#endif
