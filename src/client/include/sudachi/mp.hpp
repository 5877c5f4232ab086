#pragma once

// libsudachi-mp: what a game (the Sudachi emulator) links to play online. One Client talks to
// a sudachi-room server (lobby, rooms, signalling) and to the other players of its room
// (datagrams, direct when hole punching works, through sudachi-relay when it does not).
//
// This header is the whole public C++ API. It names no Boost, Asio, OpenSSL or JSON type: the
// implementation lives behind a pointer. The C API over the same library is <sudachi/mp.h>.
//
// Threading. Every network operation runs on the client's own thread, started by start().
// The methods of Client may be called from any thread. Events and received datagrams reach
// the application in one of two ways, chosen in ClientConfig:
//   - poll (default): they queue inside the client; poll(handler) hands them to `handler` on
//     the calling thread and never blocks; wait() sleeps until there is something to poll.
//   - callbacks: ClientConfig::callbacks receives them on the client's thread, as they happen.
//     Keep those handlers short; they may call Client methods (except stop() and the
//     destructor).
//
// Calls (create_room, join_room, ...) return at once with a request id. Their outcome is an
// Event of type call_done with that id (and the optional per-call completion runs with the same
// event, on the thread that delivers events). Calls made while the client is still connecting
// wait for the connection, within their timeout.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sudachi::mp {

// The room server's error codes (docs/room-protocol.md) and the client's own.
enum class ErrorCode {
  none = 0,
  auth_failed,
  rate_limited,
  invalid_request,
  room_not_found,
  room_full,
  wrong_password,
  not_host,
  not_in_room,
  already_in_room,
  banned,
  no_relay_available,
  unavailable,
  internal,
  // The client's own:
  timeout,           // no answer within the call timeout
  disconnected,      // the connection to the room server dropped before the answer
  unreachable,       // no room server of the list could be reached
  protocol_error,    // the server sent something this client does not understand
  invalid_argument,  // refused before sending: bad size, no room, client stopped...
  room_lost,         // the room could not be restored after a reconnect
  unknown,           // a server code this version does not know
};

// "ROOM_FULL", "TIMEOUT", ... ("" for none).
std::string_view to_string(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::none;
  std::string message;
  int retry_after_s = 0;  // RATE_LIMITED: seconds until a retry may succeed
  explicit operator bool() const { return code != ErrorCode::none; }
};

struct RoomInfo {
  std::string id;
  std::string game_id;  // the title id: 16 hex digits
  std::string game_name;
  std::string name;
  std::string host_client_id;
  std::string host_username;
  int max_players = 0;
  int players = 0;
  bool has_password = false;
  bool is_public = true;
  std::string region;
  std::int64_t created_at_ms = 0;
};

struct Member {
  std::string client_id;
  std::string username;
  std::string platform;
  std::int64_t joined_at_ms = 0;
};

enum class PathKind { none, direct, relay };
std::string_view to_string(PathKind path) noexcept;  // "none", "direct", "relay"

struct PeerStats {
  PathKind path = PathKind::none;
  double rtt_ms = 0;  // smoothed round-trip time of the path's keepalives
  double loss = 0;    // fraction of keepalives unanswered, 0..1
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
  std::int64_t connect_ms = -1;  // from learning of the peer to its first path; -1: not yet
};

enum class ConnectionState {
  connecting,    // the first connection is being made
  connected,     // signed in to a room server
  reconnecting,  // the connection dropped; retrying with backoff (the room is restored after)
  offline,       // given up (see the event's error), or stopped
};
std::string_view to_string(ConnectionState state) noexcept;

enum class EventType {
  connection,         // state, server, client_id (when connected), error (why it dropped)
  room_joined,        // room, members; resumed: back in the room after a reconnect
  room_left,          // room_id, reason: left, kicked, closed_by_host, empty or lost (+ error)
  room_updated,       // room
  member_joined,      // member
  member_left,        // client_id, reason: left, kicked or disconnected
  host_changed,       // client_id: the new host
  chat,               // room_id, client_id (sender), username, text, at_ms
  lobby_update,       // reason: add, update or remove; room
  peer_connected,     // peer_id, path, connect_ms
  peer_path_changed,  // peer_id, path
  peer_disconnected,  // peer_id
  peer_failed,        // peer_id, error: neither a direct path nor the relay could be used
  call_done,          // request_id, call, error; room, members, rooms, total as the call gives
  error,              // a server error that answers no call of this client
};
std::string_view to_string(EventType type) noexcept;

