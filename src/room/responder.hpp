#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.hpp"
#include "metrics/registry.hpp"
#include "room/delivery.hpp"

namespace sudachi::room {

struct RoomMetrics;

// One encoded `42["event",data]` frame, built once and shared by all its recipients.
SharedFrame event_frame(std::string_view event, const boost::json::value& data);

// Answers one client event on the requester's own connection, in the protocol's shape: the
// reply event, plus an ack when the client asked for one ({success:true, ...reply} or
// {success:false, error}); every error is also emitted as an `error` event. Copyable, so
// handlers can carry it through asynchronous store callbacks; thread-safe like the connection.
class Responder {
 public:
  // `duration`, when given, observes the time from this construction (the event's arrival)
  // to each answer.
  Responder(std::shared_ptr<ClientConnection> conn, std::optional<std::uint64_t> ack_id,
            RoomMetrics& metrics, metrics::Histogram* duration = nullptr);

  // Emits `event` with `payload` and acks {success:true, ...payload}.
  void reply(std::string_view event, const boost::json::object& payload) const;
  // Acks {success:true, ...payload} without an event: for events whose effect reaches the
  // requester as a broadcast to the room, or has no reply event at all.
  void ack(const boost::json::object& payload = {}) const;
  // Emits `error {code, message, retryAfter?}` and acks {success:false, error:{...}}.
  void fail(const Error& error) const;

 private:
  void observe_duration() const;

  std::shared_ptr<ClientConnection> conn_;
  std::optional<std::uint64_t> ack_id_;
  RoomMetrics* metrics_;
  metrics::Histogram* duration_;
  std::chrono::steady_clock::time_point arrived_;
};

}  // namespace sudachi::room
