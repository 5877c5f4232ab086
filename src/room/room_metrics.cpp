#include "room/room_metrics.hpp"

#include <string>

namespace sudachi::room {

RoomMetrics::RoomMetrics(metrics::Registry& r)
    : rooms_active(r.gauge_family("rooms_active_total",
                                  "Active rooms by game: the 50 games with the most rooms, the "
                                  "rest as game_id=\"other\" (a gauge; spec name)",
                                  {"game_id"}),
                   kMaxGameSeries),
      p2p_success_rate(
          r.histogram("p2p_connection_success_rate",
                      "Per closed room: direct P2P successes / (direct successes + failures)",
                      {0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1})),
      events(r.counter_family("sudachi_room_events_total", "Socket.IO events received, by event",
                              {"event"})),
      event_duration(r.histogram_family(
          "sudachi_event_duration_seconds",
          "From an event's arrival to its answer (reply, ack or error), by event", {"event"},
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5})),
      event_errors(
          r.counter_family("sudachi_room_errors_total", "Error replies, by code", {"code"})),
      rate_limited(r.counter_family("sudachi_rate_limited_total",
                                    "Requests refused by a rate limit, by scope", {"scope"})),
      relay_allocations(r.counter_family("sudachi_relay_allocations_total",
                                         "Relay allocations after p2p:failure, by result",
                                         {"result"})),
      rooms_created(r.counter("sudachi_rooms_created_total", "Rooms created")),
      rooms_closed(
          r.counter_family("sudachi_rooms_closed_total", "Rooms closed, by reason", {"reason"})),
      chat_messages(r.counter("sudachi_chat_messages_total", "Chat messages relayed")),
      password_queue_full(r.counter("sudachi_password_queue_full_total",
                                    "Password hashes and checks refused: the queue was full")) {
  // Resolved once: counting an error then takes no lock and allocates nothing.
  for (std::size_t i = 0; i < error_counters_.size(); ++i) {
    error_counters_[i] = &event_errors.with({std::string(to_string(static_cast<ErrorCode>(i)))});
  }
}

void RoomMetrics::count_error(ErrorCode code) {
  const auto index = static_cast<std::size_t>(code);
  if (index < error_counters_.size()) error_counters_[index]->inc();
}

void RoomMetrics::room_opened(const RoomRecord& room) {
  rooms_created.inc();
  rooms_active.add(room.game_id, 1);
}

void RoomMetrics::room_closed(const RoomRecord& room, std::string_view reason) {
  rooms_active.add(room.game_id, -1);
  rooms_closed.with({std::string(reason)}).inc();
  const int attempts = room.connections.direct + room.connections.failed;
  if (attempts > 0) {
    p2p_success_rate.observe(static_cast<double>(room.connections.direct) / attempts);
  }
}

}  // namespace sudachi::room
