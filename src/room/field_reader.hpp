#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.hpp"

namespace sudachi::room {

// Reads the fields of one event payload and remembers the first problem, so each parser is a
// flat list of field rules followed by one `if (!r.ok()) return r.error();`. A field that is
// absent or JSON null counts as not given (JavaScript clients send both for "unset"). Unknown
// fields are ignored: newer clients may send more than this server knows.
class FieldReader {
 public:
  enum class Need { optional, required };

  struct TextRule {
    std::size_t min_chars = 1;
    std::size_t max_chars = 32;
    bool allow_line_breaks = false;
  };

  // `null_is_empty`: for events whose fields are all optional, a missing payload means {}.
  FieldReader(const boost::json::value& payload, bool null_is_empty);

  bool ok() const { return !error_.has_value(); }
  const Error& error() const { return *error_; }
  void fail(std::string message);

  // The value of `key` when present and not null.
  const boost::json::value* find(std::string_view key) const;
  // Whether `key` is present at all, null included.
  bool contains(std::string_view key) const;

  // Free text counted in code points: valid UTF-8, no control characters.
  std::optional<std::string> text(std::string_view key, Need need, TextRule rule);
  // A room or client id (text::is_valid_id).
  std::optional<std::string> id(std::string_view key, Need need);
  // 16 hex digits.
  std::optional<std::string> game_id(std::string_view key, Need need);
  // An integer in [min, max]; an integral double (4.0) is accepted. `from_strings` also takes
  // decimal strings ("20"), for query parameters.
  std::optional<std::int64_t> integer(std::string_view key, Need need, std::int64_t min,
                                      std::int64_t max, bool from_strings = false);
  // A finite number in [min, max].
  std::optional<double> number(std::string_view key, Need need, double min, double max);
  // A boolean; `from_strings` also takes "true"/"false"/"1"/"0".
  std::optional<bool> boolean(std::string_view key, Need need, bool from_strings = false);
  // One of two spellings: returns true for `first`, false for `second`.
  std::optional<bool> choice(std::string_view key, Need need, std::string_view first,
                             std::string_view second);

 private:
  const boost::json::value* need_value(std::string_view key, Need need);
  void missing(std::string_view key);

  const boost::json::object* object_ = nullptr;
  std::optional<Error> error_;
};

}  // namespace sudachi::room
