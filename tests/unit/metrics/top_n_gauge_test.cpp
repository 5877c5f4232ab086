#include "metrics/top_n_gauge.hpp"

#include <cstdio>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace sudachi::metrics {
namespace {

using Exported = std::map<std::string, std::int64_t>;

// The samples of `name` in the exposition, label value -> value.
Exported samples(const Registry& r, const std::string& name) {
  Exported out;
  const std::string text = r.render();
  const std::string prefix = name + "{game_id=\"";
  for (std::size_t at = text.find(prefix); at != std::string::npos;
       at = text.find(prefix, at + 1)) {
    const std::size_t label_end = text.find('"', at + prefix.size());
    const std::size_t eol = text.find('\n', label_end);
    out[text.substr(at + prefix.size(), label_end - at - prefix.size())] =
        std::stoll(text.substr(label_end + 3, eol - label_end - 3));
  }
  return out;
}

class TopNGaugeTest : public ::testing::Test {
 protected:
  Registry registry_;
  TopNGauge gauge_{registry_.gauge_family("rooms_active_total", "Rooms", {"game_id"}), 2};
};

TEST_F(TopNGaugeTest, BelowTheLimitEveryValueHasItsSeries) {
  gauge_.add("a", 1);
  gauge_.add("a", 1);
  gauge_.add("b", 1);
  EXPECT_EQ(samples(registry_, "rooms_active_total"), (Exported{{"a", 2}, {"b", 1}}));
  EXPECT_EQ(gauge_.exported(), (Exported{{"a", 2}, {"b", 1}}));
}

TEST_F(TopNGaugeTest, TheRestIsSummedUnderOther) {
  gauge_.add("a", 3);
  gauge_.add("b", 1);
  gauge_.add("c", 2);
  gauge_.add("d", 1);
  // Top two: a (3) and c (2); b and d go to other.
  EXPECT_EQ(samples(registry_, "rooms_active_total"), (Exported{{"a", 3}, {"c", 2}, {"other", 2}}));
  EXPECT_EQ(gauge_.count("b"), 1);  // still counted exactly
  // d overtakes c: c's series goes, d's comes.
  gauge_.add("d", 2);
  EXPECT_EQ(samples(registry_, "rooms_active_total"), (Exported{{"a", 3}, {"d", 3}, {"other", 3}}));
}

TEST_F(TopNGaugeTest, SeriesAreDroppedAtZero) {
  gauge_.add("a", 1);
  gauge_.add("b", 1);
  gauge_.add("c", 1);
  EXPECT_EQ(samples(registry_, "rooms_active_total"), (Exported{{"a", 1}, {"b", 1}, {"other", 1}}));
  gauge_.add("a", -1);  // a is gone: c moves up, other is empty and dropped
  EXPECT_EQ(samples(registry_, "rooms_active_total"), (Exported{{"b", 1}, {"c", 1}}));
  gauge_.add("b", -1);
  gauge_.add("c", -1);
  EXPECT_EQ(samples(registry_, "rooms_active_total"), Exported{});
  EXPECT_EQ(registry_.render(),
            "# HELP rooms_active_total Rooms\n# TYPE rooms_active_total gauge\n");
}

TEST_F(TopNGaugeTest, ClosesOfRoomsCreatedElsewhereGoToOther) {
  // With shared state a room created on another instance may close on this one.
  gauge_.add("x", -1);
  EXPECT_EQ(gauge_.count("x"), 0);
  EXPECT_EQ(samples(registry_, "rooms_active_total"), (Exported{{"other", -1}}));
  gauge_.add("x", 1);  // a later room of x here is counted as x; the sum stays 0
  EXPECT_EQ(samples(registry_, "rooms_active_total"), (Exported{{"other", -1}, {"x", 1}}));
}

TEST(TopNGauge, ManyRandomValuesLeaveAtMostNPlusOneSeries) {
  Registry registry;
  TopNGauge gauge(registry.gauge_family("rooms_active_total", "Rooms", {"game_id"}), 50);
  std::mt19937_64 rng(7);  // seeded: the same ids every run
  std::vector<std::string> ids;
  for (int i = 0; i < 490; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016llX", static_cast<unsigned long long>(rng()));
    ids.emplace_back(id);
    gauge.add(ids.back(), 1);
  }
  Exported exported = samples(registry, "rooms_active_total");
  EXPECT_EQ(exported.size(), 51u);
  std::int64_t total = 0;
  for (const auto& [label, v] : exported) total += v;
  EXPECT_EQ(total, 490);  // nothing lost: the rest is in other
  EXPECT_EQ(exported["other"], 440);
  for (const auto& id : ids) gauge.add(id, -1);
  EXPECT_TRUE(samples(registry, "rooms_active_total").empty());
}

}  // namespace
}  // namespace sudachi::metrics
