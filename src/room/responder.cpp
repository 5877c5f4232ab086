#include "room/responder.hpp"

#include <string>

#include <boost/json/array.hpp>

#include "protocol/socketio/packet.hpp"
#include "room/room_json.hpp"
#include "room/room_metrics.hpp"

namespace sudachi::room {
namespace json = boost::json;

SharedFrame event_frame(std::string_view event, const json::value& data) {
  return std::make_shared<const std::string>(socketio::encode_event_frame(event, data));
}

namespace {

// encode_ack_frame takes an array as the argument list: wrap the one object argument.
SharedFrame ack_frame(std::uint64_t id, json::object body) {
  json::array args;
  args.emplace_back(std::move(body));
  return std::make_shared<const std::string>(socketio::encode_ack_frame(id, args));
}

}  // namespace

Responder::Responder(std::shared_ptr<ClientConnection> conn, std::optional<std::uint64_t> ack_id,
                     RoomMetrics& metrics, metrics::Histogram* duration)
    : conn_(std::move(conn)),
      ack_id_(ack_id),
      metrics_(&metrics),
      duration_(duration),
      arrived_(std::chrono::steady_clock::now()) {}

void Responder::observe_duration() const {
  if (duration_ == nullptr) return;
  duration_->observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived_).count());
}

void Responder::reply(std::string_view event, const json::object& payload) const {
  conn_->send(event_frame(event, payload));
  ack(payload);
}

void Responder::ack(const json::object& payload) const {
  observe_duration();
  if (!ack_id_) return;
  json::object body;
  body.reserve(payload.size() + 1);
  body["success"] = true;
  for (const auto& field : payload) {
    if (field.key() != "success") body[field.key()] = field.value();
  }
  conn_->send(ack_frame(*ack_id_, std::move(body)));
}

void Responder::fail(const Error& error) const {
  observe_duration();
  metrics_->count_error(error.code);
  json::object body = error_to_json(error);
  conn_->send(event_frame("error", body));
  if (ack_id_)
    conn_->send(ack_frame(*ack_id_, json::object{{"success", false}, {"error", std::move(body)}}));
}

}  // namespace sudachi::room
