#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "auth/relay_token.hpp"
#include "auth/room_resume.hpp"
#include "common/clock.hpp"
#include "room/delivery.hpp"
#include "room/history_sink.hpp"
#include "room/password_attempts.hpp"
#include "room/rate_limiter.hpp"
#include "room/relay_directory.hpp"
#include "room/relay_sessions.hpp"
#include "room/responder.hpp"
#include "room/room_metrics.hpp"
#include "room/room_service.hpp"
#include "room/room_store.hpp"
#include "room/validation.hpp"
#include "room/work_slots.hpp"

namespace sudachi::room {

// The room server's application: validates each event, runs it against the shared RoomStore
// and tells the clients concerned through Delivery. It keeps no room state of its own (the
// store is the truth, possibly shared by several instances), so any thread may call it.
//
// Handlers are continuation chains: store, limiter, directory and offload callbacks may run
// inline or later on another thread, so each step captures what it needs by value and never
// holds a lock across a call. Handlers live in room_handlers.cpp (create, list, lobby, update,
// chat), membership_handlers.cpp (join, leave, kick, close, disconnect) and p2p_handlers.cpp.
class RoomServiceImpl final : public RoomService {
 public:
  struct Dependencies {
    RoomStore& store;
    Delivery& delivery;
    HistorySink& history;
    RateLimiter& event_limiter;  // every event, keyed on the client id
    RateLimiter& relay_limiter;  // relay allocations (p2p:failure), keyed on the client id
    RelayDirectory& relays;
    const auth::RelayTokenKeyring& relay_keys;
    RoomMetrics& metrics;
    const Clock& clock;
    // Runs password hashing/verification (milliseconds of CPU by design) off the network
    // thread; the continuation may run on the offload thread. Tests pass an inline runner.
    std::function<void(std::function<void()>)> offload;
    std::string region = "default";                  // rooms created without a region
    std::int64_t relay_token_lifetime_ms = 120'000;  // the latest a relay session may start
    std::string server_version = "0.0.0";
    // Room state outlives this instance (Redis, several instances): clients disconnected by a
    // drain keep their seats and reconnect to another instance; the presence sweep evicts
    // those that never come back. Embedded, a drain ends the rooms' only home, so they leave.
    bool shared_state = false;
    // The relay session of each peer pair, so that both peers' p2p:failure reports (usually
    // sent at about the same time) end in one session. Declared last (a reference has no
    // default): positional initialisers name it right after shared_state.
    RelaySessions& relay_sessions;
    // Signs room resume keys (the JWT secret, so that servers sharing it accept each other's
    // keys); empty disables resuming.
    std::string room_resume_secret = {};
    // Password work on `offload` (hashing on create and update, checks on join): at most this
    // many jobs queued or running. More are refused with UNAVAILABLE at once rather than queued
    // in front of everyone. 32 jobs on the 2 threads of the room server's pool wait about
    // 16 hashes' time (a few hundred ms) at worst.
    std::size_t password_queue_limit = 32;
    // Failed room:join passwords per (room, client) and per IP: refused with RATE_LIMITED
    // without hashing (password_attempts.hpp).
    PasswordAttemptPolicy password_attempts = {};
  };

  explicit RoomServiceImpl(Dependencies deps);

  void on_connected(const ClientIdentity& who, std::shared_ptr<ClientConnection> conn) override;
  void on_event(const ClientIdentity& who, const std::shared_ptr<ClientConnection>& conn,
                std::string_view event, boost::json::value payload,
                std::optional<std::uint64_t> ack_id) override;
  void on_disconnected(const ClientIdentity& who, const ClientConnection* conn) override;

  // The server is draining (SIGTERM): with shared state, disconnects from now on keep seats.
  void begin_drain() { draining_.store(true); }

  // Takes a client that is gone without a disconnect out of its room (reason `disconnected`),
  // as on_disconnected would have: used for the clients of a server instance that died and
  // who did not reconnect anywhere (found by the scale-out presence sweep).
  void evict_disconnected(const std::string& client_id);

