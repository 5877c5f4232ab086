#pragma once

#include <string_view>

namespace sudachi::websocket {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. Text
// messages and close reasons must pass it (RFC 6455 §8.1: otherwise close with 1007).
bool is_valid_utf8(std::string_view text);

}  // namespace sudachi::websocket
