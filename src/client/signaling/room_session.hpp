#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "client/signaling/backoff.hpp"
#include "client/signaling/room_codec.hpp"
#include "client/signaling/server_url.hpp"
#include "client/signaling/signaling_connection.hpp"
#include "sudachi/mp.hpp"

// The player's session with the room service: which server, which identity, which room, and
// keeping all three through failures.
//
// - Identity: the caller's token, or a guest sign-up on the server being tried (again when a
//   server refuses a guest token that another server issued).
// - Connection: one SignalingConnection at a time. When it drops, the client retries the same
//   server, then moves along the list; delays are exponential backoff with full jitter.
// - Room: after a reconnect the player gets back into the room it was in. The server may still
//   hold the seat (`connected.roomId`); otherwise members rejoin, and the creator of a room
//   the server lost (a restart, another server of the list) re-creates it with the same id
//   through its resume key, while the members retry until it is back, within a bounded window.
//   Peers that have not come back by the end of the window count as gone. The peer network is
//   not torn down by any of this: datagrams keep flowing while the signalling heals.
// - Calls wait for the connection (and a restore in progress) within their timeout.
//
// Single-threaded: every method on the io_context's thread. Events go out through the `emit`
// function given at construction, peer-network inputs through PeerHooks.
namespace sudachi::client {

// What the session tells the peer network (the client's adapter implements it).
class PeerHooks {
 public:
  virtual ~PeerHooks() = default;
  virtual void set_local_id(const std::string& client_id) = 0;
  virtual void set_stun_servers(const std::vector<StunServer>& servers) = 0;
  virtual void add_peer(const std::string& peer_id) = 0;
  virtual void remove_peer(const std::string& peer_id) = 0;
  virtual void on_signal(const std::string& peer_id, std::string_view payload_json) = 0;
  virtual void on_use_relay(const std::string& peer_id, const RelayOfferFields& offer) = 0;
  // The path's figures, for metrics:report; nullopt for a peer without one.
  virtual std::optional<mp::PeerStats> stats(const std::string& peer_id) const = 0;
};

struct SessionConfig {
  std::vector<ServerUrl> servers;
  std::string token;  // empty: guest sign-up
  std::string username;
  std::string platform;
  std::string sudachi_version;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds call_timeout{10'000};
  std::chrono::milliseconds reconnect_initial{250};
  std::chrono::milliseconds reconnect_max{10'000};
  int give_up_after_passes = 0;
  std::chrono::milliseconds restore_window{30'000};
  std::uint64_t seed = 1;
  std::size_t max_queued_signals = 256;
  // metrics:report for every peer with a path, this often and before leaving; 0: never.
  std::chrono::milliseconds metrics_interval{300'000};
};

class RoomSession : public std::enable_shared_from_this<RoomSession> {
 public:
  using EmitFn = std::function<void(mp::Event)>;

  RoomSession(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
              SessionConfig config, PeerHooks& peers, EmitFn emit);
  ~RoomSession();

  void start();
  // Leaves the room (bounded by `grace`), closes the connection; `done` runs once after.
  void stop(std::chrono::milliseconds grace, std::function<void()> done);

  // ---- calls: each ends in one call_done event with `id`
  void list_rooms(mp::RequestId id, const mp::ListRoomsOptions& options);
  void create_room(mp::RequestId id, const mp::CreateRoomOptions& options);
  void join_room(mp::RequestId id, const std::string& room_id, const std::string& password);
  void leave_room(mp::RequestId id);
  void close_room(mp::RequestId id);
  void kick(mp::RequestId id, const std::string& client_id);
  void update_room(mp::RequestId id, const mp::RoomUpdateOptions& options);
  void chat(mp::RequestId id, const std::string& text);
  void subscribe_lobby(mp::RequestId id, const std::string& game_id);
  void unsubscribe_lobby(mp::RequestId id);
  // Fails `id` at once (the client refused the call before it reached the session).
  void fail_call(mp::RequestId id, mp::Call call, mp::Error error);

  // ---- from the peer network: sent in the current room, queued while the room is away
  void send_signal(const std::string& peer_id, std::string payload_json);
  void report_failure(const std::string& peer_id);
  void report_success(const std::string& peer_id, mp::PathKind path, std::uint32_t latency_ms);

  // ---- snapshots
  mp::ConnectionState state() const { return state_; }
  const std::string& client_id() const { return client_id_; }
  const std::optional<mp::RoomInfo>& room() const { return room_; }
  const std::vector<mp::Member>& members() const { return members_; }
  const std::vector<StunServer>& stun_servers() const { return stun_; }
  std::uint64_t reconnects() const { return reconnects_; }

 private:
  struct PendingCall {
    mp::RequestId id = 0;
    mp::Call call = mp::Call::none;
    std::string event;
    boost::json::value payload;
    bool needs_room = false;  // the current room id goes into payload.roomId when sent
    std::int64_t deadline_ms = 0;
  };
  struct OutgoingSignal {
    std::string event;            // p2p:signal, p2p:failure, p2p:success
    boost::json::object payload;  // without roomId
  };

  static std::int64_t now_ms();

  // room_session.cpp: connection lifecycle
  void attempt();
  void open_connection(const ServerUrl& url);
  void on_connected(const Connected& info);
  void on_closed(const mp::Error& error);
  void schedule_attempt(std::chrono::milliseconds delay);
  void go_offline(mp::Error error);
  void emit_connection(mp::Error error = {});
  void tick();
  void arm_tick();

  // room_calls.cpp: calls and their acks
  void submit(PendingCall call);
  void send_call(PendingCall call);
  void flush_waiting();
  void finish_call(const PendingCall& call, const SignalingConnection::Reply& reply);
  void call_done(mp::RequestId id, mp::Call call, mp::Error error, mp::Event event = {});
  bool ready() const;

  // room_events.cpp: server events, room state, restore, p2p routing
  void on_event(ServerEvent event);
  void enter_room(mp::RoomInfo room, std::vector<mp::Member> members, bool resumed);
  void leave_room_state(const std::string& reason, mp::Error error = {});
  void add_member(const mp::Member& member);
  void remove_member(const std::string& client_id, const std::string& reason);
  void restore_room(const std::optional<std::string>& seated_room);
  // One request of the restore; `on_answer` runs with the server's answer while the restore
  // is still wanted (a lost connection ends it: the next connection restores; a timeout or
  // RATE_LIMITED retries it).
  void restore_call(std::string_view event, const boost::json::value& payload,
                    std::function<void(RoomSession&, const AckBody&)> on_answer);
  void restore_step();
  void restore_create();
  void restore_retry(std::chrono::milliseconds delay);
  void restore_done();
  void expire_absent();
  void report_metrics();
  void queue_signal(OutgoingSignal signal);
  void flush_signals();
  void emit_event(mp::Event event);

  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  SessionConfig config_;
  PeerHooks& peers_;
  EmitFn emit_;

  // Connection.
  std::shared_ptr<SignalingConnection> conn_;
  mp::ConnectionState state_ = mp::ConnectionState::offline;
  bool started_ = false;
  bool stopping_ = false;
  bool ever_connected_ = false;
  std::size_t server_index_ = 0;
  int failed_in_pass_ = 0;  // consecutive failed attempts; a pass is servers.size() of them
  int passes_ = 0;
  Backoff backoff_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer tick_timer_;
  mp::Error last_error_;
  std::string token_;
  bool guest_token_ = false;
  std::string client_id_;
  std::vector<StunServer> stun_;
  std::uint64_t reconnects_ = 0;
  std::function<void()> stop_done_;

  // Calls.
  std::deque<PendingCall> waiting_;  // made while not ready

  // Room.
  std::optional<mp::RoomInfo> room_;
  std::vector<mp::Member> members_;
  std::string room_password_;                          // to rejoin with
  std::optional<mp::CreateRoomOptions> created_with_;  // set when this client created the room
  std::string resume_key_;
  bool seated_ = false;     // the current connection's server has us in room_
  bool restoring_ = false;  // getting back into room_ after a reconnect
  std::int64_t restore_deadline_ms_ = 0;
  Backoff restore_backoff_;
  boost::asio::steady_timer restore_timer_;
  // Peers not (yet) back in the room after a restore: dropped when their time is up.
  std::map<std::string, std::int64_t> absent_until_ms_;
  std::deque<OutgoingSignal> signals_;
  // Per peer: traffic counted at the last metrics report (bandwidth is the rate since).
  struct TrafficSample {
    std::uint64_t bytes = 0;
    std::int64_t at_ms = 0;
  };
  std::map<std::string, TrafficSample> traffic_;
  std::int64_t next_metrics_ms_ = 0;

  // Lobby subscription, restored after a reconnect.
  std::optional<std::string> lobby_game_;
};

}  // namespace sudachi::client
