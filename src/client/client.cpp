// Client: the public object. It owns the I/O thread and its io_context, and on that thread the
// room session, the peer network and the bridge between them; everything the application
// calls is posted there, and everything that happens comes back through Delivery.
#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/delivery.hpp"
#include "client/peer_bridge.hpp"
#include "client/signaling/net_connect.hpp"
#include "client/signaling/room_session.hpp"
#include "client/signaling/server_url.hpp"
#include "sudachi/mp.hpp"

namespace sudachi::mp {
namespace asio = boost::asio;
using client::Delivery;
using client::PeerBridge;
using client::RoomSession;

namespace {

constexpr std::chrono::milliseconds kLeaveGrace{1'000};
constexpr std::chrono::milliseconds kStopBound{3'000};  // the teardown happens by then, always

Error invalid(std::string message) {
  return {ErrorCode::invalid_argument, std::move(message), 0};
}

}  // namespace

struct Client::Impl {
  explicit Impl(ClientConfig c)
      : config(std::move(c)), delivery(config.callbacks, config.max_queued_datagrams) {}

  ClientConfig config;
  Delivery delivery;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::mutex lifecycle;  // start() and stop()
  std::atomic<bool> running{false};
  std::atomic<bool> ever_started{false};
  std::atomic<RequestId> next_id{1};
  std::atomic<std::uint64_t> no_path_drops{0};

  // Owned by the I/O thread.
  std::unique_ptr<PeerBridge> bridge;
  std::shared_ptr<RoomSession> session;

  // Snapshots for the application's threads.
  mutable std::mutex snapshot_mutex;
  std::condition_variable snapshot_changed;
  ConnectionState state = ConnectionState::offline;
  std::string client_id;
  std::optional<RoomInfo> room;
  std::vector<Member> members;
  std::uint64_t reconnects = 0;

  bool on_io_thread() { return io.get_executor().running_in_this_thread(); }

  // Runs `f` on the I/O thread and waits for its result; `fallback` when the thread does not
  // run it in time (the client is stopping).
  template <class F, class R = decltype(std::declval<F>()())>
  R run_on_io(F f, R fallback = R{}) {
    if (on_io_thread()) return f();
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    auto result = task->get_future();
    asio::post(io, [task] { (*task)(); });
    if (result.wait_for(kStopBound) != std::future_status::ready) return fallback;
    try {
      return result.get();
    } catch (const std::future_error&) {  // dropped unrun by a stopping io_context
      return fallback;
    }
  }

  void on_session_event(Event event) {
    {
      std::lock_guard lock(snapshot_mutex);
      if (session) {
        state = session->state();
        client_id = session->client_id();
        room = session->room();
        members = session->members();
        reconnects = session->reconnects();
      }
    }
    snapshot_changed.notify_all();
    delivery.event(std::move(event));
  }

  Error start();
  void stop();
  void teardown_on_io();
  RequestId submit(Call call, Completion done, std::function<void(RoomSession&, RequestId)> f);
};

Error Client::Impl::start() {
  std::vector<client::ServerUrl> servers;
  for (const auto& item : config.servers) {
    auto list = client::parse_server_list(item);
    if (!list) return invalid(list.error().message);
    servers.insert(servers.end(), list->begin(), list->end());
  }
  if (servers.empty()) return invalid("no room server given");
  if (config.token.empty() && (config.username.empty() || config.username.size() > 128))
    return invalid("a guest needs a username (1..32 characters)");
  auto tls = client::make_tls_context(config.ca_file);
  if (!tls) return invalid(tls.error().message);

  client::SessionConfig sc;
  sc.servers = std::move(servers);
  sc.token = config.token;
  sc.username = config.username;
  sc.platform = config.platform;
  sc.sudachi_version = config.sudachi_version;
  sc.connect_timeout = config.connect_timeout;
  sc.call_timeout = config.call_timeout;
  sc.reconnect_initial = config.reconnect_initial;
  sc.reconnect_max = config.reconnect_max;
  sc.give_up_after_passes = config.give_up_after_passes;
  sc.restore_window = config.room_restore_window;
  sc.metrics_interval = config.metrics_report_interval;
  sc.seed = config.seed != 0 ? config.seed : std::random_device{}() | 1ULL;

  client::p2p::PeerNetworkConfig pc;
  pc.bind_port = config.udp_port;
  pc.failure_timeout_ms = static_cast<int>(config.direct_timeout.count());
  pc.allow_direct = !config.disable_direct;
  if (config.log) {
    pc.log = [log = config.log](client::p2p::LogLevel level, std::string_view message) {
      log(static_cast<LogLevel>(level), message);
    };
  }

  work.emplace(io.get_executor());
  thread = std::thread([this] { io.run(); });
  Error error = run_on_io([&]() -> Error {
    bridge = std::make_unique<PeerBridge>(
        io, std::move(pc),
        PeerBridge::Outputs{[this](Event event) { delivery.event(std::move(event)); },
                            [this](const std::string& peer, std::span<const std::byte> data) {
                              delivery.datagram(peer, data);
                            }});
    if (auto started = bridge->start(); !started) {
      bridge.reset();
      return {ErrorCode::invalid_argument, "cannot open the UDP socket: " + started.error().message,
              0};
    }
    session =
        std::make_shared<RoomSession>(io, std::move(*tls), std::move(sc), *bridge,
                                      [this](Event event) { on_session_event(std::move(event)); });
    bridge->set_session(session.get());
    session->start();
    return {};
  });
  if (error) {
    work.reset();
    io.stop();
    thread.join();
    return error;
  }
  running = true;
  return {};
}

void Client::Impl::teardown_on_io() {
  if (bridge) bridge->set_session(nullptr);
  session.reset();
  bridge.reset();  // stops the peer network: BYE to relays, sockets closed
  work.reset();
  io.stop();
}

void Client::Impl::stop() {
  // Leaving the room and closing the connection take a round trip; a timer bounds them so that
  // stop() returns even when the server does not answer.
  auto timer = std::make_shared<asio::steady_timer>(io, kStopBound);
  asio::post(io, [this, timer] {
    timer->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) teardown_on_io();
    });
    if (!session) return teardown_on_io();
    session->stop(kLeaveGrace, [this, timer] {
      // From inside the session: the teardown that destroys it runs after this returns.
      asio::post(io, [this, timer] {
        timer->cancel();
        teardown_on_io();
      });
    });
  });
  thread.join();
  {
    std::lock_guard lock(snapshot_mutex);
    state = ConnectionState::offline;
  }
  snapshot_changed.notify_all();
}

