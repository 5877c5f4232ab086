#include "relay/token_check.hpp"

namespace sudachi::relay {
namespace {

wire::Status status_for(auth::RelayTokenError e) {
  switch (e) {
    case auth::RelayTokenError::expired:
      return wire::Status::expired;
    case auth::RelayTokenError::wrong_relay:
      return wire::Status::wrong_relay;
    case auth::RelayTokenError::malformed:
    case auth::RelayTokenError::unknown_key:
    case auth::RelayTokenError::bad_signature:
      break;
  }
  return wire::Status::invalid_token;
}

}  // namespace

TokenCheck check_token(const auth::RelayTokenKeyring& keyring, std::string_view token,
                       std::int64_t now_unix_ms, std::string_view relay_id) {
  TokenCheck out;
  auto verdict = keyring.verify(token, now_unix_ms, relay_id);
  if (auto* claims = std::get_if<auth::RelayTokenClaims>(&verdict)) {
    out.status = wire::Status::ok;
    out.claims = std::move(*claims);
    return out;
  }
  const auto error = std::get<auth::RelayTokenError>(verdict);
  if (error != auth::RelayTokenError::expired) {
    out.status = status_for(error);
    return out;
  }
  // Signature already checked and good; verify again at the epoch to read the claims and
  // the relay id (the keyring checks expiry before the relay id).
  auto again = keyring.verify(token, 0, relay_id);
  if (auto* claims = std::get_if<auth::RelayTokenClaims>(&again)) {
    out.status = wire::Status::ok;
    out.expired = true;
    out.claims = std::move(*claims);
    return out;
  }
  out.status = status_for(std::get<auth::RelayTokenError>(again));
  return out;
}

}  // namespace sudachi::relay
