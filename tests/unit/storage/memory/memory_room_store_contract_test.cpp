// The RoomStore contract (tests/support/room_store_contract.hpp) for the in-process store.
// The Redis store runs the same cases in redis_integration_test.
#include <gtest/gtest.h>

#include "memory_store_support.hpp"
#include "room_store_contract.hpp"

namespace sudachi::storage::test {

INSTANTIATE_TYPED_TEST_SUITE_P(InProcess, RoomStoreContract, ::testing::Types<MemoryBackend>,
                               BackendName);
INSTANTIATE_TYPED_TEST_SUITE_P(InProcess, RoomStoreLobbyContract, ::testing::Types<MemoryBackend>,
                               BackendName);

}  // namespace sudachi::storage::test
