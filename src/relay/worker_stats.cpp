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
    case SessionEnd::pairing_timeout:
      return "pairing_timeout";
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

SessionEnd session_end_from(wire::CloseReason reason) {
  switch (reason) {
    case wire::CloseReason::idle_timeout:
      return SessionEnd::idle_timeout;
    case wire::CloseReason::pairing_timeout:
      return SessionEnd::pairing_timeout;
    case wire::CloseReason::peer_bye:
      return SessionEnd::peer_bye;
    case wire::CloseReason::draining:
      return SessionEnd::draining;
    case wire::CloseReason::none:
      break;
  }
  return SessionEnd::error;
}

}  // namespace sudachi::relay
