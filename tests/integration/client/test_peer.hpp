#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sudachi/mp.hpp"

// One player for the integration tests: an mp::Client in poll mode, with everything it hands
// out recorded so that a test can wait for an event that may already have arrived. Every wait
// is bounded by a deadline (and polls, never sleeps blindly).
namespace sudachi::client::test {

using std::chrono::milliseconds;
inline constexpr milliseconds kWait{15'000};
inline constexpr const char* kGame = "0100000000010000";

struct Datagram {
  std::string from;
  std::vector<std::byte> data;
};

class TestPeer : public mp::Handler {
 public:
  // `tweak` adjusts the config before start (relay only, short timeouts...).
  TestPeer(std::vector<std::string> servers, std::string username,
           const std::function<void(mp::ClientConfig&)>& tweak = {});
  ~TestPeer() override;

  mp::Client& client() { return *client_; }
  const mp::Error& start_error() const { return start_error_; }

  // Polls once, recording.
  void pump(milliseconds wait = milliseconds(10));
  // The first recorded, unconsumed event matching `match`, waiting for it up to `timeout`.
  std::optional<mp::Event> wait_event(const std::function<bool(const mp::Event&)>& match,
                                      milliseconds timeout = kWait);
  std::optional<mp::Event> wait_type(mp::EventType type, milliseconds timeout = kWait);
  bool wait_connected(milliseconds timeout = kWait);
  // Runs a call and waits for its call_done.
  mp::Event call(const std::function<mp::RequestId(mp::Client&)>& start,
                 milliseconds timeout = kWait);
  // Waits until the peer network has a path to `peer`; returns its peer_connected event.
  std::optional<mp::Event> wait_peer(const std::string& peer, milliseconds timeout = kWait);

  std::deque<Datagram>& datagrams() { return datagrams_; }
  const std::vector<mp::Event>& seen() const { return seen_; }  // every event, in order
  std::string id() { return client_->client_id(); }

  void on_event(const mp::Event& event) override;
  void on_datagram(std::string_view from, std::span<const std::byte> data) override;

 private:
  std::unique_ptr<mp::Client> client_;
  mp::Error start_error_;
  std::deque<mp::Event> pending_;  // not consumed by a wait yet
  std::vector<mp::Event> seen_;
  std::deque<Datagram> datagrams_;
};

std::span<const std::byte> as_bytes(const std::string& s);
std::string as_string(const std::vector<std::byte>& b);

// Creates a room hosted by `host` and returns it (fails the test when it cannot).
mp::RoomInfo create_room(TestPeer& host, const std::string& name = "it room", int max_players = 4,
                         const std::string& password = {});

}  // namespace sudachi::client::test
