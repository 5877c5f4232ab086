#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sudachi::metrics {
namespace {

TEST(Registry, CounterText) {
  Registry r;
  Counter& c = r.counter("jobs_total", "Jobs done");
  EXPECT_EQ(r.render(), "# HELP jobs_total Jobs done\n# TYPE jobs_total counter\njobs_total 0\n");
  c.inc();
  c.inc(2.5);
  EXPECT_EQ(c.value(), 3.5);
  EXPECT_EQ(r.render(), "# HELP jobs_total Jobs done\n# TYPE jobs_total counter\njobs_total 3.5\n");
}

TEST(Registry, NegativeCounterIncrementIsIgnored) {
  Registry r;
  Counter& c = r.counter("c_total", "c");
  EXPECT_DEBUG_DEATH(c.inc(-1), "");
  EXPECT_EQ(c.value(), 0);
}

TEST(Registry, GaugeText) {
  Registry r;
  Gauge& g = r.gauge("temperature_celsius", "Temperature");
  g.set(20);
  g.inc(2);
  g.dec(0.5);
  EXPECT_EQ(r.render(),
            "# HELP temperature_celsius Temperature\n# TYPE temperature_celsius gauge\n"
            "temperature_celsius 21.5\n");
  g.set(-std::numeric_limits<double>::infinity());
  EXPECT_NE(r.render().find("temperature_celsius -Inf\n"), std::string::npos);
  g.set(std::nan(""));
  EXPECT_NE(r.render().find("temperature_celsius NaN\n"), std::string::npos);
}

TEST(Registry, LabelledFamilyRendersOnlyHeaderUntilAChildExists) {
  Registry r;
  auto f = r.counter_family("requests_total", "Requests", {"route", "status"});
  EXPECT_EQ(r.render(), "# HELP requests_total Requests\n# TYPE requests_total counter\n");
  f.with({"rooms", "2xx"}).inc(3);
  f.with({"api", "4xx"}).inc();
  f.with({"api", "2xx"}).inc(2);
  f.with({"rooms", "2xx"}).inc();
  // Children sorted by label values, whatever the creation order.
  EXPECT_EQ(r.render(),
            "# HELP requests_total Requests\n# TYPE requests_total counter\n"
            "requests_total{route=\"api\",status=\"2xx\"} 2\n"
            "requests_total{route=\"api\",status=\"4xx\"} 1\n"
            "requests_total{route=\"rooms\",status=\"2xx\"} 4\n");
}

TEST(Registry, GaugeFamilyChildIsStable) {
  Registry r;
  auto f = r.gauge_family("rooms_active_total", "Rooms", {"game_id"});
  Gauge& g = f.with({"0100000000010000"});
  g.inc();
  EXPECT_EQ(&g, &f.with({"0100000000010000"}));
  EXPECT_EQ(f.with({"0100000000010000"}).value(), 1);
}

TEST(Registry, RemoveDropsASeriesAndWithStartsAFreshOne) {
  Registry r;
  auto f = r.gauge_family("rooms", "Rooms", {"game_id"});
  f.with({"a"}).set(3);
  f.with({"b"}).set(1);
  EXPECT_TRUE(f.remove({"a"}));
  EXPECT_FALSE(f.remove({"a"}));  // already gone
  EXPECT_FALSE(f.remove({"never"}));
  EXPECT_EQ(r.render(), "# HELP rooms Rooms\n# TYPE rooms gauge\nrooms{game_id=\"b\"} 1\n");
  EXPECT_EQ(f.with({"a"}).value(), 0);  // a new child, not the old value
  auto h = r.histogram_family("latency", "Latency", {"route"}, {1});
  h.with({"x"}).observe(0.5);
  EXPECT_TRUE(h.remove({"x"}));
  EXPECT_EQ(r.render().find("latency_bucket"), std::string::npos);
}

TEST(Registry, RemovingWhileRenderingIsSafe) {
  // Rendering copies the children out of the lock: a child removed meanwhile must stay valid
  // until the render is done (run under ASan).
  Registry r;
  auto f = r.gauge_family("churn", "Churn", {"k"});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = std::to_string(i % 64);
      f.with({key}).set(i);
      f.remove({key});
    }
  });
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(r.render().rfind("# HELP churn Churn\n", 0), 0u);
  stop = true;
  writer.join();
}

