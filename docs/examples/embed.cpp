// Host a room (no argument) or join one (its id as the argument), then trade datagrams.
#include <chrono>
#include <cstdio>
#include <sudachi/mp.hpp>
#include <thread>

namespace mp = sudachi::mp;

struct Game : mp::Handler {
  mp::Client* client = nullptr;
  void on_event(const mp::Event& e) override {
    if (e.type == mp::EventType::room_joined) std::printf("in room %s\n", e.room_id.c_str());
    if (e.type == mp::EventType::peer_connected) {
      std::printf("peer %s: %s\n", e.peer_id.c_str(), mp::to_string(e.path).data());
      client->send(e.peer_id, std::as_bytes(std::span("hello")));
    }
    if (e.error)
      std::printf("%s: %s\n", mp::to_string(e.error.code).data(), e.error.message.c_str());
  }
  void on_datagram(std::string_view from, std::span<const std::byte> data) override {
    std::printf("%zu bytes from %.*s\n", data.size(), int(from.size()), from.data());
  }
};

int main(int argc, char** argv) {
  mp::Client client({.servers = {"http://127.0.0.1:8080"}, .username = "embedder"});
  if (mp::Error error = client.start()) return std::puts(error.message.c_str()), 1;
  if (argc > 1)
    client.join_room(argv[1]);
  else
    client.create_room({.game_id = "0100000000010000", .name = "my room"});
  Game game;
  game.client = &client;
  for (int frame = 0; frame < 60 * 60; ++frame) {  // one minute of 60 Hz frames
    client.poll(game);                             // never blocks
    std::this_thread::sleep_for(std::chrono::milliseconds(16));
  }
}
