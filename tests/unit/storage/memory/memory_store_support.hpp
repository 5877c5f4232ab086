#pragma once

// The in-process store as a Backend of the shared RoomStore harness and contract
// (tests/support/room_store_harness.hpp, room_store_contract.hpp).

#include <memory>

#include "common/clock.hpp"
#include "room_store_harness.hpp"
#include "storage/memory/memory_room_store.hpp"

namespace sudachi::storage::test {

struct MemoryBackend {
  using Store = MemoryRoomStore;
  static constexpr const char* name = "Memory";
  // MemoryRoomStore answers on the calling thread, before the call returns; the harness
  // checks this on every call.
  static constexpr bool callbacks_run_inline = true;
  std::unique_ptr<MemoryRoomStore> make(const Clock& clock) {
    return std::make_unique<MemoryRoomStore>(clock);
  }
};

// A MemoryRoomStore over a manual clock, with one-line wrappers for every operation, and
// `store` typed as MemoryRoomStore for its extras (room_count, rooms_by_game).
using StoreHarness = RoomStoreHarness<MemoryBackend>;

}  // namespace sudachi::storage::test
