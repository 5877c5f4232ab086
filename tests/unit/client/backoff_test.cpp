#include "client/signaling/backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace sudachi::client {
namespace {
using ms = std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesUpToTheCap) {
  Backoff b(ms(100), ms(1'000), 7);
  const ms expected[] = {ms(100), ms(200), ms(400), ms(800), ms(1'000), ms(1'000), ms(1'000)};
  for (const ms e : expected) {
    EXPECT_EQ(b.ceiling(), e);
    const ms d = b.next();
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, e);
  }
  EXPECT_EQ(b.attempts(), 7);
  b.reset();
  EXPECT_EQ(b.ceiling(), ms(100));
}

TEST(Backoff, LongOutagesDoNotOverflow) {
  Backoff b(ms(250), ms(10'000), 1);
  for (int i = 0; i < 10'000; ++i) {
    const ms d = b.next();
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d, ms(10'000));
  }
  EXPECT_EQ(b.ceiling(), ms(10'000));
}

TEST(Backoff, FullJitterSpreadsOverTheWholeWindow) {
  // Many clients of one restart must not come back together: the draws under one ceiling
  // cover the window, low and high, rather than clustering at the top.
  Backoff b(ms(1'000), ms(1'000), 42);
  int low = 0, high = 0;
  std::set<long> distinct;
  for (int i = 0; i < 1'000; ++i) {
    const ms d = b.next();
    if (d < ms(250)) ++low;
    if (d > ms(750)) ++high;
    distinct.insert(static_cast<long>(d.count()));
  }
  EXPECT_GT(low, 150);
  EXPECT_GT(high, 150);
  EXPECT_GT(distinct.size(), 500u);
}

TEST(Backoff, SameSeedSameSequence) {
  Backoff a(ms(100), ms(5'000), 99), b(ms(100), ms(5'000), 99), c(ms(100), ms(5'000), 100);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    const ms x = a.next();
    EXPECT_EQ(x, b.next());
    differs = differs || x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(Backoff, DegenerateBoundsAreClamped) {
  Backoff b(ms(0), ms(0), 3);
  EXPECT_EQ(b.ceiling(), ms(1));
  EXPECT_LE(b.next(), ms(1));
  Backoff inverted(ms(500), ms(100), 3);  // a cap below the base: the base wins
  EXPECT_EQ(inverted.ceiling(), ms(500));
}

}  // namespace
}  // namespace sudachi::client
