#include "common/crash_log.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace sudachi {
namespace {

// The crash line goes to stderr before the previous disposition (here the default: the
// process dies of the signal, as a supervisor expects) takes over.
TEST(CrashLogDeathTest, WritesOneLineNamingTheSignalThenDiesOfIt) {
  EXPECT_EXIT(
      {
        install_crash_log("sudachi-test", false);
        std::raise(SIGABRT);
      },
      testing::KilledBySignal(SIGABRT), "critical sudachi-test: fatal signal 6 \\(SIGABRT\\)");
}

TEST(CrashLogDeathTest, JsonFormatMatchesTheServerLogs) {
  EXPECT_EXIT(
      {
        install_crash_log("sudachi-test", true);
        std::raise(SIGILL);
      },
      testing::KilledBySignal(SIGILL),
      "\\{\"level\":\"critical\",\"msg\":\"fatal signal\",\"event\":\"crash\",\"program\":"
      "\"sudachi-test\",\"signal\":4,\"name\":\"SIGILL\"\\}");
}

}  // namespace
}  // namespace sudachi
