#pragma once

// A RoomServiceImpl wired to the in-process adapters, with connections that record every
// frame they are sent, decoded back into (event, payload) and acks for the assertions.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "auth/relay_token.hpp"
#include "common/clock.hpp"
#include "common/random_id.hpp"
#include "metrics/registry.hpp"
#include "protocol/socketio/packet.hpp"
#include "room/room_metrics.hpp"
#include "room/room_service_impl.hpp"
#include "storage/memory/memory_delivery.hpp"
#include "storage/memory/memory_rate_limiter.hpp"
#include "storage/memory/memory_relay_sessions.hpp"
#include "storage/memory/memory_room_store.hpp"
#include "storage/memory/static_relay_directory.hpp"

namespace sudachi::room::test {

namespace json = boost::json;

struct Emitted {
  std::string event;
  json::value payload;
};

class RecordingConnection final : public ClientConnection {
 public:
  void send(SharedFrame frame) override {
    std::lock_guard lock(mutex_);
    frames_.push_back(std::move(frame));
  }
  void disconnect() override {
    std::lock_guard lock(mutex_);
    disconnected_ = true;
  }

  bool disconnected() const {
    std::lock_guard lock(mutex_);
    return disconnected_;
  }
  std::vector<SharedFrame> frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    frames_.clear();
  }

  // Every EVENT frame received, in order.
  std::vector<Emitted> events() const {
    std::vector<Emitted> out;
    for (const auto& f : frames()) {
      socketio::Packet p = decode(*f);
      if (p.type != socketio::PacketType::event) continue;
      auto& args = p.data.as_array();
      out.push_back({std::string(args[0].as_string()), args.size() > 1 ? args[1] : json::value()});
    }
    return out;
  }
  std::vector<Emitted> events(std::string_view name) const {
    std::vector<Emitted> out;
    for (auto& e : events()) {
      if (e.event == name) out.push_back(e);
    }
    return out;
  }
  // The one event called `name`; fails the test when there is not exactly one.
  json::value only(std::string_view name) const {
    auto found = events(name);
    EXPECT_EQ(found.size(), 1u) << "event " << name << " in " << dump();
    return found.empty() ? json::value() : found.front().payload;
  }
  // The single argument of the ack with `id`; null when none arrived.
  json::value ack(std::uint64_t id) const {
    json::value out;
    int count = 0;
    for (const auto& f : frames()) {
      socketio::Packet p = decode(*f);
      if (p.type == socketio::PacketType::ack && p.id == id) {
        ++count;
        auto& args = p.data.as_array();
        EXPECT_EQ(args.size(), 1u);
        out = args.empty() ? json::value() : args[0];
      }
    }
    EXPECT_LE(count, 1) << "ack " << id << " sent twice";
    return out;
  }
  std::string dump() const {
    std::string out;
    for (const auto& f : frames()) out += *f + "\n";
    return out;
  }

 private:
  static socketio::Packet decode(const std::string& frame) {
    socketio::Packet p;
    EXPECT_EQ(frame.front(), '4') << frame;
    EXPECT_EQ(socketio::decode(std::string_view(frame).substr(1), p), socketio::DecodeError::none)
        << frame;
    return p;
  }

  mutable std::mutex mutex_;
  std::vector<SharedFrame> frames_;
  bool disconnected_ = false;
};

class RecordingHistory final : public HistorySink {
 public:
  void upsert_client(ClientRow row) override {
    std::lock_guard lock(mutex_);
    clients.push_back(std::move(row));
  }
  void room_closed(RoomHistoryRow row) override {
    std::lock_guard lock(mutex_);
    rooms.push_back(std::move(row));
  }
  void connection_metric(ConnectionMetricRow row) override {
    std::lock_guard lock(mutex_);
    metrics.push_back(std::move(row));
  }
  bool healthy() const override { return true; }

  std::mutex mutex_;
  std::vector<ClientRow> clients;
  std::vector<RoomHistoryRow> rooms;
  std::vector<ConnectionMetricRow> metrics;
};