 private:
  // One event in flight: who asked, and how to answer them.
  struct Request {
    ClientIdentity who;
    Responder respond;
  };
  using Handler = void (RoomServiceImpl::*)(const Request&, const boost::json::value&);
  struct Route {
    std::string_view event;
    Handler handler;
  };
  static std::span<const Route> routes();
  static const Route* find_route(std::string_view event);

  void dispatch(Handler handler, const Request& req, const boost::json::value& payload);

  // room_handlers.cpp
  void room_create(const Request& req, const boost::json::value& payload);
  void create_checked(const Request& req, CreateRoomRequest create);
  void create_with_hash(const Request& req, CreateRoomRequest create, std::string password_hash);
  void room_list(const Request& req, const boost::json::value& payload);
  void lobby_subscribe(const Request& req, const boost::json::value& payload);
  void lobby_unsubscribe(const Request& req, const boost::json::value& payload);
  void room_update(const Request& req, const boost::json::value& payload);
  void apply_update(const Request& req, const UpdateRoomRequest& update, RoomUpdate change);
  void room_chat(const Request& req, const boost::json::value& payload);

  // membership_handlers.cpp
  void room_join(const Request& req, const boost::json::value& payload);
  void seat(const Request& req, const std::string& room_id, std::string expected_hash);
  void room_leave(const Request& req, const boost::json::value& payload);
  void room_kick(const Request& req, const boost::json::value& payload);
  void room_close(const Request& req, const boost::json::value& payload);
  void leave_after_disconnect(const std::string& client_id);
  // Tells the room about a departure (member left, host changed) or, when it was the last
  // member, retires the room.
  void announce_departure(const LeaveOutcome& outcome, LeaveReason reason);
  // A room is gone: history row, metrics, lobby. `reason` is "closed_by_host" or "empty".
  void retire_room(const RoomRecord& room, std::string_view reason);

  // p2p_handlers.cpp
  void p2p_signal(const Request& req, const boost::json::value& payload);
  void p2p_success(const Request& req, const boost::json::value& payload);
  void p2p_failure(const Request& req, const boost::json::value& payload);
  void allocate_relay(const Request& req, const P2pReport& report, const RoomRecord& room);
  // Tells both peers of `report` about the session the pair claimed.
  void send_relay(const Request& req, const P2pReport& report, const std::string& room_id,
                  const RelaySessionRecord& session);
  void metrics_report(const Request& req, const boost::json::value& payload);
  // Runs `then` with the room when the requester and (if given) `target` are both members;
  // ROOM_NOT_FOUND / NOT_IN_ROOM to the requester otherwise.
  void with_members(const Request& req, const std::string& room_id,
                    std::optional<std::string> target, std::function<void(RoomView)> then);

  // Runs `work` on deps_.offload holding a password slot; when every slot is taken, answers
  // UNAVAILABLE (retry after 1 s) instead and returns false (membership_handlers.cpp).
  bool offload_password_work(const Request& req, std::function<void()> work);

  // Lobby subscribers of the room's game get room:list:update {type, room}; private rooms
  // are never announced.
  void lobby_update(std::string_view type, const RoomRecord& room);
  void to_members(const std::vector<Member>& members, std::string_view event,
                  const boost::json::value& payload);

  Dependencies deps_;
  auth::RoomResumeKeys resume_keys_;
  std::vector<metrics::Counter*> event_counters_;  // by route index; the last one: unknown events
  std::vector<metrics::Histogram*> event_durations_;  // likewise
  // Set when the server starts draining (see begin_drain).
  std::atomic<bool> draining_{false};
  // Declared after deps_, which they are made from.
  WorkSlots password_slots_{deps_.password_queue_limit};
  PasswordAttempts password_attempts_{deps_.password_attempts, deps_.clock};
};

}  // namespace sudachi::room