RequestId Client::Impl::submit(Call call, Completion done,
                               std::function<void(RoomSession&, RequestId)> f) {
  const RequestId id = next_id.fetch_add(1);
  delivery.add_completion(id, std::move(done));
  if (!running) {
    // Nothing runs: the call fails at once, on the caller's thread.
    Event event;
    event.type = EventType::call_done;
    event.request_id = id;
    event.call = call;
    event.error = invalid(ever_started ? "the client is stopped" : "the client is not started");
    delivery.event(std::move(event));
    return id;
  }
  asio::post(io, [this, id, f = std::move(f)] {
    if (session) f(*session, id);
  });
  return id;
}

// ---- Client

Client::Client(ClientConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Client::~Client() {
  stop();
}

Error Client::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->ever_started) return invalid("start() may be called once");
  impl_->ever_started = true;
  return impl_->start();
}

void Client::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (!impl_->running.exchange(false)) return;
  impl_->stop();
}

std::size_t Client::poll(Handler& handler, std::size_t max_items) {
  return impl_->delivery.poll(handler, max_items);
}

bool Client::wait(std::chrono::milliseconds timeout) {
  return impl_->delivery.wait(timeout);
}

ConnectionState Client::state() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->state;
}

std::string Client::client_id() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->client_id;
}

std::optional<RoomInfo> Client::room() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->room;
}

std::vector<Member> Client::members() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->members;
}

std::vector<std::string> Client::peers() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  std::vector<std::string> out;
  for (const auto& m : impl_->members) {
    if (m.client_id != impl_->client_id) out.push_back(m.client_id);
  }
  return out;
}

RequestId Client::list_rooms(const ListRoomsOptions& options, Completion done) {
  return impl_->submit(Call::list_rooms, std::move(done),
                       [options](RoomSession& s, RequestId id) { s.list_rooms(id, options); });
}

RequestId Client::create_room(const CreateRoomOptions& options, Completion done) {
  return impl_->submit(Call::create_room, std::move(done),
                       [options](RoomSession& s, RequestId id) { s.create_room(id, options); });
}

RequestId Client::join_room(const std::string& room_id, const std::string& password,
                            Completion done) {
  return impl_->submit(
      Call::join_room, std::move(done),
      [room_id, password](RoomSession& s, RequestId id) { s.join_room(id, room_id, password); });
}

RequestId Client::leave_room(Completion done) {
  return impl_->submit(Call::leave_room, std::move(done),
                       [](RoomSession& s, RequestId id) { s.leave_room(id); });
}

RequestId Client::close_room(Completion done) {
  return impl_->submit(Call::close_room, std::move(done),
                       [](RoomSession& s, RequestId id) { s.close_room(id); });
}

RequestId Client::kick(const std::string& client_id, Completion done) {
  return impl_->submit(Call::kick, std::move(done),
                       [client_id](RoomSession& s, RequestId id) { s.kick(id, client_id); });
}

