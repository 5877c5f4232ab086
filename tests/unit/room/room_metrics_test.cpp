// rooms_active_total{game_id} through the service: client-chosen game ids cannot grow the
// exposition without bound, and series go away with their rooms.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "service_test_support.hpp"

namespace sudachi::room::test {
namespace {

std::size_t series(const metrics::Registry& registry, std::string_view name) {
  const std::string text = registry.render();
  std::size_t n = 0;
  const std::string prefix = "\n" + std::string(name) + "{";
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1))
    ++n;
  return n;
}

TEST_F(ServiceTest, RandomGameIdsLeaveAtMostTopNPlusOtherSeries) {
  std::mt19937_64 rng(42);  // seeded: the same ids every run
  std::vector<TestClient> hosts;
  std::vector<std::string> rooms;
  for (int i = 0; i < 120; ++i) {
    char game_id[17];
    std::snprintf(game_id, sizeof game_id, "%016llX", static_cast<unsigned long long>(rng()));
    json::object payload = room_payload("Room " + std::to_string(i));
    payload["gameId"] = game_id;
    payload["visibility"] = "private";
    hosts.push_back(connect("Host" + std::to_string(i)));
    rooms.push_back(create_room(hosts.back(), payload));
  }
  EXPECT_EQ(series(registry_, "rooms_active_total"), RoomMetrics::kMaxGameSeries + 1);
  const auto exported = metrics_.rooms_active.exported();
  EXPECT_EQ(exported.at("other"), 120 - static_cast<int>(RoomMetrics::kMaxGameSeries));

  for (std::size_t i = 0; i < hosts.size(); ++i) {
    EXPECT_EQ(error_code(call(hosts[i], "room:close", json::object{{"roomId", rooms[i]}})), "OK");
  }
  EXPECT_EQ(series(registry_, "rooms_active_total"), 0u);
}

}  // namespace
}  // namespace sudachi::room::test
