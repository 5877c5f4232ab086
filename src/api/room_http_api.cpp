#include "api/room_http_api.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "api/content_type.hpp"
#include "common/random_id.hpp"
#include "room/room_json.hpp"
#include "room/validation.hpp"

namespace sudachi::api {
namespace json = boost::json;
using transport::ApiRequest;
using transport::ApiRespond;
using transport::ApiResponse;

namespace {

ApiResponse json_response(int status, const json::value& body) {
  return ApiResponse{status, "application/json", json::serialize(body), {}};
}

ApiResponse error_response(int status, const Error& error) {
  json::object e{{"code", to_string(error.code)}, {"message", error.message}};
  if (error.retry_after_seconds > 0) e["retryAfter"] = error.retry_after_seconds;
  ApiResponse response = json_response(status, json::object{{"error", std::move(e)}});
  if (error.retry_after_seconds > 0) {
    response.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return response;
}

int http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_request:
      return 400;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::unavailable:
      return 503;
    default:
      return 500;
  }
}

// Query strings carry text; the room:list validator takes JSON. Numbers and booleans are
// converted when they parse as such, and passed as strings otherwise (so that the validator
// reports the wrong type instead of this layer guessing).
json::value query_as_json(const ApiRequest& request) {
  json::object out;
  for (const auto& [key, value] : request.query) {
    if (key == "hasPassword" || key == "notFull") {
      if (value == "true" || value == "1")
        out[key] = true;
      else if (value == "false" || value == "0")
        out[key] = false;
      else
        out[key] = value;
    } else if (key == "offset" || key == "limit") {
      std::int64_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec == std::errc() && ptr == value.data() + value.size())
        out[key] = n;
      else
        out[key] = value;
    } else if (key == "gameId" || key == "region") {
      out[key] = value;
    }
  }
  return out;
}

// Routes that read a JSON body refuse any other declared type with 415, before any other work
// (the sign-up limiter included): see is_json_content_type for why this matters.
bool refused_unless_json(const ApiRequest& request, ApiRespond& respond) {
  if (is_json_content_type(request.content_type)) return false;
  respond(error_response(
      415, Error::make(ErrorCode::invalid_request, "Content-Type must be application/json")));
  return true;
}

}  // namespace

RoomHttpApi::RoomHttpApi(Dependencies deps)
    : deps_(std::move(deps)),
      sign_ups_(deps_.metrics.counter("sudachi_guest_signups_total", "Guest tokens issued")) {}

bool RoomHttpApi::handle(ApiRequest request, ApiRespond respond) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/health" && get) {
    health(respond);
  } else if (path == "/ready" && get) {
    ready(respond);
  } else if (path == "/metrics" && get) {
    respond(
        ApiResponse{200, "text/plain; version=0.0.4; charset=utf-8", deps_.metrics.render(), {}});
  } else if (path == "/api/v1/rooms" && get) {
    list_rooms(request, std::move(respond));
  } else if (path == "/api/v1/auth/guest" && request.method == "POST") {
    if (!refused_unless_json(request, respond))
      guest_sign_up(std::move(request), std::move(respond));
  } else if (path == "/health" || path == "/ready" || path == "/metrics" ||
             path == "/api/v1/rooms" || path == "/api/v1/auth/guest") {
    respond(error_response(405, Error::make(ErrorCode::invalid_request, "Method not allowed")));
  } else {
    return false;
  }
  return true;
}

void RoomHttpApi::health(ApiRespond& respond) {
  respond(json_response(200, json::object{{"status", "ok"}}));
}

void RoomHttpApi::ready(ApiRespond& respond) {
  json::object body;
  int status = 200;
  if (deps_.draining()) {
    status = 503;
    body["status"] = "draining";
  } else if (!deps_.store.healthy() || (deps_.state_healthy && !deps_.state_healthy())) {
    status = 503;
    body["status"] = "state store unavailable";
  } else {
    body["status"] = "ready";
  }
  // History is not on the live path (rows wait, bounded, while the database is away): it is
  // reported, and alerted on through sudachi_history_up, but never takes an instance out of
  // the load balancer. With one PostgreSQL for every region, gating on it would empty them all.
  body["history"] = deps_.history.healthy() ? "up" : "down";
  respond(json_response(status, body));
}

void RoomHttpApi::list_rooms(const ApiRequest& request, ApiRespond respond) {
  auto filter = room::parse_room_list(query_as_json(request));
  if (!filter) {
    respond(error_response(400, filter.error()));
    return;
  }
  deps_.store.list_rooms(std::move(*filter), [respond =
                                                  std::move(respond)](Result<room::RoomPage> page) {
    if (!page) {
      respond(error_response(http_status_for(page.error().code), page.error()));
      return;
    }
    json::array rooms;
    rooms.reserve(page->rooms.size());
    for (const auto& r : page->rooms) rooms.emplace_back(room::room_to_json(r));
    respond(json_response(200, json::object{{"rooms", std::move(rooms)}, {"total", page->total}}));
  });
}

void RoomHttpApi::guest_sign_up(ApiRequest request, ApiRespond respond) {
  std::string key = "guest:" + request.remote_ip;
  deps_.guest_limiter.consume(std::move(key),
                              [this, request = std::move(request),
                               respond = std::move(respond)](room::RateDecision d) mutable {
                                if (!d.allowed) {
                                  Error error = Error::make(ErrorCode::rate_limited);
                                  error.retry_after_seconds = d.retry_after_seconds;
                                  respond(error_response(429, error));
                                  return;
                                }
                                finish_sign_up(request, std::move(respond));
                              });
}

void RoomHttpApi::finish_sign_up(const ApiRequest& request, ApiRespond respond) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  json::value body = json::parse(request.body, ec, {}, options);
  if (ec) {
    respond(error_response(400, Error::make(ErrorCode::invalid_request, "Body is not valid JSON")));
    return;
  }
  auto guest = room::parse_guest_sign_up(body);
  if (!guest) {
    respond(error_response(400, guest.error()));
    return;
  }

  auth::JwtClaims claims;
  claims.sub = random_uuid_v4();
  claims.name = guest->username;
  claims.platform = guest->platform;
  claims.version = guest->sudachi_version;
  const std::int64_t now_s = deps_.clock.unix_ms() / 1000;
  auto token = deps_.issuer.issue(claims, now_s, deps_.token_lifetime_s);
  if (!token) {
    respond(error_response(500, token.error()));
    return;
  }
  deps_.history.upsert_client(room::ClientRow{claims.sub, guest->username, guest->platform,
                                              guest->sudachi_version, deps_.clock.unix_ms()});
  sign_ups_.inc();
  respond(json_response(201, json::object{{"clientId", claims.sub},
                                          {"token", *token},
                                          {"expiresAt", (now_s + deps_.token_lifetime_s) * 1000}}));
}

}  // namespace sudachi::api
