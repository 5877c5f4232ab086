#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sudachi {

// Identifiers that must be unguessable (session ids, room ids, client ids) come from the
// OpenSSL CSPRNG; a predictable id would let one client address another's session.
std::string random_uuid_v4();

// `bytes` random bytes as base64url without padding (Engine.IO sids, salts).
std::string random_token(std::size_t bytes);

bool is_uuid(std::string_view s) noexcept;
bool is_hex(std::string_view s) noexcept;

}  // namespace sudachi
