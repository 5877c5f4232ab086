#pragma once

#include <string_view>

#include "protocol/engineio/server_session.hpp"
#include "transport/transport_metrics.hpp"

namespace sudachi::transport {

// One warn line per security event, sampled (at most a few per kind per 10 s, with the count
// held back in between), written next to the counter the event increments. Lines carry the
// kind, the reason and the client address, never a token, password or payload:
//   security event=refused reason=auth_failed client=198.51.100.7
//   security event=closed reason=slow_consumer client=198.51.100.7 sid=... suppressed=41
// Thread-safe; any event loop may call.
void log_refusal(Refusal reason, std::string_view client);
// Only the closes a hostile or broken peer causes (slow consumer, protocol violations,
// oversized payloads, overlapping polls); ordinary disconnects stay out of the log.
void log_close(engineio::CloseReason reason, std::string_view client, std::string_view sid);
// An event or handshake refused by a rate limit; `scope` names the limiter.
void log_rate_limited(std::string_view scope, std::string_view client);

}  // namespace sudachi::transport
