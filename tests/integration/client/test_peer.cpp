#include "test_peer.hpp"

#include <gtest/gtest.h>

namespace sudachi::client::test {

TestPeer::TestPeer(std::vector<std::string> servers, std::string username,
                   const std::function<void(mp::ClientConfig&)>& tweak) {
  mp::ClientConfig config;
  config.servers = std::move(servers);
  config.username = std::move(username);
  config.platform = "linux";
  config.sudachi_version = "it";
  config.seed = 12345;
  // Tests kill servers: come back fast.
  config.reconnect_initial = milliseconds(100);
  config.reconnect_max = milliseconds(1'000);
  config.connect_timeout = milliseconds(3'000);
  if (tweak) tweak(config);
  client_ = std::make_unique<mp::Client>(std::move(config));
  start_error_ = client_->start();
}

TestPeer::~TestPeer() {
  client_->stop();
}

void TestPeer::on_event(const mp::Event& event) {
  pending_.push_back(event);
  seen_.push_back(event);
}

void TestPeer::on_datagram(std::string_view from, std::span<const std::byte> data) {
  datagrams_.push_back({std::string(from), std::vector<std::byte>(data.begin(), data.end())});
}

void TestPeer::pump(milliseconds wait) {
  client_->wait(wait);
  client_->poll(*this);
}

std::optional<mp::Event> TestPeer::wait_event(const std::function<bool(const mp::Event&)>& match,
                                              milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (match(*it)) {
        mp::Event e = std::move(*it);
        pending_.erase(it);
        return e;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    pump(milliseconds(20));
  }
}

std::optional<mp::Event> TestPeer::wait_type(mp::EventType type, milliseconds timeout) {
  return wait_event([type](const mp::Event& e) { return e.type == type; }, timeout);
}

bool TestPeer::wait_connected(milliseconds timeout) {
  return wait_event(
             [](const mp::Event& e) {
               return e.type == mp::EventType::connection &&
                      e.state == mp::ConnectionState::connected;
             },
             timeout)
      .has_value();
}

mp::Event TestPeer::call(const std::function<mp::RequestId(mp::Client&)>& start,
                         milliseconds timeout) {
  const mp::RequestId id = start(*client_);
  auto done = wait_event(
      [id](const mp::Event& e) { return e.type == mp::EventType::call_done && e.request_id == id; },
      timeout);
  if (!done) {
    ADD_FAILURE() << "no call_done for request " << id;
    mp::Event none;
    none.error = {mp::ErrorCode::timeout, "test: no answer", 0};
    return none;
  }
  return *done;
}

std::optional<mp::Event> TestPeer::wait_peer(const std::string& peer, milliseconds timeout) {
  return wait_event(
      [&peer](const mp::Event& e) {
        return e.type == mp::EventType::peer_connected && e.peer_id == peer;
      },
      timeout);
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string as_string(const std::vector<std::byte>& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

mp::RoomInfo create_room(TestPeer& host, const std::string& name, int max_players,
                         const std::string& password) {
  mp::CreateRoomOptions options;
  options.game_id = kGame;
  options.name = name;
  options.max_players = max_players;
  options.password = password;
  const mp::Event done = host.call([&](mp::Client& c) { return c.create_room(options); });
  EXPECT_FALSE(done.error) << mp::to_string(done.error.code) << ": " << done.error.message;
  EXPECT_TRUE(done.room.has_value());
  return done.room.value_or(mp::RoomInfo{});
}

}  // namespace sudachi::client::test
