#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace sudachi::storage::memory {

// The shard (lock stripe) a key belongs to. Every table of this folder splits its keys over
// independently locked shards so that threads working on different keys rarely contend.
inline std::size_t shard_of(std::string_view key, std::size_t shard_count) noexcept {
  return std::hash<std::string_view>{}(key) % shard_count;
}

}  // namespace sudachi::storage::memory
