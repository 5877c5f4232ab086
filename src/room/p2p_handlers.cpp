// Peer-to-peer signalling, outcome reports and relay allocation. Every p2p event names a room
// that both the sender and its target belong to: a client can only reach, or point a relay
// at, peers it is actually playing with (the spec's p2p:failure trusted targetClientId).
#include <array>
#include <string>
#include <utility>

#include <openssl/rand.h>
#include <boost/json.hpp>

#include "room/room_json.hpp"
#include "room/room_service_impl.hpp"

namespace sudachi::room {
namespace json = boost::json;

namespace {

bool is_member(const RoomView& view, std::string_view client_id) {
  for (const auto& m : view.members) {
    if (m.client_id == client_id) return true;
  }
  return false;
}

std::string to_hex(const std::array<std::uint8_t, 16>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

Error self_target() {
  return Error::make(ErrorCode::invalid_request, "targetClientId must be another member");
}

}  // namespace

void RoomServiceImpl::with_members(const Request& req, const std::string& room_id,
                                   std::optional<std::string> target,
                                   std::function<void(RoomView)> then) {
  deps_.store.get_room(
      room_id, [req, target = std::move(target), then = std::move(then)](Result<RoomView> view) {
        if (!view) return req.respond.fail(view.error());
        if (!is_member(*view, req.who.client_id)) {
          return req.respond.fail(Error::make(ErrorCode::not_in_room));
        }
        if (target && !is_member(*view, *target)) {
          return req.respond.fail(
              Error::make(ErrorCode::not_in_room, "The target is not a member of this room"));
        }
        then(std::move(*view));
      });
}

void RoomServiceImpl::p2p_signal(const Request& req, const json::value& payload) {
  auto parsed = parse_p2p_signal(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  if (parsed->target_client_id == req.who.client_id) return req.respond.fail(self_target());
  const std::string room_id = parsed->room_id;
  const std::string target = parsed->target_client_id;
  with_members(req, room_id, target, [this, req, signal = std::move(*parsed)](RoomView) {
    deps_.delivery.to_client(
        signal.target_client_id,
        event_frame("p2p:signal", json::object{{"roomId", signal.room_id},
                                               {"fromClientId", req.who.client_id},
                                               {"payload", signal.payload}}));
    req.respond.ack();
  });
}

void RoomServiceImpl::p2p_success(const Request& req, const json::value& payload) {
  auto parsed = parse_p2p_success(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  if (parsed->target_client_id == req.who.client_id) return req.respond.fail(self_target());
  const P2pOutcome outcome = parsed->outcome;
  with_members(req, parsed->room_id, parsed->target_client_id, [this, req, outcome](RoomView view) {
    deps_.store.record_p2p(view.room.id, outcome, [req](Result<Unit> done) {
      if (!done) return req.respond.fail(done.error());
      req.respond.ack();
    });
  });
}

void RoomServiceImpl::p2p_failure(const Request& req, const json::value& payload) {
  auto parsed = parse_p2p_failure(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  if (parsed->target_client_id == req.who.client_id) return req.respond.fail(self_target());
  const std::string room_id = parsed->room_id;
  const std::string target = parsed->target_client_id;
  with_members(req, room_id, target, [this, req, report = std::move(*parsed)](RoomView view) {
    // Allocations cost relay capacity: limited on their own, beyond the per-event limit.
    deps_.relay_limiter.consume(
        req.who.client_id, [this, req, report, room = std::move(view.room)](RateDecision d) {
          if (!d.allowed) {
            deps_.metrics.rate_limited.with({"relay"}).inc();
            deps_.metrics.relay_allocations.with({"rate_limited"}).inc();
            Error error = Error::make(ErrorCode::rate_limited, "Too many relay allocations");
            error.retry_after_seconds = d.retry_after_seconds;
            return req.respond.fail(error);
          }
          // Counting is best effort: a failed count must not cost the players their relay.
          deps_.store.record_p2p(room.id, P2pOutcome::failed, [](Result<Unit>) {});
          allocate_relay(req, report, room);
        });
  });
}

void RoomServiceImpl::allocate_relay(const Request& req, const P2pReport& report,
                                     const RoomRecord& room) {
  // The relay and session id are only a candidate: when the pair already has a live session
  // (the peer reported the failure first, or this is a repeated report) the claim returns that
  // one, and both peers get tokens for it again.
  deps_.relays.pick(room.region, [this, req, report,
                                  room_id = room.id](Result<RelayEndpoint> relay) {
    if (!relay) {
      deps_.metrics.relay_allocations.with({"no_relay"}).inc();
      return req.respond.fail(relay.error());
    }
    RelaySessionRecord candidate;
    if (RAND_bytes(candidate.session_id.data(), static_cast<int>(candidate.session_id.size())) !=
        1) {
      deps_.metrics.relay_allocations.with({"error"}).inc();
      return req.respond.fail(Error::make(ErrorCode::internal));
    }
    candidate.relay = std::move(*relay);
    candidate.expires_at_ms = deps_.clock.unix_ms() + deps_.relay_token_lifetime_ms;
    deps_.relay_sessions.claim(RelaySessionKey{room_id, req.who.client_id, report.target_client_id},
                               std::move(candidate), deps_.relay_token_lifetime_ms,
                               [this, req, report, room_id](Result<RelaySessionRecord> session) {
                                 if (!session) {
                                   deps_.metrics.relay_allocations.with({"error"}).inc();
                                   return req.respond.fail(session.error());
                                 }
                                 send_relay(req, report, room_id, *session);
                               });
  });
}

void RoomServiceImpl::send_relay(const Request& req, const P2pReport& report,
                                 const std::string& room_id, const RelaySessionRecord& session) {
  auth::RelayTokenClaims claims;
  claims.session_id = session.session_id;
  claims.relay_id = session.relay.id;
  claims.expires_at_ms = session.expires_at_ms;

  // One token per peer, slots fixed by the pair (slot 0: the smaller client id), so that the
  // mirrored report mints the same peer into the same slot. Neither can use the other's.
  const bool requester_first = req.who.client_id < report.target_client_id;
  const std::string peers[2] = {requester_first ? req.who.client_id : report.target_client_id,
                                requester_first ? report.target_client_id : req.who.client_id};
  json::object bodies[2];
  for (std::uint8_t slot = 0; slot < 2; ++slot) {
    claims.client_id = peers[slot];
    claims.slot = slot;
    auto token = deps_.relay_keys.mint(claims);
    if (!token) {
      deps_.metrics.relay_allocations.with({"error"}).inc();
      return req.respond.fail(token.error());
    }
    // peerClientId: which peer this session reaches, for clients with several peers (the
    // target of a report learns of the session only from this event).
    bodies[slot] =
        json::object{{"server", session.relay.host},           {"port", session.relay.udp_port},
                     {"tcpPort", session.relay.tcp_port},      {"protocol", "udp"},
                     {"sessionId", to_hex(claims.session_id)}, {"token", std::move(*token)},
                     {"expiresAt", claims.expires_at_ms},      {"peerClientId", peers[1 - slot]}};
  }
  deps_.metrics.relay_allocations.with({"ok"}).inc();
  deps_.store.record_p2p(room_id, P2pOutcome::relay, [](Result<Unit>) {});
  const int mine = requester_first ? 0 : 1;
  deps_.delivery.to_client(report.target_client_id, event_frame("use:relay", bodies[1 - mine]));
  req.respond.reply("use:relay", bodies[mine]);
}

void RoomServiceImpl::metrics_report(const Request& req, const json::value& payload) {
  auto parsed = parse_metrics_report(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  const std::string room_id = parsed->room_id;
  with_members(req, room_id, std::nullopt, [this, req, report = std::move(*parsed)](RoomView) {
    deps_.history.connection_metric(ConnectionMetricRow{
        req.who.client_id, report.room_id, report.connection_type, report.latency_ms,
        report.packet_loss_rate, report.bandwidth_kbps, deps_.clock.unix_ms()});
    req.respond.ack();
  });
}

}  // namespace sudachi::room
