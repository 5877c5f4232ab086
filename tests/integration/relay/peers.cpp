#include "peers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "relay_process.hpp"

namespace sudachi::relay::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::uint8_t> data_datagram(std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> d(wire::kHeaderSize + payload.size(), 0);
  d[0] = static_cast<std::uint8_t>(wire::Type::data);
  std::copy(payload.begin(), payload.end(), d.begin() + wire::kHeaderSize);
  return d;
}

UdpPeer::UdpPeer(const char* ip, std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(port);
  if (::inet_pton(AF_INET, ip, &a.sin_addr) != 1 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return;  // not bound: local_port() stays 0
  }
  int size = 4 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  local_port_ = ntohs(a.sin_port);
}

UdpPeer::~UdpPeer() {
  if (fd_ >= 0) ::close(fd_);
}

bool UdpPeer::send_to(std::uint16_t port, std::span<const std::uint8_t> bytes) const {
  sockaddr_in a = loopback(port);
  return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
         static_cast<ssize_t>(bytes.size());
}

std::optional<std::vector<std::uint8_t>> UdpPeer::recv(int timeout_ms) const {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
  std::vector<std::uint8_t> buf(65536);
  const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::optional<wire::HelloReply> UdpPeer::next_reply(int timeout_ms) const {
  // Skip anything that is not a reply (events from an earlier session, forwarded data).
  for (int i = 0; i < 50; ++i) {
    auto d = recv(timeout_ms);
    if (!d) return std::nullopt;
    wire::HelloReply r;
    if (wire::parse_hello_reply(*d, r)) return r;
  }
  return std::nullopt;
}

std::optional<wire::HelloReply> UdpPeer::hello_once(std::uint16_t port, const std::string& token,
                                                    std::uint64_t rebind_key,
                                                    std::uint64_t cookie) const {
  std::vector<std::uint8_t> hello(wire::kMaxUdpHello);
  hello.resize(wire::encode_udp_hello(hello, token, rebind_key, cookie));
  if (!send_to(port, hello)) return std::nullopt;
  return next_reply(2000);
}

std::optional<wire::HelloReply> UdpPeer::handshake(std::uint16_t main_port,
                                                   const std::string& token,
                                                   std::uint64_t rebind_key) {
  std::uint16_t port = main_port;
  std::uint64_t cookie = 0;
  bool redirected = false;
  // At most: HELLO, REDIRECT, HELLO, COOKIE, HELLO, and one more COOKIE if an epoch turned.
  for (int round = 0; round < 4; ++round) {
    auto r = hello_once(port, token, rebind_key, cookie);
    if (!r) return std::nullopt;
    if (r->status == wire::Status::redirect && !redirected) {
      redirected = true;
      port = r->data_port;
      cookie = 0;  // a cookie is for one relay port
      continue;
    }
    if (r->status == wire::Status::cookie) {
      cookie = r->rebind_key;
      continue;
    }
    if (r->status == wire::Status::ok) data_port = r->data_port;
    return r;
  }
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> UdpPeer::wait_event(int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int i = 0; i < 1000; ++i) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    auto d = recv(static_cast<int>(left));
    if (!d) break;
    if (!d->empty() && (*d)[0] == static_cast<std::uint8_t>(wire::Type::event)) return d;
  }
  return std::nullopt;
}

TcpPeer::TcpPeer(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{20, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TcpPeer::~TcpPeer() {
  if (fd_ >= 0) ::close(fd_);
}

bool TcpPeer::send_all(std::span<const std::uint8_t> bytes) const {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;  // error or SO_SNDTIMEO
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool TcpPeer::recv_exact(std::span<std::uint8_t> out) const {
  std::size_t got = 0;
  while (got < out.size()) {
    const auto n = ::recv(fd_, out.data() + got, out.size() - got, 0);
    if (n <= 0) return false;  // EOF, error or SO_RCVTIMEO
    got += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<wire::HelloReply> TcpPeer::handshake(const std::string& token) const {
  std::vector<std::uint8_t> hello(wire::kMaxUdpHello);
  hello.resize(wire::encode_tcp_hello(hello, token));  // no padding on TCP
  if (!send_all(hello)) return std::nullopt;
  std::array<std::uint8_t, wire::kHelloReplySize> reply{};
  wire::HelloReply r;
  if (!recv_exact(reply) || !wire::parse_hello_reply(reply, r)) return std::nullopt;
  return r;
}

std::optional<std::uint8_t> TcpPeer::recv_byte() const {
  std::uint8_t b = 0;
  if (!recv_exact({&b, 1})) return std::nullopt;
  return b;
}

void TcpPeer::shutdown_write() const {
  ::shutdown(fd_, SHUT_WR);
}

Tokens::Tokens(std::uint64_t seed)
    : keyring_(auth::parse_relay_secrets(RelayProcess::kSecret), "k1"), state_(seed) {
  new_session();
}

void Tokens::new_session() {
  // splitmix64: the same ids on every platform and every run.
  for (std::size_t i = 0; i < session_.size(); i += 8) {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    wire::put_u64(session_.data() + i, z ^ (z >> 31));
  }
}

auth::RelayTokenClaims Tokens::claims(std::uint8_t slot, const std::string& client) {
  auth::RelayTokenClaims c;
  c.session_id = session_;
  c.slot = slot;
  c.client_id = client;
  c.relay_id = "local";
  c.expires_at_ms = unix_ms_now() + 60'000;
  return c;
}

std::string Tokens::mint(std::uint8_t slot, const std::string& client) {
  return mint(claims(slot, client));
}

std::string Tokens::mint(const auth::RelayTokenClaims& claims) {
  return keyring_.mint(claims).value();
}

bool poll_until(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace sudachi::relay::test
