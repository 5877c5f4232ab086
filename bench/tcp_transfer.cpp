#include "tcp_transfer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>

#include "auth/relay_token.hpp"
#include "wire_client.hpp"

namespace sudachi::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunk = 256 * 1024;

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Fd connect_loopback(std::uint16_t port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in to = loopback(port);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    std::perror("relay-load: tcp connect");
    return Fd{};
  }
  return s;
}

bool read_exact(int fd, std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return false;  // §6: the relay answers within its 10 s
    const auto r = ::recv(fd, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

// HELLO, then the 36-byte reply; status OK or nothing.
bool relay_hello(int fd, const std::string& token) {
  const auto hello = wire_client::encode_hello(token, false);
  if (::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size()))
    return false;
  std::array<std::uint8_t, wire_client::kHelloReplySize> reply{};
  wire_client::HelloReply r;
  if (!read_exact(fd, reply.data(), reply.size()) || !wire_client::decode_hello_reply(reply, r))
    return false;
  if (r.status != 0)
    std::fprintf(stderr, "relay-load: TCP HELLO refused with status %u\n", r.status);
  return r.status == 0;
}

// The transfer proper: identical for both paths.
TcpResult pump(int sender, int sink, std::uint64_t bytes, double timeout_s) {
  TcpResult result;
  auto out = std::make_unique<std::uint8_t[]>(kChunk);
  auto in = std::make_unique<std::uint8_t[]>(kChunk);
  std::mt19937 rng(7);
  for (std::size_t i = 0; i < kChunk; ++i) out[i] = static_cast<std::uint8_t>(rng());
  for (int fd : {sender, sink}) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  std::uint64_t written = 0, read = 0;
  bool shut = false, eof = false;
  const auto start = Clock::now();
  while (!eof) {
    if (std::chrono::duration<double>(Clock::now() - start).count() > timeout_s) {
      std::fprintf(stderr, "relay-load: TCP transfer timed out after %llu of %llu bytes\n",
                   static_cast<unsigned long long>(read), static_cast<unsigned long long>(bytes));
      return result;
    }
    pollfd p[2] = {{sink, POLLIN, 0}, {sender, static_cast<short>(shut ? 0 : POLLOUT), 0}};
    if (::poll(p, 2, 1000) < 0) return result;
    if (!shut && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, bytes - written));
      const auto w = ::send(sender, out.get(), n, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0 && errno != EAGAIN) return result;
      if (w > 0) written += static_cast<std::uint64_t>(w);
      if (written == bytes) {
        ::shutdown(sender, SHUT_WR);  // the relay passes the FIN on (§6.4)
        shut = true;
      }
    }
    if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
      for (int i = 0; i < 4; ++i) {
        const auto r = ::recv(sink, in.get(), kChunk, MSG_DONTWAIT);
        if (r == 0) {
          eof = true;
          break;
        }
        if (r < 0) {
          if (errno != EAGAIN) return result;
          break;
        }
        read += static_cast<std::uint64_t>(r);
      }
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.bytes = read;
  result.ok = read == bytes;
  if (!result.ok)
    std::fprintf(stderr, "relay-load: sink got %llu bytes, expected %llu\n",
                 static_cast<unsigned long long>(read), static_cast<unsigned long long>(bytes));
  return result;
}

}  // namespace

TcpResult tcp_via_relay(std::uint16_t relay_tcp_port, const RelayTarget& relay, std::uint64_t bytes,
                        double timeout_s) {
  auto secrets = auth::parse_relay_secrets(relay.secret);
  const std::string active = secrets.begin()->first;
  const auth::RelayTokenKeyring keyring(std::move(secrets), active);
  auth::RelayTokenClaims claims;
  std::mt19937_64 rng(std::random_device{}());
  for (auto& b : claims.session_id) b = static_cast<std::uint8_t>(rng());
  claims.relay_id = relay.relay_id;
  claims.expires_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch() + std::chrono::minutes(5))
          .count();
  std::string tokens[2];
  for (std::uint8_t slot = 0; slot < 2; ++slot) {
    claims.slot = slot;
    claims.client_id = "bench-tcp-" + std::to_string(slot);
    auto t = keyring.mint(claims);
    if (!t) throw std::runtime_error("mint failed: " + t.error().message);
    tokens[slot] = *t;
  }
  Fd sender = connect_loopback(relay_tcp_port);
  if (sender.fd < 0 || !relay_hello(sender.fd, tokens[0])) return {};
  Fd sink = connect_loopback(relay_tcp_port);
  if (sink.fd < 0 || !relay_hello(sink.fd, tokens[1])) return {};
  for (int fd : {sender.fd, sink.fd}) {
    std::uint8_t marker = 0;
    if (!read_exact(fd, &marker, 1) || marker != 0x01) {
      std::fprintf(stderr, "relay-load: no PAIRED marker (got %u)\n", marker);
      return {};
    }
  }
  return pump(sender.fd, sink.fd, bytes, timeout_s);
}

TcpResult tcp_via_proxy(std::uint16_t proxy_port, std::uint16_t sink_port, std::uint64_t bytes,
                        double timeout_s) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in at = loopback(sink_port);
  if (::bind(listener.fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0 ||
      ::listen(listener.fd, 4) != 0) {
    std::perror("relay-load: sink listen");
    return {};
  }
  Fd sender = connect_loopback(proxy_port);
  if (sender.fd < 0) return {};
  pollfd p{listener.fd, POLLIN, 0};
  if (::poll(&p, 1, 10'000) <= 0) {
    std::fprintf(stderr, "relay-load: the proxy did not connect to the sink\n");
    return {};
  }
  Fd sink(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (sink.fd < 0) return {};
  return pump(sender.fd, sink.fd, bytes, timeout_s);
}

std::uint16_t free_tcp_port() {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback(0);
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 0;
  socklen_t len = sizeof a;
  ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

}  // namespace sudachi::bench
