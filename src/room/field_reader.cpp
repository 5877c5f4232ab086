#include "room/field_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "room/text_rules.hpp"

namespace sudachi::room {
namespace json = boost::json;

namespace {

const json::object& empty_object() {
  static const json::object empty;
  return empty;
}

}  // namespace

FieldReader::FieldReader(const json::value& payload, bool null_is_empty) {
  if (payload.is_object()) {
    object_ = &payload.as_object();
  } else if (payload.is_null() && null_is_empty) {
    object_ = &empty_object();
  } else {
    object_ = &empty_object();
    fail("Payload must be an object");
  }
}

void FieldReader::fail(std::string message) {
  if (!error_) error_ = Error::make(ErrorCode::invalid_request, std::move(message));
}

const json::value* FieldReader::find(std::string_view key) const {
  const json::value* v = object_->if_contains(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

bool FieldReader::contains(std::string_view key) const {
  return object_->contains(key);
}

void FieldReader::missing(std::string_view key) {
  fail(std::string(key) + " is required");
}

const json::value* FieldReader::need_value(std::string_view key, Need need) {
  const json::value* v = find(key);
  if (v == nullptr && need == Need::required) missing(key);
  return v;
}

std::optional<std::string> FieldReader::text(std::string_view key, Need need, TextRule rule) {
  const json::value* v = need_value(key, need);
  if (v == nullptr) return std::nullopt;
  const std::string range =
      std::to_string(rule.min_chars) + " to " + std::to_string(rule.max_chars);
  if (!v->is_string()) {
    fail(std::string(key) + " must be a string of " + range + " characters");
    return std::nullopt;
  }
  const std::string_view s = v->as_string();
  const auto length = text::utf8_length(s);
  if (!length) {
    fail(std::string(key) + " is not valid UTF-8");
    return std::nullopt;
  }
  if (*length < rule.min_chars || *length > rule.max_chars) {
    fail(std::string(key) + " must be " + range + " characters");
    return std::nullopt;
  }
  if (text::has_control_chars(s, rule.allow_line_breaks)) {
    fail(std::string(key) + " must not contain control characters");
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::string> FieldReader::id(std::string_view key, Need need) {
  const json::value* v = need_value(key, need);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string() || !text::is_valid_id(v->as_string())) {
    fail(std::string(key) + " must be a valid id");
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<std::string> FieldReader::game_id(std::string_view key, Need need) {
  const json::value* v = need_value(key, need);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string() || !text::is_game_id(v->as_string())) {
    fail(std::string(key) + " must be a string of exactly 16 hex digits");
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<std::int64_t> FieldReader::integer(std::string_view key, Need need, std::int64_t min,
                                                 std::int64_t max, bool from_strings) {
  const json::value* v = need_value(key, need);
  if (v == nullptr) return std::nullopt;
  std::optional<std::int64_t> n;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64()) {
    // Above INT64_MAX: out of every range this protocol has.
    if (v->as_uint64() <= static_cast<std::uint64_t>(max))
      n = static_cast<std::int64_t>(v->as_uint64());
  } else if (v->is_double()) {
    const double d = v->as_double();
    if (std::isfinite(d) && std::trunc(d) == d && d >= static_cast<double>(min) &&
        d <= static_cast<double>(max)) {
      n = static_cast<std::int64_t>(d);
    }
  } else if (v->is_string() && from_strings) {
    const std::string_view s = v->as_string();
    std::int64_t parsed = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) n = parsed;
  }
  if (!n || *n < min || *n > max) {
    fail(std::string(key) + " must be an integer from " + std::to_string(min) + " to " +
         std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<double> FieldReader::number(std::string_view key, Need need, double min, double max) {
  const json::value* v = need_value(key, need);
  if (v == nullptr) return std::nullopt;
  std::optional<double> d;
  if (v->is_number()) d = v->to_number<double>();
  if (!d || !std::isfinite(*d) || *d < min || *d > max) {
    // %g keeps "0 to 1" readable where std::to_string would print "0.000000".
    char range[64];
    std::snprintf(range, sizeof range, "%g to %g", min, max);
    fail(std::string(key) + " must be a number from " + range);
    return std::nullopt;
  }
  return d;
}

std::optional<bool> FieldReader::boolean(std::string_view key, Need need, bool from_strings) {
  const json::value* v = need_value(key, need);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->as_bool();
  if (from_strings && v->is_string()) {
    const std::string_view s = v->as_string();
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  fail(std::string(key) + " must be a boolean");
  return std::nullopt;
}

std::optional<bool> FieldReader::choice(std::string_view key, Need need, std::string_view first,
                                        std::string_view second) {
  const json::value* v = need_value(key, need);
  if (v == nullptr) return std::nullopt;
  if (v->is_string() && v->as_string() == first) return true;
  if (v->is_string() && v->as_string() == second) return false;
  fail(std::string(key) + " must be \"" + std::string(first) + "\" or \"" + std::string(second) +
       "\"");
  return std::nullopt;
}

}  // namespace sudachi::room
