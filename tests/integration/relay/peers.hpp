#pragma once

#include <cstdint>
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
  UdpPeer();
  ~UdpPeer();
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;

  std::uint16_t local_port() const { return local_port_; }
  bool send_to(std::uint16_t port, std::span<const std::uint8_t> bytes) const;
  bool send(std::span<const std::uint8_t> bytes) const { return send_to(data_port, bytes); }
  std::optional<std::vector<std::uint8_t>> recv(int timeout_ms) const;
  // HELLO to `main_port`, following a REDIRECT; sets data_port on OK. Status of the last reply
  // (nullopt when no reply came within 2 s).
  std::optional<wire::HelloReply> handshake(std::uint16_t main_port, const std::string& token,
                                            std::uint64_t rebind_key = 0);
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

// Mints tokens like the room server, with the secret the relay was started with.
class Tokens {
 public:
  Tokens();
  auth::RelayTokenClaims claims(std::uint8_t slot,
                                const std::string& client);  // for the current session
  std::string mint(std::uint8_t slot, const std::string& client);
  std::string mint(const auth::RelayTokenClaims& claims);
  void new_session();  // random session id for the following tokens
  const wire::SessionId& session_id() const { return session_; }

 private:
  auth::RelayTokenKeyring keyring_;
  wire::SessionId session_{};
};

std::int64_t unix_ms_now();
std::vector<std::uint8_t> data_datagram(std::span<const std::uint8_t> payload);

}  // namespace sudachi::relay::test
