#include "relay/worker_stats.hpp"

namespace sudachi::relay {

std::string_view to_string(Drop d) {
  switch (d) {
    case Drop::oversized:
      return "oversized";
    case Drop::truncated:
      return "truncated";
    case Drop::unbound_source:
      return "unbound_source";
    case Drop::no_peer:
      return "no_peer";
    case Drop::bandwidth:
      return "bandwidth";
    case Drop::unknown_type:
      return "unknown_type";
    case Drop::send_failed:
      return "send_failed";
    case Drop::bad_source:
      return "bad_source";
    case Drop::count_:
      break;
  }
  return "unknown";
}

std::string_view to_string(StunResult r) {
  switch (r) {
    case StunResult::answered:
      return "answered";
    case StunResult::rate_limited:
      return "rate_limited";
    case StunResult::too_large:
      return "too_large";
    case StunResult::malformed:
      return "malformed";
    case StunResult::count_:
      break;
  }
  return "unknown";
}

std::string_view to_string(SessionEnd e) {
  switch (e) {
    case SessionEnd::idle_timeout:
      return "idle_timeout";
    case SessionEnd::data_idle_timeout:
      return "data_idle_timeout";
    case SessionEnd::pairing_timeout:
      return "pairing_timeout";
    case SessionEnd::max_lifetime:
      return "max_lifetime";
    case SessionEnd::peer_bye:
      return "peer_bye";
    case SessionEnd::draining:
      return "draining";
    case SessionEnd::peer_closed:
      return "peer_closed";
    case SessionEnd::error:
      return "error";
    case SessionEnd::count_:
      break;
  }
  return "unknown";
}

std::string_view to_string(IpLimit l) {
  switch (l) {
    case IpLimit::sessions:
      return "sessions";
    case IpLimit::waiting:
      return "waiting";
    case IpLimit::tcp_pending:
      return "tcp_pending";
    case IpLimit::count_:
      break;
  }
  return "unknown";
}

}  // namespace sudachi::relay
