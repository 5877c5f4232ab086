#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "auth/relay_token.hpp"
#include "relay/wire.hpp"

namespace sudachi::relay {

// The token part of a handshake, shared by UDP and TCP: maps the keyring's verdict to a wire
// status. An expired but otherwise valid token still yields its claims (`expired` set), since
// a live slot may be re-bound after expiry (expiry bounds the session's start only).
struct TokenCheck {
  wire::Status status = wire::Status::invalid_token;  // ok, invalid_token, wrong_relay
  bool expired = false;
  auth::RelayTokenClaims claims;  // valid when status == ok
};

TokenCheck check_token(const auth::RelayTokenKeyring& keyring, std::string_view token,
                       std::int64_t now_unix_ms, std::string_view relay_id);

}  // namespace sudachi::relay
