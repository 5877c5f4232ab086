#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "client/p2p/peer_network.hpp"
#include "client/p2p/peer_session.hpp"
#include "client/p2p/runtime/udp_port.hpp"
#include "client/p2p/tcp_relay_stream.hpp"
#include "client/p2p/udp_relay_client.hpp"

// One peer's relay session on the io_context: resolves the relay, then runs the UDP client
// (its own socket: the relay binds a slot to one source address) or the TCP leg, and switches
// between them when the relay says so (PROTOCOL_MISMATCH) or UDP stays silent. The owner sees
// only "ready", frames, and "failed".
//
// Lifetime: owned by a shared_ptr; handlers keep it alive; after close() it calls its owner
// no more. Never destroyed from inside one of its own callbacks (the owner defers that).
namespace sudachi::client::p2p::runtime {

class RelayLeg : public std::enable_shared_from_this<RelayLeg>,
                 private UdpRelayClient::Host,
                 private TcpRelayReader::Host {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual void leg_ready(RelayLeg& leg) = 0;
    virtual void leg_frame(RelayLeg& leg, std::span<const std::uint8_t> frame) = 0;
    virtual void leg_failed(RelayLeg& leg, std::string_view reason) = 0;
    virtual void leg_log(RelayLeg& leg, LogLevel level, std::string_view message) = 0;
  };

  struct Config {
    int udp_silence_to_tcp_ms = 1000;
    int handshake_timeout_ms = 10000;
    bool allow_udp = true;
    std::size_t tcp_queue_limit = 256 * 1024;  // bytes waiting for the TCP socket; then drop
    int max_transport_switches = 2;
  };

  RelayLeg(boost::asio::io_context& io, std::string peer_id, RelayOffer offer,
           RelayTransport transport, Config config, Owner& owner);
  ~RelayLeg() override;

  void start(std::int64_t now_ms);
  // A peer frame to the other peer; false when dropped (not up, queue full, too large).
  bool send_frame(std::span<const std::uint8_t> frame);
  // Timers of the UDP client and the handshake bound. Returns the next wake-up time.
  std::int64_t tick(std::int64_t now_ms);
  // Our address changed (another interface, a new NAT mapping): a bound UDP session proves
  // the new source address to the relay with its rebind key now, instead of after missed
  // keepalives. TCP needs nothing (a changed address breaks the connection: failed).
  void rebind(std::int64_t now_ms);
  void close();

  const std::string& peer_id() const { return peer_id_; }
  RelayTransport transport() const { return transport_; }
  std::string remote_address() const;

 private:
  void resolved(const boost::asio::ip::address& ip, std::int64_t now_ms);
  void start_udp(std::int64_t now_ms);
  void start_tcp(std::int64_t now_ms);
  void switch_transport(std::string_view why, std::int64_t now_ms);
  void fail(std::string_view reason);
  void tcp_read();
  void tcp_flush();
  bool tcp_queue(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

  // UdpRelayClient::Host
  void relay_send(std::uint16_t port, std::span<const std::uint8_t> datagram) override;
  void relay_bound(bool peer_bound) override;
  void relay_peer_joined() override {}
  void relay_data(std::span<const std::uint8_t> payload) override;
  void relay_failed(std::string_view reason, bool use_tcp) override;
  // TcpRelayReader::Host
  void tcp_relay_bound() override;
  void tcp_relay_paired() override;
  void tcp_relay_frame(std::span<const std::uint8_t> frame) override;
  void tcp_relay_failed(std::string_view reason, bool use_udp) override;

  boost::asio::io_context& io_;
  std::string peer_id_;
  RelayOffer offer_;
  RelayTransport transport_;
  Config config_;
  Owner& owner_;
  bool closed_ = false;
  bool ready_ = false;
  int switches_ = 0;
  std::int64_t started_ms_ = 0;

  boost::asio::ip::udp::resolver resolver_;
  std::optional<Endpoint> server_;  // the relay's IP (port 0)

  std::unique_ptr<UdpPort> udp_;
  std::unique_ptr<UdpRelayClient> udp_client_;

  std::unique_ptr<boost::asio::ip::tcp::socket> tcp_;
  std::unique_ptr<TcpRelayReader> tcp_reader_;
  std::vector<std::uint8_t> tcp_pending_, tcp_writing_;
  bool tcp_write_in_flight_ = false;
  bool tcp_paired_ = false;
  std::array<std::uint8_t, 4096> tcp_read_buf_{};
};

}  // namespace sudachi::client::p2p::runtime
