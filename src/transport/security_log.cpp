#include "transport/security_log.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "common/log_sampler.hpp"

namespace sudachi::transport {
namespace {

constexpr std::size_t kRefusalKinds = static_cast<std::size_t>(Refusal::kCount);
// Categories: one per refusal, one per close reason, one for rate limits.
constexpr std::size_t kRateLimitCategory = kRefusalKinds + kCloseReasons;
constexpr std::int64_t kIntervalMs = 10'000;
constexpr std::uint32_t kBurst = 5;

LogSampler<kRateLimitCategory + 1>& sampler() {
  static LogSampler<kRateLimitCategory + 1> instance(kIntervalMs, kBurst);
  return instance;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Client addresses come from the socket or a validated X-Forwarded-For entry, sids from the
// server; neither needs escaping. Client ids (JWT subjects) are printable by verification.
void write(std::string_view event, std::string_view reason, std::string_view client,
           std::string_view sid, std::uint64_t suppressed) {
  if (sid.empty()) {
    spdlog::warn("security event={} reason={} client={} suppressed={}", event, reason, client,
                 suppressed);
  } else {
    spdlog::warn("security event={} reason={} client={} sid={} suppressed={}", event, reason,
                 client, sid, suppressed);
  }
}

bool hostile(engineio::CloseReason reason) {
  using engineio::CloseReason;
  switch (reason) {
    case CloseReason::slow_consumer:
    case CloseReason::protocol_violation:
    case CloseReason::upper_violation:
    case CloseReason::payload_too_large:
    case CloseReason::overlapping_poll:
      return true;
    default:
      return false;
  }
}

}  // namespace

void log_refusal(Refusal reason, std::string_view client) {
  if (reason == Refusal::draining) return;  // the operator's own doing, not the peer's
  std::uint64_t suppressed = 0;
  if (!sampler().admit(static_cast<std::size_t>(reason), now_ms(), suppressed)) return;
  write("refused", to_string(reason), client, {}, suppressed);
}

void log_close(engineio::CloseReason reason, std::string_view client, std::string_view sid) {
  if (!hostile(reason)) return;
  std::uint64_t suppressed = 0;
  const std::size_t category = kRefusalKinds + static_cast<std::size_t>(reason);
  if (!sampler().admit(category, now_ms(), suppressed)) return;
  write("closed", close_label(reason), client, sid, suppressed);
}

void log_rate_limited(std::string_view scope, std::string_view client) {
  std::uint64_t suppressed = 0;
  if (!sampler().admit(kRateLimitCategory, now_ms(), suppressed)) return;
  write("rate_limited", scope, client, {}, suppressed);
}

}  // namespace sudachi::transport