TEST(Registry, HistogramText) {
  Registry r;
  Histogram& h =
      r.histogram("p2p_connection_success_rate", "Success", {0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1});
  for (double v : {0.25, 0.5, 0.75, 0.9375, 1.0, 1.5}) h.observe(v);  // exact in binary
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(
      r.render(),
      "# HELP p2p_connection_success_rate Success\n# TYPE p2p_connection_success_rate histogram\n"
      "p2p_connection_success_rate_bucket{le=\"0.5\"} 2\n"
      "p2p_connection_success_rate_bucket{le=\"0.7\"} 2\n"
      "p2p_connection_success_rate_bucket{le=\"0.8\"} 3\n"
      "p2p_connection_success_rate_bucket{le=\"0.9\"} 3\n"
      "p2p_connection_success_rate_bucket{le=\"0.95\"} 4\n"
      "p2p_connection_success_rate_bucket{le=\"0.99\"} 4\n"
      "p2p_connection_success_rate_bucket{le=\"1\"} 5\n"
      "p2p_connection_success_rate_bucket{le=\"+Inf\"} 6\n"
      "p2p_connection_success_rate_sum 4.9375\n"
      "p2p_connection_success_rate_count 6\n");
}

TEST(Registry, HistogramFamilyPutsLeLast) {
  Registry r;
  auto f = r.histogram_family("latency_seconds", "Latency", {"kind"},
                              {0.1, 1, std::numeric_limits<double>::infinity()});
  f.with({"relay"}).observe(0.0625);
  f.with({"relay"}).observe(2);
  EXPECT_EQ(r.render(),
            "# HELP latency_seconds Latency\n# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{kind=\"relay\",le=\"0.1\"} 1\n"
            "latency_seconds_bucket{kind=\"relay\",le=\"1\"} 1\n"
            "latency_seconds_bucket{kind=\"relay\",le=\"+Inf\"} 2\n"
            "latency_seconds_sum{kind=\"relay\"} 2.0625\n"
            "latency_seconds_count{kind=\"relay\"} 2\n");
}

TEST(Registry, Escaping) {
  Registry r;
  auto f = r.gauge_family("odd_values", "Help with \\ backslash\nand newline \"quoted\"", {"v"});
  f.with({"a\\b\"c\nd"}).set(1);
  EXPECT_EQ(r.render(),
            "# HELP odd_values Help with \\\\ backslash\\nand newline \"quoted\"\n# TYPE "
            "odd_values gauge\n"
            "odd_values{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(Registry, MetricsRenderInRegistrationOrder) {
  Registry r;
  r.gauge("zeta", "z");
  r.counter("alpha_total", "a");
  const std::string text = r.render();
  EXPECT_LT(text.find("zeta"), text.find("alpha_total"));
}

TEST(Registry, InvalidOrDuplicateRegistrationThrows) {
  Registry r;
  r.counter("dup_total", "x");
  r.histogram("hist", "x", {1});
  EXPECT_THROW(r.counter("dup_total", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("dup_total", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter_family("dup_total", "x", {"a"}), std::invalid_argument);
  EXPECT_THROW(r.counter("hist_count", "x"), std::invalid_argument);  // a histogram's series
  EXPECT_THROW(r.gauge("hist_bucket", "x"), std::invalid_argument);
  r.gauge("other_sum", "x");
  EXPECT_THROW(r.histogram("other", "x", {1}), std::invalid_argument);
  EXPECT_THROW(r.counter("9bad", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter_family("l1", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.counter_family("l2", "x", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(r.counter_family("l3", "x", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(r.histogram_family("l4", "x", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h1", "x", {1, 0.5}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h2", "x", {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h3", "x", {std::nan("")}), std::invalid_argument);
  // A failed registration leaves nothing behind.
  EXPECT_NO_THROW(r.histogram("h1", "x", {0.5, 1}));
  EXPECT_NO_THROW(r.counter_family("l1", "x", {"ok"}));
}

TEST(Registry, ConcurrentUpdatesAddUpExactly) {
  Registry r;
  Counter& c = r.counter("c_total", "c");
  Gauge& g = r.gauge("g", "g");
  Histogram& h = r.histogram("h", "h", {0.5});
  auto f = r.counter_family("f_total", "f", {"t"});
  constexpr int kThreads = 4;
  constexpr int kIterations = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& mine = f.with({std::to_string(t % 2)});
      for (int i = 0; i < kIterations; ++i) {
        c.inc();
        g.inc(0.5);
        g.dec(0.25);
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
        mine.inc();
        if (i % 1000 == 0) (void)r.render();  // scrapes race updates
      }
    });
  }
  for (auto& th : threads) th.join();
  constexpr double kTotal = double(kThreads) * kIterations;
  EXPECT_EQ(c.value(), kTotal);
  EXPECT_EQ(g.value(), kTotal * 0.25);
  EXPECT_EQ(h.count(), static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ(h.cumulative_counts().front(), static_cast<std::uint64_t>(kTotal / 2));
  EXPECT_EQ(h.sum(), kTotal / 2 * 0.25 + kTotal / 2 * 1.0);
  EXPECT_EQ(f.with({"0"}).value() + f.with({"1"}).value(), kTotal);
}

}  // namespace
}  // namespace sudachi::metrics
