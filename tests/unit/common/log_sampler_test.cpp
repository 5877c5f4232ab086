#include "common/log_sampler.hpp"

#include <gtest/gtest.h>

namespace sudachi {
namespace {

TEST(LogSampler, LetsTheBurstThroughThenHoldsBackUntilTheNextInterval) {
  LogSampler<2> sampler(10'000, 3);
  std::uint64_t suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sampler.admit(0, 1'000 + i, suppressed)) << i;
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 40; ++i) EXPECT_FALSE(sampler.admit(0, 2'000, suppressed));
  EXPECT_FALSE(sampler.admit(0, 1'000 + 9'999, suppressed));  // same interval still
  // The next interval's first line reports what was held back.
  ASSERT_TRUE(sampler.admit(0, 1'000 + 10'000, suppressed));
  EXPECT_EQ(suppressed, 41u);
  ASSERT_TRUE(sampler.admit(0, 1'000 + 10'001, suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogSampler, CategoriesAreIndependent) {
  LogSampler<2> sampler(10'000, 1);
  std::uint64_t suppressed = 0;
  ASSERT_TRUE(sampler.admit(0, 0, suppressed));
  EXPECT_FALSE(sampler.admit(0, 1, suppressed));
  ASSERT_TRUE(sampler.admit(1, 1, suppressed));  // a flood of one kind hides no other kind
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogSampler, FirstEventPassesWhateverTheClockReads) {
  LogSampler<1> sampler(10'000, 1);
  std::uint64_t suppressed = 0;
  EXPECT_TRUE(sampler.admit(0, -5'000'000, suppressed));  // steady clocks may start anywhere
}

}  // namespace
}  // namespace sudachi
