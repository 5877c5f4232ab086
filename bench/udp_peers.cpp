#include "udp_peers.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

#include "auth/relay_token.hpp"
#include "wire_client.hpp"

namespace sudachi::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// One handshake in progress, retransmitted as §4.2 says: after 500 ms, doubling up to 4 s.
struct Pending {
  std::vector<std::uint8_t> request;
  std::uint16_t to_port = 0;
  Clock::time_point sent_at{};
  double backoff_s = 0.5;
  bool done = false;
};

void send_to(int fd, const std::vector<std::uint8_t>& bytes, std::uint16_t port) {
  const sockaddr_in to = loopback(port);
  ::sendto(fd, bytes.data(), bytes.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to),
           sizeof to);
}

// Runs the handshakes of every peer with at most `window` in flight, so a burst of 2,000
// HELLOs does not overflow the server's socket. `on_reply` returns true when the peer is done
// and may change p.to_port / p.request to send again (REDIRECT).
template <class OnReply>
bool run_handshakes(std::vector<Peer>& peers, int epoll_fd, std::vector<Pending>& pending,
                    double timeout_s, OnReply&& on_reply) {
  constexpr std::size_t kWindow = 128;
  const auto start = Clock::now();
  std::size_t next = 0, done = 0, in_flight = 0;
  std::array<epoll_event, 256> events{};
  std::array<std::uint8_t, 2048> buf{};
  while (done < peers.size()) {
    if (seconds_since(start) > timeout_s) {
      std::fprintf(stderr, "relay-load: handshakes timed out: %zu of %zu done\n", done,
                   peers.size());
      return false;
    }
    while (in_flight < kWindow && next < peers.size()) {
      Pending& p = pending[next];
      send_to(peers[next].fd, p.request, p.to_port);
      p.sent_at = Clock::now();
      ++next;
      ++in_flight;
    }
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), 10);
    for (int i = 0; i < n; ++i) {
      const std::uint32_t idx = events[i].data.u32;
      for (;;) {
        const auto len = ::recv(peers[idx].fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (len < 0) break;
        Pending& p = pending[idx];
        if (p.done) continue;  // a duplicate reply, or EVENT PEER_JOINED
        // 1: done; 0: send the (changed) request again; 2: not for us, ignore; -1: fatal.
        const int verdict =
            on_reply(idx, std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(len)));
        if (verdict < 0) return false;
        if (verdict == 1) {
          p.done = true;
          ++done;
          --in_flight;
        } else if (verdict == 0) {
          // Sent again with on_reply's request (REDIRECT, COOKIE): restart its timer.
          send_to(peers[idx].fd, p.request, p.to_port);
          p.sent_at = Clock::now();
          p.backoff_s = 0.5;
        }
      }
    }
    const auto now = Clock::now();
    for (std::size_t i = 0; i < next; ++i) {
      Pending& p = pending[i];
      if (p.done || std::chrono::duration<double>(now - p.sent_at).count() < p.backoff_s) continue;
      send_to(peers[i].fd, p.request, p.to_port);
      p.sent_at = now;
      p.backoff_s = std::min(p.backoff_s * 2, 4.0);
    }
  }
  return true;
}

}  // namespace

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

PeerSet::PeerSet(std::size_t pairs, int rcvbuf_bytes) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
  peers_.resize(2 * pairs);
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    Peer& p = peers_[i];
    p.partner = static_cast<std::uint32_t>(i ^ 1);
    p.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p.fd < 0) throw std::runtime_error("socket() failed (raise ulimit -n?)");
    ::setsockopt(p.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
    sockaddr_in a = loopback(0);
    if (::bind(p.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("bind failed");
    socklen_t len = sizeof a;
    ::getsockname(p.fd, reinterpret_cast<sockaddr*>(&a), &len);
    p.local_port = ntohs(a.sin_port);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, p.fd, &ev) != 0)
      throw std::runtime_error("epoll_ctl failed");
  }
}

PeerSet::~PeerSet() {
  for (Peer& p : peers_) {
    if (p.fd >= 0) ::close(p.fd);
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool PeerSet::handshake_relay(const RelayTarget& relay, double timeout_s) {
  auto secrets = auth::parse_relay_secrets(relay.secret);
  const std::string active = secrets.begin()->first;
  const auth::RelayTokenKeyring keyring(std::move(secrets), active);
  const auto expires =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch() + std::chrono::minutes(10))
          .count();
  std::mt19937_64 rng(std::random_device{}());
  std::vector<Pending> pending(peers_.size());
  std::array<std::uint8_t, 16> session{};
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    if (i % 2 == 0) {
      for (auto& b : session) b = static_cast<std::uint8_t>(rng());
    }
    auth::RelayTokenClaims claims;
    claims.session_id = session;
    claims.slot = static_cast<std::uint8_t>(i % 2);
    claims.client_id = "bench-" + std::to_string(i);
    claims.relay_id = relay.relay_id;
    claims.expires_at_ms = expires;
    auto token = keyring.mint(claims);
    if (!token) throw std::runtime_error("mint failed: " + token.error().message);
    pending[i].request = wire_client::encode_hello(*token, true);
    pending[i].to_port = relay.udp_port;
  }
  const bool ok = run_handshakes(
      peers_, epoll_fd_, pending, timeout_s,
      [&](std::uint32_t idx, std::span<const std::uint8_t> d) -> int {
        wire_client::HelloReply r;
        if (!wire_client::decode_hello_reply(d, r)) return 2;  // not a reply: ignore
        if (r.status == static_cast<std::uint8_t>(wire_client::Status::ok)) {
          peers_[idx].dest_port = r.data_port;
          return 1;
        }
        if (r.status == static_cast<std::uint8_t>(wire_client::Status::redirect)) {
          pending[idx].to_port = r.data_port;
          return 0;
        }
        if (r.status == static_cast<std::uint8_t>(wire_client::Status::cookie)) {
          wire_client::set_hello_cookie(pending[idx].request, r.key);  // same port, with cookie
          return 0;
        }
        std::fprintf(stderr, "relay-load: peer %u: HELLO refused with status %u\n", idx, r.status);
        return -1;
      });
  return ok && connect_all();
}

bool PeerSet::register_baseline(std::uint16_t forwarder_port, double timeout_s) {
  std::vector<Pending> pending(peers_.size());
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const std::uint16_t partner_port = peers_[peers_[i].partner].local_port;
    pending[i].request = {wire_client::kBaselineRegister, 0,
                          static_cast<std::uint8_t>(partner_port >> 8),
                          static_cast<std::uint8_t>(partner_port)};
    pending[i].to_port = forwarder_port;
    peers_[i].dest_port = forwarder_port;
  }
  return run_handshakes(peers_, epoll_fd_, pending, timeout_s,
                        [](std::uint32_t, std::span<const std::uint8_t> d) -> int {
                          return !d.empty() && d[0] == wire_client::kBaselineAck ? 1 : 2;
                        }) &&
         connect_all();
}

void PeerSet::pair_direct() {
  for (Peer& p : peers_) p.dest_port = peers_[p.partner].local_port;
  connect_all();
}

bool PeerSet::connect_all() {
  for (Peer& p : peers_) {
    // Connected: the kernel skips the route lookup per send and filters other sources.
    const sockaddr_in to = loopback(p.dest_port);
    if (::connect(p.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
      std::perror("relay-load: connect");
      return false;
    }
  }
  return true;
}

}  // namespace sudachi::bench
