#include "api/room_http_api.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "storage/memory/memory_rate_limiter.hpp"
#include "storage/memory/memory_room_store.hpp"

// POST /api/v1/auth/guest through RoomHttpApi with in-process parts: the Content-Type rule,
// and that a refused request spends none of the sign-up quota.
namespace sudachi::api {
namespace {

namespace json = boost::json;

class NullHistory final : public room::HistorySink {
 public:
  void upsert_client(room::ClientRow) override { ++clients; }
  void room_closed(room::RoomHistoryRow) override {}
  void connection_metric(room::ConnectionMetricRow) override {}
  bool healthy() const override { return true; }
  int clients = 0;
};

class GuestSignUpTest : public ::testing::Test {
 protected:
  // Two sign-ups per minute and IP, so that a spent quota shows.
  GuestSignUpTest() : limiter_(room::RatePolicy{2, 60'000, 60'000, true}, clock_) {}

  transport::ApiResponse post(std::string content_type,
                              std::string body = R"({"username":"alice"})") {
    transport::ApiRequest request;
    request.method = "POST";
    request.path = "/api/v1/auth/guest";
    request.content_type = std::move(content_type);
    request.body = std::move(body);
    request.remote_ip = "198.51.100.7";
    std::optional<transport::ApiResponse> out;
    EXPECT_TRUE(api_.handle(std::move(request), [&](transport::ApiResponse r) { out = r; }));
    EXPECT_TRUE(out.has_value()) << "answered synchronously with in-process parts";
    return out.value_or(transport::ApiResponse{0, "", "", {}});
  }

  ManualClock clock_;
  storage::MemoryRoomStore store_{clock_};
  NullHistory history_;
  storage::MemoryRateLimiter limiter_;
  auth::JwtIssuer issuer_{auth::JwtSettings{"0123456789abcdef0123456789abcdef"}};
  metrics::Registry registry_;
  RoomHttpApi api_{RoomHttpApi::Dependencies{.store = store_,
                                             .history = history_,
                                             .guest_limiter = limiter_,
                                             .issuer = issuer_,
                                             .metrics = registry_,
                                             .clock = clock_,
                                             .draining = [] { return false; }}};
};

TEST_F(GuestSignUpTest, OtherContentTypesGet415InTheErrorShape) {
  for (const char* type : {"text/plain", "text/plain;charset=UTF-8",
                           "application/x-www-form-urlencoded", "multipart/form-data", ""}) {
    const auto r = post(type);
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_EQ(r.content_type, "application/json");
    const json::value body = json::parse(r.body);
    EXPECT_EQ(body.as_object().size(), 1u) << r.body;
    EXPECT_EQ(body.at("error").at("code"), "INVALID_REQUEST") << r.body;
    EXPECT_TRUE(body.at("error").at("message").is_string()) << r.body;
  }
  EXPECT_EQ(history_.clients, 0);
}

// The attack is spending another site's visitors' quota: refused requests must not count.
TEST_F(GuestSignUpTest, RefusedContentTypesSpendNoQuota) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(post("text/plain").status, 415);
  EXPECT_EQ(post("application/json; charset=utf-8").status, 201);
  EXPECT_EQ(post("Application/JSON").status, 201);
  EXPECT_EQ(post("application/json").status, 429);
  EXPECT_EQ(history_.clients, 2);
}

}  // namespace
}  // namespace sudachi::api
