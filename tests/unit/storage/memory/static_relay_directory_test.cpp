#include "storage/memory/static_relay_directory.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sudachi::storage {
namespace {

room::RelayEndpoint relay(const std::string& id, const std::string& region) {
  return room::RelayEndpoint{id, id + ".example", 3478, 3479, region};
}

std::vector<std::string> picks(StaticRelayDirectory& directory, const std::string& region, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    auto chosen = directory.choose(region);
    out.push_back(chosen.ok() ? chosen->id : "error");
  }
  return out;
}

using Ids = std::vector<std::string>;

TEST(StaticRelayDirectory, EmptyListHasNoRelay) {
  StaticRelayDirectory directory({});
  std::optional<Result<room::RelayEndpoint>> out;
  directory.pick("eu", [&](Result<room::RelayEndpoint> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(out);
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().code, ErrorCode::no_relay_available);
}

TEST(StaticRelayDirectory, PrefersTheRegionRoundRobin) {
  StaticRelayDirectory directory(
      {relay("eu1", "eu"), relay("us1", "us"), relay("eu2", "eu"), relay("eu3", "eu")});
  EXPECT_EQ(picks(directory, "eu", 4), (Ids{"eu1", "eu2", "eu3", "eu1"}));
  EXPECT_EQ(picks(directory, "us", 2), (Ids{"us1", "us1"}));
}

TEST(StaticRelayDirectory, FallsBackToAllRoundRobin) {
  StaticRelayDirectory directory({relay("eu1", "eu"), relay("us1", "us"), relay("any", "")});
  EXPECT_EQ(picks(directory, "ap", 4), (Ids{"eu1", "us1", "any", "eu1"}));
  EXPECT_EQ(picks(directory, "", 2), (Ids{"us1", "any"}));  // no preference: the same cycle
}

TEST(StaticRelayDirectory, PickReturnsTheWholeEndpoint) {
  StaticRelayDirectory directory({relay("eu1", "eu")});
  std::optional<Result<room::RelayEndpoint>> out;
  directory.pick("eu", [&](Result<room::RelayEndpoint> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(out && out->ok());
  EXPECT_EQ((*out)->host, "eu1.example");
  EXPECT_EQ((*out)->udp_port, 3478);
  EXPECT_EQ((*out)->tcp_port, 3479);
}

}  // namespace
}  // namespace sudachi::storage
