#include <openssl/rand.h>

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/p2p/candidate.hpp"
#include "client/p2p/peer_network.hpp"
#include "client/p2p/runtime/clock.hpp"
#include "client/p2p/runtime/interfaces.hpp"
#include "client/p2p/runtime/udp_port.hpp"
#include "client/p2p/stun_binding.hpp"

// `sudachi-mp probe`: STUN Bindings from one fresh socket to every given server (and the port
// after it: the relay's second worker), then classify_mapping over the answers.
namespace sudachi::client::p2p {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxServers = 4;
constexpr int kPollMs = 20;

class NatProbe : public std::enable_shared_from_this<NatProbe> {
 public:
  NatProbe(asio::io_context& io, std::vector<HostPort> servers, NatProbeOptions options,
           std::function<void(NatProbeResult)> done)
      : io_(io),
        servers_(std::move(servers)),
        options_(std::move(options)),
        done_(std::move(done)),
        port_(io),
        resolver_(io),
        timer_(io) {
    if (servers_.size() > kMaxServers) servers_.resize(kMaxServers);
  }

  void start() {
    deadline_ = runtime::steady_now_ms() + options_.timeout_ms;
    if (auto st = port_.open(options_.bind_address, 0); !st.ok() || servers_.empty()) {
      finish();
      return;
    }
    port_.start(
        [weak = weak_from_this()](const Endpoint& from, std::span<const std::uint8_t> bytes) {
          if (auto self = weak.lock()) {
            for (StunBinding& b : self->bindings_) b.on_datagram(from, bytes);
          }
        });
    pending_resolves_ = servers_.size();
    for (const HostPort& s : servers_) {
      resolver_.async_resolve(s.host, std::to_string(s.port),
                              [self = shared_from_this(), port = s.port](
                                  const boost::system::error_code& ec,
                                  const asio::ip::udp::resolver::results_type& results) {
                                --self->pending_resolves_;
                                if (!ec) {
                                  for (const auto& r : results) {
                                    auto e =
                                        parse_endpoint(r.endpoint().address().to_string(), port);
                                    if (!e || (e->family == 6 && !self->port_.dual_stack()))
                                      continue;
                                    self->add(*e);
                                    if (self->options_.also_next_port && port < 65535) {
                                      Endpoint next = *e;
                                      next.port = static_cast<std::uint16_t>(port + 1);
                                      self->add(next);
                                    }
                                    break;
                                  }
                                }
                              });
    }
    poll();
  }

 private:
  void add(const Endpoint& server) {
    for (const StunBinding& b : bindings_)
      if (b.server() == server) return;
    relay::stun::TransactionId id;
    RAND_bytes(id.data(), static_cast<int>(id.size()));
    const std::int64_t now = runtime::steady_now_ms();
    bindings_.emplace_back(server, id, now, 100,
                           static_cast<int>(std::max<std::int64_t>(deadline_ - now, 1)));
  }

  void poll() {
    const std::int64_t now = runtime::steady_now_ms();
    bool all_finished = pending_resolves_ == 0;
    std::array<std::uint8_t, 64> buf{};
    for (StunBinding& b : bindings_) {
      if (const std::size_t n = b.poll_request(buf, now); n > 0)
        port_.send(b.server(), {buf.data(), n});
      all_finished = all_finished && b.finished(now);
    }
    if (all_finished || now >= deadline_) {
      finish();
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(kPollMs));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->poll();
    });
  }

  void finish() {
    NatProbeResult result;
    std::vector<NatObservation> observations;
    for (const StunBinding& b : bindings_) {
      observations.push_back({b.server(), b.mapped()});
      result.observations.push_back(
          {b.server().to_string(), b.mapped() ? b.mapped()->to_string() : ""});
      if (b.mapped() && result.public_address.empty())
        result.public_address = b.mapped()->to_string();
    }
    const auto interfaces = runtime::interface_addresses();
    const auto hosts = host_candidates(interfaces, port_.local_port(), port_.dual_stack());
    if (!hosts.empty()) result.local_address = hosts.front().address.to_string();
    const MappingVerdict v = classify_mapping(observations, interfaces, port_.local_port());
    result.mapping = v.mapping;
    result.udp_blocked = v.udp_blocked || bindings_.empty();
    port_.close();
    auto done = std::move(done_);
    if (done) done(std::move(result));
  }

  asio::io_context& io_;
  std::vector<HostPort> servers_;
  NatProbeOptions options_;
  std::function<void(NatProbeResult)> done_;
  runtime::UdpPort port_;
  asio::ip::udp::resolver resolver_;
  asio::steady_timer timer_;
  std::vector<StunBinding> bindings_;
  std::size_t pending_resolves_ = 0;
  std::int64_t deadline_ = 0;
};

}  // namespace

void probe_nat(asio::io_context& io, std::vector<HostPort> stun_servers, NatProbeOptions options,
               std::function<void(NatProbeResult)> done) {
  std::make_shared<NatProbe>(io, std::move(stun_servers), std::move(options), std::move(done))
      ->start();
}

}  // namespace sudachi::client::p2p
