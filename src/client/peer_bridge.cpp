#include "client/peer_bridge.hpp"

#include <utility>

namespace sudachi::client {

PeerBridge::PeerBridge(boost::asio::io_context& io, p2p::PeerNetworkConfig config, Outputs outputs)
    : outputs_(std::move(outputs)), network_(io, std::move(config), *this) {
  network_.on_datagram = [this](const std::string& peer, std::span<const std::byte> data) {
    if (outputs_.datagram) outputs_.datagram(peer, data);
  };
  network_.on_event = [this](const p2p::PeerEvent& event) { on_peer_event(event); };
}

PeerBridge::~PeerBridge() {
  network_.on_datagram = nullptr;
  network_.on_event = nullptr;
  network_.stop();
}

mp::PathKind PeerBridge::to_public(p2p::PathKind kind) {
  switch (kind) {
    case p2p::PathKind::direct:
      return mp::PathKind::direct;
    case p2p::PathKind::relay:
      return mp::PathKind::relay;
    case p2p::PathKind::none:
      break;
  }
  return mp::PathKind::none;
}

bool PeerBridge::send(const std::string& peer, std::span<const std::byte> data) {
  return network_.send(peer, data);
}

void PeerBridge::broadcast(std::span<const std::byte> data) {
  network_.broadcast(data);
}

std::optional<mp::PeerStats> PeerBridge::stats(const std::string& peer) const {
  const auto s = network_.stats(peer);
  if (!s) return std::nullopt;
  mp::PeerStats out;
  out.path = to_public(s->path);
  out.rtt_ms = s->rtt_ms;
  out.loss = s->loss;
  out.bytes_sent = s->bytes_sent;
  out.bytes_received = s->bytes_received;
  out.datagrams_sent = s->datagrams_sent;
  out.datagrams_received = s->datagrams_received;
  out.connect_ms = s->connect_ms;
  return out;
}

void PeerBridge::set_local_id(const std::string& client_id) {
  network_.set_local_id(client_id);
}

void PeerBridge::set_stun_servers(const std::vector<StunServer>& servers) {
  std::vector<p2p::HostPort> list;
  list.reserve(servers.size());
  for (const auto& s : servers) list.push_back({s.host, s.port});
  network_.set_stun_servers(std::move(list));
}

void PeerBridge::add_peer(const std::string& peer_id) {
  network_.add_peer(peer_id);
}

void PeerBridge::remove_peer(const std::string& peer_id) {
  network_.remove_peer(peer_id);
}

void PeerBridge::on_signal(const std::string& peer_id, std::string_view payload_json) {
  network_.on_signal(peer_id, payload_json);
}

void PeerBridge::on_use_relay(const std::string& peer_id, const RelayOfferFields& offer) {
  p2p::RelayOffer out;
  out.server = offer.server;
  out.port = offer.port;
  out.tcp_port = offer.tcp_port;
  out.protocol = offer.protocol;
  out.session_id = offer.session_id;
  out.token = offer.token;
  out.expires_at_ms = offer.expires_at_ms;
  network_.on_use_relay(peer_id, out);
}

void PeerBridge::send_signal(const std::string& peer_id, std::string payload_json) {
  if (session_ != nullptr) session_->send_signal(peer_id, std::move(payload_json));
}

void PeerBridge::report_failure(const std::string& peer_id) {
  if (session_ != nullptr) session_->report_failure(peer_id);
}

void PeerBridge::report_success(const std::string& peer_id, p2p::PathKind kind,
                                std::uint32_t latency_ms) {
  if (session_ != nullptr) session_->report_success(peer_id, to_public(kind), latency_ms);
}

void PeerBridge::on_peer_event(const p2p::PeerEvent& pe) {
  if (!outputs_.event) return;
  mp::Event event;
  event.peer_id = pe.peer_id;
  event.path = to_public(pe.path);
  event.connect_ms = pe.connect_ms;
  switch (pe.kind) {
    case p2p::PeerEvent::Kind::connected:
      event.type = mp::EventType::peer_connected;
      break;
    case p2p::PeerEvent::Kind::path_changed:
      event.type = mp::EventType::peer_path_changed;
      break;
    case p2p::PeerEvent::Kind::failed:
      event.type = mp::EventType::peer_failed;
      event.error = {mp::ErrorCode::unreachable, pe.message, 0};
      break;
    case p2p::PeerEvent::Kind::disconnected:
      event.type = mp::EventType::peer_disconnected;
      break;
  }
  outputs_.event(std::move(event));
}

}  // namespace sudachi::client
