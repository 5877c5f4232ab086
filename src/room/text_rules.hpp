#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

// Character-level rules for the strings clients send: names are counted in code points (what
// a player sees), not bytes, so the UTF-8 must be valid before it can be counted.
namespace sudachi::room::text {

// The number of code points, or nullopt when `s` is not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF are invalid).
std::optional<std::size_t> utf8_length(std::string_view s) noexcept;

// Whether `s` (valid UTF-8) contains a C0 control, DEL or a C1 control. Chat may keep line
// breaks and tabs (`allow_line_breaks`); names never do.
bool has_control_chars(std::string_view s, bool allow_line_breaks) noexcept;

// Room and client ids: a UUID, or for client ids minted by an operator's own identity
// service, 1..64 characters of [A-Za-z0-9._:@-] (nothing that could break a log line or a
// storage key).
bool is_valid_id(std::string_view s) noexcept;

// A Switch title id: exactly 16 hex digits.
bool is_game_id(std::string_view s) noexcept;

}  // namespace sudachi::room::text
