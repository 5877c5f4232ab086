#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

// The client half of Socket.IO v5 on the default namespace, without I/O: CONNECT with the auth
// payload, the server's CONNECT answer (or CONNECT_ERROR), events in both directions, and
// acknowledgements with a deadline each. It sits on an open Engine.IO session: its frames are
// Engine.IO MESSAGE payloads, and what it receives are the MESSAGE payloads from the server.
//
// Hostile input: an undecodable packet, a packet for another namespace, an ACK nobody asked
// for, a binary packet (this protocol is JSON only) or a second CONNECT is a protocol error,
// which ends the session (the owner closes the connection). Single-threaded.
namespace sudachi::client {

struct AckResult {
  std::uint64_t id = 0;
  // The first argument of the ACK (null when it had none); unset when the ack never came.
  std::optional<boost::json::value> payload;
  bool timed_out = false;  // unset payload: the deadline passed (else the session ended)
};

struct ServerEvent {
  std::string name;
  boost::json::value payload;  // the first argument after the name; null when absent
};

class SocketIoClient {
 public:
  enum class State { idle, connecting, connected, closed };

  struct Effects {
    std::vector<std::string> frames;  // Engine.IO MESSAGE payloads to send, in order
    bool connected = false;           // the server accepted CONNECT
    std::vector<ServerEvent> events;
    std::vector<AckResult> acks;
    // The session ended: CONNECT_ERROR (`connect_error` set), DISCONNECT from the server,
    // the CONNECT deadline, or a protocol error (`protocol_error` set).
    bool ended = false;
    std::optional<boost::json::value> connect_error;  // {message, data?}
    bool server_disconnect = false;
    bool connect_timeout = false;
    std::string protocol_error;
  };

  explicit SocketIoClient(std::uint32_t connect_timeout_ms = 5'000);

  State state() const { return state_; }
  const std::string& sid() const { return sid_; }
  std::size_t pending_acks() const { return pending_.size(); }

  // The Engine.IO session opened: sends CONNECT with `auth` ({token} for the room server).
  void start(const boost::json::value& auth, std::int64_t now_ms);
  // One Engine.IO MESSAGE payload from the server.
  void on_message(std::string_view text, std::int64_t now_ms);
  // Ack deadlines and the CONNECT deadline.
  void on_timer(std::int64_t now_ms);
  // The Engine.IO session is gone: every pending ack fails (not timed out).
  void on_closed();

  // EVENT ["name", payload] asking for an ack within `timeout_ms`; returns its id, or nothing
  // when not connected.
  std::optional<std::uint64_t> emit(std::string_view name, const boost::json::value& payload,
                                    std::int64_t now_ms, std::uint32_t timeout_ms);
  // Sends DISCONNECT and ends the session; pending acks fail.
  void disconnect();

  std::optional<std::int64_t> next_deadline() const;
  void take_effects(Effects& out);

 private:
  void fail(std::string why);
  void fail_pending();

  std::uint32_t connect_timeout_ms_;
  State state_ = State::idle;
  std::string sid_;
  std::int64_t connect_deadline_ms_ = 0;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::int64_t> pending_;  // ack id -> deadline
  Effects effects_;
};

}  // namespace sudachi::client