enum class Call {
  none,
  list_rooms,
  create_room,
  join_room,
  leave_room,
  close_room,
  kick,
  update_room,
  chat,
  subscribe_lobby,
  unsubscribe_lobby,
};
std::string_view to_string(Call call) noexcept;

// One thing that happened. Only the fields named for the type are meaningful.
struct Event {
  EventType type = EventType::error;
  ConnectionState state = ConnectionState::offline;
  std::string server;     // connection: the server URL concerned
  std::string client_id;  // connection, member_left, host_changed, chat (sender)
  std::string room_id;
  std::string reason;
  bool resumed = false;
  std::optional<RoomInfo> room;
  std::vector<Member> members;
  std::optional<Member> member;
  std::vector<RoomInfo> rooms;  // call_done of list_rooms
  int total = 0;                // call_done of list_rooms: matching rooms before paging
  std::string username;         // chat
  std::string text;             // chat
  std::int64_t at_ms = 0;       // chat
  std::string peer_id;
  PathKind path = PathKind::none;
  std::int64_t connect_ms = -1;
  std::uint64_t request_id = 0;
  Call call = Call::none;
  Error error;
};

// Receives events and datagrams (see Threading above).
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_event(const Event& event) { (void)event; }
  // `data` is valid only during the call.
  virtual void on_datagram(std::string_view from_peer, std::span<const std::byte> data) {
    (void)from_peer;
    (void)data;
  }
};

enum class LogLevel { debug, info, warn, error };

struct ClientConfig {
  // Room servers to use, in order of preference: http://, https://, ws:// or wss:// URLs
  // (host[:port][/base path]). When one is unreachable the client moves to the next.
  std::vector<std::string> servers;

  // Identity: `token` is a JWT signed by the operator's identity service; without one the
  // client signs up as a guest named `username` (1..32 characters).
  std::string token;
  std::string username = "player";
  std::string platform = "unknown";
  std::string sudachi_version = "unknown";

  // TLS (https://, wss://): servers are verified against the system's trust store, plus the
  // certificates of this PEM file when set.
  std::string ca_file;

