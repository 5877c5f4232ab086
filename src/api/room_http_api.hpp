#pragma once

#include <functional>
#include <string>

#include "auth/jwt.hpp"
#include "common/clock.hpp"
#include "metrics/registry.hpp"
#include "room/history_sink.hpp"
#include "room/rate_limiter.hpp"
#include "room/room_store.hpp"
#include "transport/http_api.hpp"

namespace sudachi::api {

// The room server's REST routes: liveness, readiness, Prometheus metrics, the public lobby
// and guest sign-up.
class RoomHttpApi final : public transport::HttpApi {
 public:
  struct Dependencies {
    room::RoomStore& store;
    room::HistorySink& history;
    room::RateLimiter& guest_limiter;  // per IP
    const auth::JwtIssuer& issuer;
    metrics::Registry& metrics;
    const Clock& clock;
    std::function<bool()> draining;
    // Optional: further shared state that must be reachable to serve (with Redis: the pub/sub
    // connection of cross-instance delivery, besides the store).
    std::function<bool()> state_healthy;
    std::int64_t token_lifetime_s = 7 * 24 * 3600;
  };

  explicit RoomHttpApi(Dependencies deps);
  bool handle(transport::ApiRequest request, transport::ApiRespond respond) override;

 private:
  void health(transport::ApiRespond& respond);
  void ready(transport::ApiRespond& respond);
  void list_rooms(const transport::ApiRequest& request, transport::ApiRespond respond);
  void guest_sign_up(transport::ApiRequest request, transport::ApiRespond respond);
  void finish_sign_up(const transport::ApiRequest& request, transport::ApiRespond respond);

  Dependencies deps_;
  metrics::Counter& sign_ups_;
};

}  // namespace sudachi::api