struct TestClient {
  ClientIdentity who;
  std::shared_ptr<RecordingConnection> conn;
  const std::string& id() const { return who.client_id; }
};

inline constexpr const char* kGameId = "0100000000010000";
inline constexpr const char* kRelayId = "relay-eu-1";
inline constexpr const char* kResumeSecret = "the-jwt-secret-of-the-fixture";

class ServiceTest : public ::testing::Test {
 protected:
  static RatePolicy generous() { return RatePolicy{1000, 60'000, 300'000, true}; }

  explicit ServiceTest(RatePolicy events = generous(),
                       RatePolicy relays = RatePolicy{2, 60'000, 60'000, true})
      : event_limiter_(events, clock_), relay_limiter_(relays, clock_) {}

  ManualClock clock_;
  storage::MemoryRoomStore store_{clock_};
  storage::MemoryDelivery delivery_;
  storage::MemoryRateLimiter event_limiter_;
  storage::MemoryRateLimiter relay_limiter_;
  storage::StaticRelayDirectory relays_{
      {RelayEndpoint{kRelayId, "relay.example.org", 3478, 3479, "eu"}}};
  auth::RelayTokenKeyring keys_{
      {{"k1", "an-old-secret-for-rotation-0000"}, {"k2", "the-current-relay-secret-123456"}}, "k2"};
  metrics::Registry registry_;
  RoomMetrics metrics_{registry_};
  RecordingHistory history_;
  storage::MemoryRelaySessions relay_sessions_{clock_};
  RoomServiceImpl service_{RoomServiceImpl::Dependencies{
      store_, delivery_, history_, event_limiter_, relay_limiter_, relays_, keys_, metrics_, clock_,
      [](std::function<void()> work) { work(); }, "eu", 30'000, "9.9.9", false, relay_sessions_,
      kResumeSecret}};
  std::uint64_t next_ack_ = 1;

  TestClient connect(std::string username, std::string client_id = random_uuid_v4()) {
    TestClient c{ClientIdentity{client_id, std::move(username), "linux", "1.0.0", "127.0.0.1"},
                 std::make_shared<RecordingConnection>()};
    service_.on_connected(c.who, c.conn);
    return c;
  }

  // Sends an event with an ack id and returns that id.
  std::uint64_t send(const TestClient& c, std::string_view event, json::value payload) {
    const std::uint64_t id = next_ack_++;
    service_.on_event(c.who, c.conn, event, std::move(payload), id);
    return id;
  }
  // Sends and returns the ack.
  json::value call(const TestClient& c, std::string_view event, json::value payload) {
    return c.conn->ack(send(c, event, std::move(payload)));
  }

  static json::object room_payload(std::string name = "My room", int max_players = 4) {
    return json::object{{"gameId", kGameId},
                        {"gameName", "Mario Kart 8 Deluxe"},
                        {"name", name},
                        {"maxPlayers", max_players},
                        {"visibility", "public"}};
  }
  // Creates a room hosted by `host` and returns its id.
  std::string create_room(const TestClient& host, json::object payload = room_payload()) {
    json::value ack = call(host, "room:create", payload);
    EXPECT_TRUE(ack.as_object().at("success").as_bool()) << json::serialize(ack);
    return std::string(ack.at("room").at("id").as_string());
  }
  void join(const TestClient& c, const std::string& room_id) {
    json::value ack = call(c, "room:join", json::object{{"roomId", room_id}});
    ASSERT_TRUE(ack.at("success").as_bool()) << json::serialize(ack);
  }
  static std::string error_code(const json::value& ack) {
    if (!ack.is_object()) return "NO ACK";
    if (ack.at("success").as_bool()) return "OK";
    return std::string(ack.at("error").at("code").as_string());
  }
  void clear(std::initializer_list<const TestClient*> clients) {
    for (const auto* c : clients) c->conn->clear();
  }
};

}  // namespace sudachi::room::test