  std::chrono::milliseconds connect_timeout{5'000};  // one attempt: TCP, TLS, handshakes
  std::chrono::milliseconds call_timeout{10'000};
  // Reconnection: attempt n waits a uniformly random time in [0, min(max, initial * 2^n)].
  std::chrono::milliseconds reconnect_initial{250};
  std::chrono::milliseconds reconnect_max{10'000};
  // Give up (state offline, error UNREACHABLE) after this many passes over `servers` without
  // connecting; 0 retries for ever.
  int give_up_after_passes = 0;
  // How long the client tries to get back into its room after a reconnect (a host re-creates
  // a room the server lost; members wait for it).
  std::chrono::milliseconds room_restore_window{30'000};

  // Peer-to-peer.
  std::uint16_t udp_port = 0;                       // 0: any
  std::chrono::milliseconds direct_timeout{1'500};  // no direct path by then: the relay
  // Do not look for direct paths: go to the relay at once (tests, networks known to block
  // UDP between peers). When both sides set it the pair always meets on the relay; a side
  // that sets it alone may still follow a direct path its peer nominates.
  bool disable_direct = false;

  // metrics:report (path, RTT, loss, bandwidth) for each peer, this often and before leaving
  // the room: the server's connection_metrics history. 0: never.
  std::chrono::milliseconds metrics_report_interval{300'000};

  std::uint64_t seed = 0;  // randomness (backoff jitter); 0 seeds from the system

  // Set: events and datagrams go to this handler on the client's thread, and poll() returns
  // nothing. Unset: they queue for poll() (at most max_queued_datagrams datagrams; beyond, new
  // ones are dropped and counted).
  std::shared_ptr<Handler> callbacks;
  std::size_t max_queued_datagrams = 8'192;

  // Diagnostics (connectivity decisions, retries), on the client's thread. Optional.
  std::function<void(LogLevel, std::string_view)> log;
};

struct CreateRoomOptions {
  std::string game_id;  // 16 hex digits
  std::string game_name;
  std::string name;
  int max_players = 4;   // 2..16
  std::string password;  // empty: none
  bool is_public = true;
  std::string region;  // empty: the server's
};

struct ListRoomsOptions {
  std::string game_id;  // empty: every game
  std::string region;   // empty: every region
  std::optional<bool> has_password;
  std::optional<bool> not_full;
  int offset = 0;
  int limit = 50;  // 1..100
};

struct RoomUpdateOptions {
  std::optional<std::string> name;
  std::optional<int> max_players;
  std::optional<std::string> password;  // "" removes it
  std::optional<bool> is_public;
};

// What `sudachi-mp probe` reports: what the relays' STUN service saw of this client's UDP
// socket. STUN Binding alone cannot measure filtering, so only the mapping is classified.
struct ProbeResult {
  Error error;                 // TIMEOUT (no connection in time), UNREACHABLE...
  bool udp_blocked = false;    // no STUN server answered at all
  std::string local_address;   // "ip:port" of the probing socket
  std::string public_address;  // "ip:port" as the first answering server saw it
  // "none" (public = local: no NAT), "endpoint-independent", "address-dependent",
  // "address-and-port-dependent" (symmetric NAT), or "unknown" (fewer than two answers).
  std::string mapping = "unknown";
  struct Observation {
    std::string server;  // "ip:port" asked
    std::string mapped;  // what it saw; empty when it did not answer
  };
  std::vector<Observation> observations;
};

using RequestId = std::uint64_t;
using Completion = std::function<void(const Event&)>;

inline constexpr std::size_t kMaxDatagram = 1200;

class Client {
 public:
  explicit Client(ClientConfig config);
  ~Client();  // stop()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts the client thread, binds the UDP socket and begins connecting. Errors: a config
  // that cannot work (no server, a URL that does not parse, an unreadable CA file), a UDP
  // socket that cannot be bound, or a second start().
  Error start();
  // Leaves the room (bounded by a second), closes the connection, ends the thread. Idempotent.
  void stop();

  // ---- events
  std::size_t poll(Handler& handler, std::size_t max_items = SIZE_MAX);
  // Blocks until poll() has something or `timeout` passed; true when there is something.
  bool wait(std::chrono::milliseconds timeout);

  // ---- state (snapshots)
  ConnectionState state() const;
  std::string client_id() const;  // empty until the first connection
  std::optional<RoomInfo> room() const;
  std::vector<Member> members() const;

  // ---- room server calls
  RequestId list_rooms(const ListRoomsOptions& options, Completion done = {});
  RequestId create_room(const CreateRoomOptions& options, Completion done = {});
  RequestId join_room(const std::string& room_id, const std::string& password = {},
                      Completion done = {});
  RequestId leave_room(Completion done = {});
  RequestId close_room(Completion done = {});                                     // host
  RequestId kick(const std::string& client_id, Completion done = {});             // host
  RequestId update_room(const RoomUpdateOptions& options, Completion done = {});  // host
  RequestId send_chat(const std::string& text, Completion done = {});
  RequestId subscribe_lobby(const std::string& game_id = {}, Completion done = {});
  RequestId unsubscribe_lobby(Completion done = {});

  // ---- datagrams to the other members of the room (at most kMaxDatagram bytes each)
  // False when refused at once (too large, not started); a datagram for a peer without a
  // path yet is dropped and counted, like any datagram on a lossy network.
  bool send(std::string_view peer_id, std::span<const std::byte> data);
  bool broadcast(std::span<const std::byte> data);
  std::optional<PeerStats> peer_stats(std::string_view peer_id) const;
  std::vector<std::string> peers() const;  // members other than this client

  // Asks the STUN servers the room server announced what this client's UDP socket looks like
  // from outside. Needs a connection (waits for it within `timeout`). Blocks the caller.
  ProbeResult probe(std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));

  struct Counters {
    std::uint64_t datagrams_dropped_queue_full = 0;  // poll() was not called often enough
    std::uint64_t datagrams_dropped_no_path = 0;
    std::uint64_t reconnects = 0;
  };
  Counters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::mp
