// The RoomStore contract (tests/support/room_store_contract.hpp) for the Redis store:
// RedisRoomStore must behave exactly like MemoryRoomStore, which runs the same cases in the
// unit binary (memory_storage_test). What only the Redis store has is redis_room_store_test.cpp.
#include <gtest/gtest.h>

#include "room_store_contract.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::test {

using RedisBackend = ::sudachi::storage::redis::test::RedisBackend;

INSTANTIATE_TYPED_TEST_SUITE_P(OverRedis, RoomStoreContract, ::testing::Types<RedisBackend>,
                               BackendName);
INSTANTIATE_TYPED_TEST_SUITE_P(OverRedis, RoomStoreLobbyContract, ::testing::Types<RedisBackend>,
                               BackendName);

}  // namespace sudachi::storage::test
