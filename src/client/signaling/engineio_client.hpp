#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The client half of one Engine.IO v4 session over a WebSocket, as a state machine without
// I/O: the OPEN handshake, the heartbeat (the server pings, the client answers and declares
// the server gone when no ping arrives within pingInterval + pingTimeout), MESSAGE packets in
// both directions, and the CLOSE packet.
//
// The WebSocket shell feeds it what arrives and the clock, then carries out take_effects():
// frames to write, messages for the Socket.IO layer, and the end of the session. Nothing here
// calls back into the shell, so no input can tear the connection down under its feet.
//
// Everything from the server is hostile: unknown or malformed packets, binary frames (this
// protocol is JSON only), a second OPEN or an OPEN with nonsense timings end the session as a
// protocol error rather than being guessed at. Single-threaded.
namespace sudachi::client {

enum class EngineCloseReason {
  client_close,     // close() was called
  server_close,     // the server sent CLOSE
  transport_close,  // the WebSocket went away
  ping_timeout,     // no ping from the server in time
  open_timeout,     // no OPEN packet in time after the WebSocket handshake
  protocol_error,   // the server broke the protocol (see protocol_error())
};
std::string_view to_string(EngineCloseReason reason);

struct EngineHandshake {
  std::string sid;
  std::uint32_t ping_interval_ms = 0;
  std::uint32_t ping_timeout_ms = 0;
  std::uint64_t max_payload = 0;  // the largest message the server accepts from us
};

class EngineIoClient {
 public:
  struct Config {
    std::uint32_t open_timeout_ms = 5'000;
    // Heartbeat timings the server may announce, outside of which the OPEN is refused: a
    // pingInterval of 0 would be a busy loop, one of a day a connection never declared dead.
    std::uint32_t min_ping_ms = 50;
    std::uint32_t max_ping_ms = 600'000;
  };
  enum class State { opening, open, closed };

  struct Effects {
    std::vector<std::string> frames;    // WebSocket text frames to write, in order
    bool opened = false;                // the OPEN arrived (handshake() is valid)
    std::vector<std::string> messages;  // MESSAGE payloads for Socket.IO, in order
    // The session ended during these inputs. The shell closes the WebSocket after writing
    // `frames` (a CLOSE packet, when the client closed).
    std::optional<EngineCloseReason> closed;
  };

  // Created once the WebSocket handshake succeeded, at `now_ms`.
  EngineIoClient(const Config& config, std::int64_t now_ms);

  State state() const { return state_; }
  const EngineHandshake& handshake() const { return handshake_; }
  const std::string& protocol_error() const { return protocol_error_; }

  // ---- inputs
  void on_text(std::string_view text, std::int64_t now_ms);
  void on_binary(std::string_view bytes, std::int64_t now_ms);
  void on_transport_closed();
  void on_timer(std::int64_t now_ms);
  // Queues one MESSAGE ("4" + text). False, and nothing queued, when the session is not open
  // or the packet would exceed the server's maxPayload.
  bool send_message(std::string_view text);
  // Sends CLOSE and ends the session (no-op once closed).
  void close();

  // When the shell must call on_timer next (none once closed).
  std::optional<std::int64_t> next_deadline() const;
  void take_effects(Effects& out);

 private:
  void on_open(std::string_view json, std::int64_t now_ms);
  void fail(std::string why);
  void end(EngineCloseReason reason);

  Config config_;
  State state_ = State::opening;
  EngineHandshake handshake_;
  std::int64_t deadline_ms_;  // OPEN deadline while opening, then the heartbeat deadline
  std::string protocol_error_;
  Effects effects_;
};

}  // namespace sudachi::client
