#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "client/p2p/address.hpp"
#include "common/result.hpp"

// One UDP socket of the player on the library's io_context: Asio reports readiness, recvmmsg
// drains up to kBatch datagrams into buffers allocated once, and the owner's handler sees each
// (bytes valid only during the call). Sends are immediate and non-blocking: a full send buffer
// drops the datagram (UDP semantics), nothing is queued.
namespace sudachi::client::p2p::runtime {

class UdpPort {
 public:
  static constexpr std::size_t kBatch = 16;
  static constexpr std::size_t kBufferSize = 2048;  // > any valid datagram: MSG_TRUNC = hostile

  using Handler = std::function<void(const Endpoint& from, std::span<const std::uint8_t> bytes)>;
  // Called once per drained batch, after its datagrams (time to run timers and flush).
  using BatchDone = std::function<void()>;

  explicit UdpPort(boost::asio::io_context& io);
  ~UdpPort();

  // Binds `address` (literal; "::" is dual stack) and `port` (0: any).
  Status open(const std::string& address, std::uint16_t port);
  // Binds the family of `peer` on an ephemeral port (relay legs, NAT probes).
  Status open_for(const Endpoint& peer);
  void start(Handler handler, BatchDone done = {});
  void close();

  // False when dropped (buffer full, unreachable, closed). `ttl` 0: the socket default.
  bool send(const Endpoint& to, std::span<const std::uint8_t> bytes, int ttl = 0);

  std::uint16_t local_port() const { return local_port_; }
  bool dual_stack() const { return v6_; }
  std::uint64_t send_drops() const { return send_drops_; }

 private:
  void wait();
  void drain();
  bool set_ttl(int ttl);

  boost::asio::ip::udp::socket socket_;
  bool v6_ = false;
  std::uint16_t local_port_ = 0;
  int default_ttl_ = 64;
  Handler handler_;
  BatchDone done_;
  std::uint64_t send_drops_ = 0;
  // Handlers outlive close(): they check this before touching anything.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  struct Buffers {
    std::array<std::array<std::uint8_t, kBufferSize>, kBatch> data;
    std::array<sockaddr_storage, kBatch> from;
    std::array<iovec, kBatch> iov;
    std::array<mmsghdr, kBatch> msgs;
  };
  std::unique_ptr<Buffers> buf_;
};

}  // namespace sudachi::client::p2p::runtime
