#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/session_table.hpp"
#include "relay/wire.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay::asio_backend {

// The two TCP legs of one session. Once paired, each direction is a pump: splice(2) from the
// source socket into a pipe and from the pipe into the destination socket, so payload bytes
// never enter user space. If the kernel refuses splice for these fds, that direction falls
// back to a 64 KiB user-space buffer. Either way at most 64 KiB are in flight per direction:
// the source is read only while the pipe (or buffer) has room, which is the backpressure.
class TcpPair : public std::enable_shared_from_this<TcpPair> {
 public:
  static constexpr std::size_t kInFlight = 64 * 1024;
  // Called once when the pair ends by itself (EOF both ways, an error); not after close().
  using OnFinished = std::function<void(TcpPair&, SessionEnd)>;

  TcpPair(boost::asio::io_context& context, const wire::SessionId& id, WorkerStats& stats,
          OnFinished on_finished);
  ~TcpPair();
  TcpPair(const TcpPair&) = delete;
  TcpPair& operator=(const TcpPair&) = delete;

  void attach(std::uint8_t slot, boost::asio::ip::tcp::socket socket);
  // Both legs attached: tell each peer PAIRED and start forwarding. `session` must outlive
  // the pair's activity (the worker closes the pair before it erases the session).
  void start(Session& session);
  // Ends the pair from outside (timeouts, drain): optionally one marker byte to each leg.
  void close(std::optional<wire::TcpMarker> marker);

  const wire::SessionId& session_id() const { return id_; }

 private:
  struct Pump {
    int pipe_read = -1;
    int pipe_write = -1;
    std::unique_ptr<std::uint8_t[]> buffer;  // fallback only
    std::size_t head = 0;
    std::size_t tail = 0;
    std::size_t in_flight = 0;
    bool source_eof = false;
    bool shut_down = false;
    bool read_waiting = false;
    bool write_waiting = false;
  };

  void pump(int direction);
  std::ptrdiff_t fill(Pump& p, int source_fd, std::size_t max);
  std::ptrdiff_t drain(Pump& p, int dest_fd);
  void arm_read(int direction);
  void arm_write(int direction);
  void arm_bandwidth_timer(std::int64_t ms);
  void finish(SessionEnd end);
  void close_fds();

  boost::asio::io_context& context_;
  wire::SessionId id_;
  WorkerStats& stats_;
  OnFinished on_finished_;
  std::array<std::optional<boost::asio::ip::tcp::socket>, 2> sockets_;
  std::array<Pump, 2> pumps_;  // pumps_[d] moves bytes from leg d to leg 1-d
  boost::asio::steady_timer bandwidth_timer_;
  bool bandwidth_waiting_ = false;
  Session* session_ = nullptr;
  bool closed_ = false;
};

}  // namespace sudachi::relay::asio_backend
