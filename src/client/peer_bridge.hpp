#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/p2p/peer_network.hpp"
#include "client/signaling/room_session.hpp"
#include "sudachi/mp.hpp"

// Where the two halves of the library meet: the room session tells the peer network who is
// in the room and what the peers signalled (PeerHooks), and the peer network asks the room
// session to signal, report and relay (p2p::SignalSink). The bridge owns the PeerNetwork and
// translates between the two vocabularies; neither half includes the other.
//
// Single-threaded: the client's I/O thread, like both halves (it is created and destroyed
// there too, as PeerNetwork requires).
namespace sudachi::client {

class PeerBridge final : public PeerHooks, public p2p::SignalSink {
 public:
  struct Outputs {
    std::function<void(mp::Event)> event;  // peer_connected, peer_path_changed, ...
    std::function<void(const std::string& peer, std::span<const std::byte>)> datagram;
  };

  PeerBridge(boost::asio::io_context& io, p2p::PeerNetworkConfig config, Outputs outputs);
  ~PeerBridge() override;

  Status start() { return network_.start(); }
  void stop() { network_.stop(); }
  // The session signals go to; nullptr drops them (before it exists, after it is gone).
  void set_session(RoomSession* session) { session_ = session; }

  bool send(const std::string& peer, std::span<const std::byte> data);
  void broadcast(std::span<const std::byte> data);

  // PeerHooks (from the room session)
  void set_local_id(const std::string& client_id) override;
  void set_stun_servers(const std::vector<StunServer>& servers) override;
  void add_peer(const std::string& peer_id) override;
  void remove_peer(const std::string& peer_id) override;
  void on_signal(const std::string& peer_id, std::string_view payload_json) override;
  void on_use_relay(const std::string& peer_id, const RelayOfferFields& offer) override;
  std::optional<mp::PeerStats> stats(const std::string& peer) const override;

  // p2p::SignalSink (from the peer network)
  void send_signal(const std::string& peer_id, std::string payload_json) override;
  void report_failure(const std::string& peer_id) override;
  void report_success(const std::string& peer_id, p2p::PathKind kind,
                      std::uint32_t latency_ms) override;

  static mp::PathKind to_public(p2p::PathKind kind);

 private:
  void on_peer_event(const p2p::PeerEvent& event);

  Outputs outputs_;
  RoomSession* session_ = nullptr;
  p2p::PeerNetwork network_;
};

}  // namespace sudachi::client