RequestId Client::update_room(const RoomUpdateOptions& options, Completion done) {
  return impl_->submit(Call::update_room, std::move(done),
                       [options](RoomSession& s, RequestId id) { s.update_room(id, options); });
}

RequestId Client::send_chat(const std::string& text, Completion done) {
  return impl_->submit(Call::chat, std::move(done),
                       [text](RoomSession& s, RequestId id) { s.chat(id, text); });
}

RequestId Client::subscribe_lobby(const std::string& game_id, Completion done) {
  return impl_->submit(Call::subscribe_lobby, std::move(done),
                       [game_id](RoomSession& s, RequestId id) { s.subscribe_lobby(id, game_id); });
}

RequestId Client::unsubscribe_lobby(Completion done) {
  return impl_->submit(Call::unsubscribe_lobby, std::move(done),
                       [](RoomSession& s, RequestId id) { s.unsubscribe_lobby(id); });
}

bool Client::send(std::string_view peer_id, std::span<const std::byte> data) {
  if (data.size() > kMaxDatagram || !impl_->running) return false;
  asio::post(impl_->io, [impl = impl_.get(), peer = std::string(peer_id),
                         bytes = std::vector<std::byte>(data.begin(), data.end())] {
    if (!impl->bridge || !impl->bridge->send(peer, bytes)) impl->no_path_drops.fetch_add(1);
  });
  return true;
}

bool Client::broadcast(std::span<const std::byte> data) {
  if (data.size() > kMaxDatagram || !impl_->running) return false;
  asio::post(impl_->io,
             [impl = impl_.get(), bytes = std::vector<std::byte>(data.begin(), data.end())] {
               if (impl->bridge) impl->bridge->broadcast(bytes);
             });
  return true;
}

std::optional<PeerStats> Client::peer_stats(std::string_view peer_id) const {
  if (!impl_->running) return std::nullopt;
  return impl_->run_on_io([impl = impl_.get(), peer = std::string(peer_id)] {
    return impl->bridge ? impl->bridge->stats(peer) : std::nullopt;
  });
}

ProbeResult Client::probe(std::chrono::milliseconds timeout) {
  ProbeResult out;
  if (!impl_->running) {
    out.error = invalid("the client is not running");
    return out;
  }
  // The STUN servers to ask come from the room server: wait for the connection.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::unique_lock lock(impl_->snapshot_mutex);
    impl_->snapshot_changed.wait_until(lock, deadline, [this] {
      return impl_->state == ConnectionState::connected || impl_->state == ConnectionState::offline;
    });
    if (impl_->state != ConnectionState::connected) {
      out.error = {
          impl_->state == ConnectionState::offline ? ErrorCode::unreachable : ErrorCode::timeout,
          "not connected to a room server", 0};
      return out;
    }
  }
  client::p2p::NatProbeOptions options;
  options.timeout_ms = static_cast<int>(std::clamp<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                            std::chrono::steady_clock::now())
          .count(),
      200, 60'000));
  auto promise = std::make_shared<std::promise<client::p2p::NatProbeResult>>();
  auto result = promise->get_future();
  asio::post(impl_->io, [impl = impl_.get(), promise, options] {
    if (!impl->session) return;  // the promise breaks: reported below
    std::vector<client::p2p::HostPort> stun;
    for (const auto& s : impl->session->stun_servers()) stun.push_back({s.host, s.port});
    client::p2p::probe_nat(
        impl->io, std::move(stun), options,
        [promise](client::p2p::NatProbeResult r) { promise->set_value(std::move(r)); });
  });
  const auto bound = std::chrono::milliseconds(options.timeout_ms) + kStopBound;
  client::p2p::NatProbeResult r;
  try {
    if (result.wait_for(bound) != std::future_status::ready)
      throw std::future_error(std::future_errc::broken_promise);
    r = result.get();
  } catch (const std::future_error&) {
    out.error = {ErrorCode::timeout, "the probe did not finish", 0};
    return out;
  }
  out.udp_blocked = r.udp_blocked;
  out.local_address = r.local_address;
  out.public_address = r.public_address;
  out.mapping = std::string(client::p2p::to_string(r.mapping));
  for (const auto& o : r.observations) out.observations.push_back({o.server, o.mapped});
  return out;
}

Client::Counters Client::counters() const {
  Counters c;
  c.datagrams_dropped_queue_full = impl_->delivery.datagrams_dropped();
  c.datagrams_dropped_no_path = impl_->no_path_drops.load();
  std::lock_guard lock(impl_->snapshot_mutex);
  c.reconnects = impl_->reconnects;
  return c;
}

}  // namespace sudachi::mp
