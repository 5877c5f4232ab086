#pragma once

#include <string_view>

namespace sudachi::api {

// True when a Content-Type header value names JSON: the media type is exactly
// application/json, compared case-insensitively (RFC 9110 section 8.3.1), with optional
// whitespace and any parameters after it (`application/json; charset=utf-8`).
//
// Why routes that read a JSON body insist on it: text/plain, multipart/form-data and
// application/x-www-form-urlencoded are the "CORS-safelisted" types any web page may POST
// cross-origin without a preflight. Requiring application/json turns such a request into one
// the browser preflights, so a foreign page can no longer spend its visitors' sign-up quota.
bool is_json_content_type(std::string_view value);

}  // namespace sudachi::api
