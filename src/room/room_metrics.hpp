#pragma once

#include <array>
#include <string_view>

#include "common/error_code.hpp"
#include "metrics/registry.hpp"
#include "metrics/top_n_gauge.hpp"
#include "room/model.hpp"

namespace sudachi::room {

// Every metric of the room domain, registered once at start-up (a duplicate name throws).
// The spec's names are kept (rooms_active_total is a gauge despite its suffix); the rest
// follow docs/operations.md. Label values are bounded: event names are the known events or
// "unknown", codes the contract codes, scopes and reasons fixed strings. Game ids are the
// clients' to choose (any 16 hex digits), so rooms_active_total exports only the
// kMaxGameSeries games with the most open rooms, the rest summed under game_id="other".
struct RoomMetrics {
  // 50 titles cover what a dashboard of popular games shows, and keep a scrape small
  // whatever ids clients send (490 random ids made 490 series before the bound).
  static constexpr std::size_t kMaxGameSeries = 50;

  explicit RoomMetrics(metrics::Registry& registry);

  // Rooms open by title: created minus closed by this instance (top-N plus "other").
  metrics::TopNGauge rooms_active;  // rooms_active_total{game_id}
  // One observation per closed room that saw at least one direct success or failure.
  metrics::Histogram& p2p_success_rate;      // p2p_connection_success_rate
  metrics::Family<metrics::Counter> events;  // sudachi_room_events_total{event}
  // Arrival of an event to its answer (reply, ack or error), by event: the response time the
  // autoscaler and the latency alert watch (deploy/kubernetes/components/prometheus-adapter).
  metrics::Family<metrics::Histogram> event_duration;   // sudachi_event_duration_seconds{event}
  metrics::Family<metrics::Counter> event_errors;       // sudachi_room_errors_total{code}
  metrics::Family<metrics::Counter> rate_limited;       // sudachi_rate_limited_total{scope}
  metrics::Family<metrics::Counter> relay_allocations;  // sudachi_relay_allocations_total{result}
  metrics::Counter& rooms_created;                      // sudachi_rooms_created_total
  metrics::Family<metrics::Counter> rooms_closed;       // sudachi_rooms_closed_total{reason}
  metrics::Counter& chat_messages;                      // sudachi_chat_messages_total
  // Password hashes and checks refused because the hashing queue was full (UNAVAILABLE).
  metrics::Counter& password_queue_full;  // sudachi_password_queue_full_total

  void count_error(ErrorCode code);
  // A room was created: the gauge and the created counter.
  void room_opened(const RoomRecord& room);
  // The bookkeeping of a room that is gone: gauge, closed counter, success-rate histogram.
  // `reason` is "closed_by_host" or "empty".
  void room_closed(const RoomRecord& room, std::string_view reason);

 private:
  std::array<metrics::Counter*, static_cast<std::size_t>(ErrorCode::internal) + 1>
      error_counters_{};
};

}  // namespace sudachi::room
