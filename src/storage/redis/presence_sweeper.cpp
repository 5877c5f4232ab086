#include "storage/redis/presence_sweeper.hpp"

#include <utility>

#include "storage/redis/cluster_keys.hpp"
#include "storage/redis/presence_scripts.hpp"

namespace sudachi::storage::redis {

PresenceSweeper::PresenceSweeper(std::shared_ptr<RedisClient> client,
                                 PresenceSweeperOptions options, GoneHandler on_gone)
    : client_(std::move(client)), options_(std::move(options)), state_(std::make_shared<State>()) {
  state_->on_gone = std::move(on_gone);
}

void PresenceSweeper::tick() {
  const auto now = std::chrono::steady_clock::now();
  if (!client_->healthy()) {
    was_healthy_ = false;
    return;
  }
  if (!was_healthy_) {
    was_healthy_ = true;
    healthy_since_ = now;
  }
  if (now - healthy_since_ < options_.grace) return;
  // One sweep at a time: a slow Redis must not pile them up.
  if (state_->in_flight.exchange(true)) return;
  const ClusterKeys keys(options_.key_prefix);
  client_->eval(presence_sweep_script(), {keys.presence_seen()},
                {options_.key_prefix, std::to_string(options_.grace.count()),
                 std::to_string(options_.per_tick)},
                [state = state_](Result<RedisReply> reply) {
                  state->in_flight.store(false);
                  if (!reply || !reply->is_array()) return;
                  for (const auto& element : reply->elements()) {
                    auto id = element.as_string();
                    if (!id) continue;
                    state->evicted.fetch_add(1, std::memory_order_relaxed);
                    state->on_gone(std::string(*id));
                  }
                });
}

}  // namespace sudachi::storage::redis
