#include "relay/backend/asio/tcp_pair.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/post.hpp>

#include "relay/now.hpp"

namespace sudachi::relay::asio_backend {
namespace {

// Rounds per pump call before yielding, so one busy session cannot starve the others.
constexpr int kMaxRounds = 64;

bool would_block(int e) {
  return e == EAGAIN || e == EWOULDBLOCK;
}

void send_marker(boost::asio::ip::tcp::socket& s, wire::TcpMarker marker) {
  const auto byte = static_cast<std::uint8_t>(marker);
  // Best effort: a fresh connection's send buffer has room for one byte.
  [[maybe_unused]] auto n = ::send(s.native_handle(), &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

TcpPair::TcpPair(boost::asio::io_context& context, const wire::SessionId& id, WorkerStats& stats,
                 OnFinished on_finished)
    : context_(context),
      id_(id),
      stats_(stats),
      on_finished_(std::move(on_finished)),
      bandwidth_timer_(context) {}

TcpPair::~TcpPair() {
  close_fds();
}

void TcpPair::attach(std::uint8_t slot, boost::asio::ip::tcp::socket socket) {
  boost::system::error_code ignored;  // a failure shows up as an error on the first splice
  socket.native_non_blocking(true, ignored);
  sockets_[slot].emplace(std::move(socket));
}

void TcpPair::start(Session& session) {
  session_ = &session;
  for (int d = 0; d < 2; ++d) {
    Pump& p = pumps_[d];
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
      p.pipe_read = fds[0];
      p.pipe_write = fds[1];
      ::fcntl(p.pipe_write, F_SETPIPE_SZ, static_cast<int>(kInFlight));
    } else {
      p.buffer = std::make_unique<std::uint8_t[]>(kInFlight);  // out of fds: copy instead
    }
  }
  for (auto& s : sockets_) send_marker(*s, wire::TcpMarker::paired);
  pump(0);
  pump(1);
}

std::ptrdiff_t TcpPair::fill(Pump& p, int source_fd, std::size_t max) {
  if (p.pipe_write >= 0) {
    const auto n =
        ::splice(source_fd, nullptr, p.pipe_write, nullptr, max, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n >= 0 || errno != EINVAL || p.in_flight != 0) return n;
    // This kernel or socket type refuses splice: continue with the buffer.
    ::close(p.pipe_read);
    ::close(p.pipe_write);
    p.pipe_read = p.pipe_write = -1;
    p.buffer = std::make_unique<std::uint8_t[]>(kInFlight);
  }
  if (p.head == p.tail) p.head = p.tail = 0;
  const std::size_t room = std::min(max, kInFlight - p.tail);
  if (room == 0) {
    errno = EAGAIN;
    return -1;
  }
  const auto n = ::recv(source_fd, p.buffer.get() + p.tail, room, MSG_DONTWAIT);
  if (n > 0) p.tail += static_cast<std::size_t>(n);
  return n;
}

std::ptrdiff_t TcpPair::drain(Pump& p, int dest_fd) {
  if (p.pipe_read >= 0) {
    return ::splice(p.pipe_read, nullptr, dest_fd, nullptr, p.in_flight,
                    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  }
  const auto n =
      ::send(dest_fd, p.buffer.get() + p.head, p.tail - p.head, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) p.head += static_cast<std::size_t>(n);
  return n;
}

void TcpPair::pump(int d) {
  if (closed_) return;
  Pump& p = pumps_[d];
  const int source = sockets_[d]->native_handle();
  const int dest = sockets_[1 - d]->native_handle();
  bool want_read = false, want_write = false;
  std::int64_t bandwidth_wait_ms = 0;
  bool progress = true;
  int round = 0;
  for (; progress && round < kMaxRounds; ++round) {
    progress = false;
    want_read = want_write = false;
    bandwidth_wait_ms = 0;
    const std::int64_t now = steady_now_ms();
    if (!p.source_eof && p.in_flight < kInFlight) {
      const std::int64_t allowed = session_->bandwidth.available(now);
      if (allowed <= 0) {
        bandwidth_wait_ms = session_->bandwidth.ms_until(1024, now);
      } else {
        const auto max =
            std::min<std::size_t>(kInFlight - p.in_flight, static_cast<std::size_t>(allowed));
        const auto n = fill(p, source, max);
        if (n > 0) {
          p.in_flight += static_cast<std::size_t>(n);
          session_->bandwidth.consume(static_cast<double>(n), now);
          session_->last_activity_ms = now;
          session_->slots[d].bytes += static_cast<std::size_t>(n);
          stats_.stream(Direction::in, static_cast<std::uint64_t>(n));
          progress = true;
        } else if (n == 0) {
          p.source_eof = true;
          progress = true;
        } else if (would_block(errno)) {
          // With bytes in the pipe, EAGAIN may mean "pipe full": wait for the reader instead.
          want_read = p.in_flight == 0;
        } else if (errno != EINTR) {
          return finish(SessionEnd::peer_closed);
        }
      }
    }
    if (p.in_flight > 0) {
      const auto n = drain(p, dest);
      if (n > 0) {
        p.in_flight -= static_cast<std::size_t>(n);
        session_->last_activity_ms = now;
        stats_.stream(Direction::out, static_cast<std::uint64_t>(n));
        stats_.relayed_bytes.add(static_cast<std::uint64_t>(n));
        progress = true;
      } else if (n < 0 && would_block(errno)) {
        want_write = true;
      } else if (n < 0 && errno != EINTR) {
        return finish(SessionEnd::peer_closed);
      }
    }
    if (p.source_eof && p.in_flight == 0 && !p.shut_down) {
      // Pass the half-close on; the session ends when both directions have.
      ::shutdown(dest, SHUT_WR);
      p.shut_down = true;
      if (pumps_[1 - d].shut_down) return finish(SessionEnd::peer_closed);
    }
  }
  if (progress) {
    // Still busy after kMaxRounds: continue after the other ready handlers.
    boost::asio::post(context_, [self = shared_from_this(), d] { self->pump(d); });
    return;
  }
  if (want_read) arm_read(d);
  if (want_write) arm_write(d);
  if (bandwidth_wait_ms > 0) arm_bandwidth_timer(bandwidth_wait_ms);
}

void TcpPair::arm_read(int d) {
  Pump& p = pumps_[d];
  if (p.read_waiting) return;
  p.read_waiting = true;
  sockets_[d]->async_wait(boost::asio::socket_base::wait_read,
                          [self = shared_from_this(), d](const boost::system::error_code& ec) {
                            self->pumps_[d].read_waiting = false;
                            if (!ec) self->pump(d);
                          });
}

void TcpPair::arm_write(int d) {
  Pump& p = pumps_[d];
  if (p.write_waiting) return;
  p.write_waiting = true;
  sockets_[1 - d]->async_wait(boost::asio::socket_base::wait_write,
                              [self = shared_from_this(), d](const boost::system::error_code& ec) {
                                self->pumps_[d].write_waiting = false;
                                if (!ec) self->pump(d);
                              });
}

void TcpPair::arm_bandwidth_timer(std::int64_t ms) {
  if (bandwidth_waiting_) return;
  bandwidth_waiting_ = true;
  bandwidth_timer_.expires_after(std::chrono::milliseconds(ms));
  bandwidth_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->bandwidth_waiting_ = false;
    if (ec) return;
    self->pump(0);
    self->pump(1);
  });
}

void TcpPair::finish(SessionEnd end) {
  if (closed_) return;
  close(std::nullopt);
  if (on_finished_) on_finished_(*this, end);
}

void TcpPair::close(std::optional<wire::TcpMarker> marker) {
  if (closed_) return;
  closed_ = true;
  session_ = nullptr;
  for (auto& s : sockets_) {
    if (!s) continue;
    if (marker) send_marker(*s, *marker);
    boost::system::error_code ignored;
    s->close(ignored);  // cancels the waits; their handlers see operation_aborted
  }
  bandwidth_timer_.cancel();
  close_fds();
}

void TcpPair::close_fds() {
  for (Pump& p : pumps_) {
    if (p.pipe_read >= 0) ::close(p.pipe_read);
    if (p.pipe_write >= 0) ::close(p.pipe_write);
    p.pipe_read = p.pipe_write = -1;
  }
}

}  // namespace sudachi::relay::asio_backend
