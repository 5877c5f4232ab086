#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// base64url without padding (RFC 4648 section 5), the text form of JWT segments, relay tokens
// and password salts. Internal to src/auth.
namespace sudachi::auth {

std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

// Strict: only the url-safe alphabet, no padding, no whitespace, and the unused low bits of the
// last character must be zero. Strictness makes the encoding canonical, so a token has exactly
// one text form (nobody can mint look-alike variants of a token that compare unequal as text).
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

}  // namespace sudachi::auth
