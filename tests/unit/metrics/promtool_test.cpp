#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "metrics/registry.hpp"

// The real Prometheus parser and linter judge our exposition. promtool is a CI requirement
// (Debian package "prometheus"), so its absence fails the test instead of skipping it.
namespace sudachi::metrics {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `promtool check metrics` on `text`; returns the exit status and what it printed.
std::pair<int, std::string> promtool_check(const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem = "sudachi_metrics_test_" + std::to_string(::getpid());
  const auto input = dir / (stem + ".prom");
  const auto output = dir / (stem + ".out");
  std::ofstream(input) << text;
  const std::string command =
      "promtool check metrics < '" + input.string() + "' > '" + output.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::string printed = read_file(output);
  std::filesystem::remove(input);
  std::filesystem::remove(output);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, printed};
}

Registry& populate(Registry& r) {
  r.counter("sudachi_jobs_total", "Jobs done, with \\ a backslash\nand a newline").inc(3.5);
  r.counter_family("sudachi_empty_total", "A family that has no child yet", {"reason"});
  auto gauges = r.gauge_family("sudachi_temperature_celsius", "Odd label values", {"v", "w"});
  gauges.with({"a\\b\"c\nd", "ゼルダ"}).set(-std::numeric_limits<double>::infinity());
  gauges.with({"\xff invalid utf-8", ""}).set(std::nan(""));
  gauges.with({"big", "x"}).set(1e21);
  r.gauge("sudachi_ratio", "A fraction").set(0.1);
  r.histogram("sudachi_p2p_success_ratio", "Per closed room", {0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1})
      .observe(0.93);
  auto latency =
      r.histogram_family("sudachi_latency_seconds", "Latency", {"kind"}, {0.001, 0.01, 0.1, 1});
  latency.with({"direct"}).observe(0.004);
  latency.with({"relay"}).observe(3);
  return r;
}

TEST(Promtool, IsInstalled) {
  ASSERT_EQ(std::system("command -v promtool > /dev/null 2>&1"), 0)
      << "promtool not on PATH: install the Debian package 'prometheus' (required in CI)";
}

TEST(Promtool, AcceptsTheRendering) {
  Registry r;
  const std::string text = populate(r).render();
  const auto [status, printed] = promtool_check(text);
  EXPECT_EQ(status, 0) << "promtool says:\n" << printed << "\nfor:\n" << text;
}

// Guards the test itself: promtool must actually be judging the input.
TEST(Promtool, RejectsBrokenText) {
  const auto [status, printed] = promtool_check("# TYPE x counter\nx{a=\"unterminated} 1\n");
  EXPECT_NE(status, 0) << printed;
}

}  // namespace
}  // namespace sudachi::metrics
