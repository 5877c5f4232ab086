#include "room/work_slots.hpp"

#include <functional>
#include <vector>

#include <gtest/gtest.h>

namespace sudachi::room {
namespace {

TEST(WorkSlots, RefusesBeyondTheLimitAndGivesSlotsBack) {
  WorkSlots slots(2);
  WorkSlots::Slot a = slots.try_acquire();
  WorkSlots::Slot b = slots.try_acquire();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_FALSE(slots.try_acquire());
  EXPECT_EQ(slots.in_use(), 2u);
  WorkSlots::Slot copy = a;  // copies share one slot
  a.reset();
  EXPECT_FALSE(slots.try_acquire());
  copy.reset();
  EXPECT_EQ(slots.in_use(), 1u);
  EXPECT_TRUE(slots.try_acquire());  // the temporary gives it back at once
  EXPECT_EQ(slots.in_use(), 1u);
}

TEST(WorkSlots, JobsDiscardedAfterTheOwnerIsGoneStillGiveTheirSlotBackSafely) {
  std::vector<std::function<void()>> pool;  // a queue that outlives the slots' owner
  {
    WorkSlots slots(1);
    pool.emplace_back([slot = slots.try_acquire()] {});
  }
  pool.clear();  // must not touch freed memory (ASan)
}

}  // namespace
}  // namespace sudachi::room
