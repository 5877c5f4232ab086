#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "metrics/process_metrics.hpp"

namespace sudachi::metrics {
namespace {

double sample(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST(ProcessMetrics, ReportsThisProcess) {
  Registry registry;
  ProcessMetrics process(registry);
  const std::string text = registry.render();
  EXPECT_GT(sample(text, "process_resident_memory_bytes"), 1024 * 1024);
  EXPECT_GE(sample(text, "process_virtual_memory_bytes"),
            sample(text, "process_resident_memory_bytes"));
  EXPECT_GT(sample(text, "process_start_time_seconds"), 1.7e9);
  EXPECT_GE(sample(text, "process_open_fds"), 3);  // at least stdin, stdout, stderr
}

TEST(ProcessMetrics, FollowsOpenDescriptors) {
  Registry registry;
  ProcessMetrics process(registry);
  const double before = sample(registry.render(), "process_open_fds");
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  process.update();
  EXPECT_EQ(sample(registry.render(), "process_open_fds"), before + 1);
  ::close(fd);
  process.update();
  EXPECT_EQ(sample(registry.render(), "process_open_fds"), before);
}

}  // namespace
}  // namespace sudachi::metrics
