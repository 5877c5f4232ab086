#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/relay_token.hpp"
#include "relay/wire.hpp"

// Minimal relay clients written from docs/relay-protocol.md, on 127.0.0.1 only; every wait
// has a timeout.
namespace sudachi::relay::test {

class UdpPeer {
 public:
  // Bound to `ip`:`port` (a loopback address; port 0: any free one).
  explicit UdpPeer(const char* ip = "127.0.0.1", std::uint16_t port = 0);
  ~UdpPeer();
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;

  bool bound() const { return local_port_ != 0; }
  std::uint16_t local_port() const { return local_port_; }
  bool send_to(std::uint16_t port, std::span<const std::uint8_t> bytes) const;
  bool send(std::span<const std::uint8_t> bytes) const { return send_to(data_port, bytes); }
  std::optional<std::vector<std::uint8_t>> recv(int timeout_ms) const;
  // The client's UDP handshake (docs/relay-protocol.md §7): HELLO to `main_port`, following a
  // REDIRECT and answering a COOKIE with the same HELLO carrying it; sets data_port on OK.
  // The last reply (nullopt when none came within 2 s).
  std::optional<wire::HelloReply> handshake(std::uint16_t main_port, const std::string& token,
                                            std::uint64_t rebind_key = 0);
  // One HELLO (with `cookie`, 0 for none) and its reply, nothing followed.
  std::optional<wire::HelloReply> hello_once(std::uint16_t port, const std::string& token,
                                             std::uint64_t rebind_key = 0,
                                             std::uint64_t cookie = 0) const;
  // Waits for the next HELLO_REPLY, skipping other datagrams.
  std::optional<wire::HelloReply> next_reply(int timeout_ms) const;
  // Waits for an EVENT datagram (skipping others) for up to timeout_ms.
  std::optional<std::vector<std::uint8_t>> wait_event(int timeout_ms) const;

  std::uint16_t data_port = 0;

 private:
  int fd_ = -1;
  std::uint16_t local_port_ = 0;
};

class TcpPeer {
 public:
  explicit TcpPeer(std::uint16_t port);
  ~TcpPeer();
  TcpPeer(const TcpPeer&) = delete;
  TcpPeer& operator=(const TcpPeer&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool send_all(std::span<const std::uint8_t> bytes) const;
  bool recv_exact(std::span<std::uint8_t> out) const;  // 20 s socket timeout
  // HELLO, then the 36-byte reply.
  std::optional<wire::HelloReply> handshake(const std::string& token) const;
  // The next byte (PAIRED marker etc.); nullopt on EOF or timeout.
  std::optional<std::uint8_t> recv_byte() const;
  void shutdown_write() const;

 private:
  int fd_ = -1;
};

// Mints tokens like the room server, with the secret the relay was started with. Session ids
// come from a seeded generator, so which worker owns a session (and thus whether a HELLO is
// redirected) is the same in every run; `seed` tells instances in one test apart.
class Tokens {
 public:
  explicit Tokens(std::uint64_t seed = 1);
  auth::RelayTokenClaims claims(std::uint8_t slot,
                                const std::string& client);  // for the current session
  std::string mint(std::uint8_t slot, const std::string& client);
  std::string mint(const auth::RelayTokenClaims& claims);
  void new_session();  // random session id for the following tokens
  const wire::SessionId& session_id() const { return session_; }

 private:
  auth::RelayTokenKeyring keyring_;
  std::uint64_t state_;
  wire::SessionId session_{};
};

std::int64_t unix_ms_now();
std::vector<std::uint8_t> data_datagram(std::span<const std::uint8_t> payload);

// Polls `condition` every 20 ms until it holds or `timeout_ms` passed; whether it held.
template <class F>
bool eventually(F&& condition, int timeout_ms = 5000);

bool poll_until(const std::function<bool()>& condition, int timeout_ms);
template <class F>
bool eventually(F&& condition, int timeout_ms) {
  return poll_until(std::function<bool()>(std::forward<F>(condition)), timeout_ms);
}

}  // namespace sudachi::relay::test
