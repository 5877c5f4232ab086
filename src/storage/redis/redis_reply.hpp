#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sudachi::storage::redis {

// One RESP2 reply as an owned value (hiredis frees its own reply objects as soon as the
// callback returns). Accessors never fail: a reply of another type reads as 0, "" or an
// empty array, and the as_* functions say whether it really had that shape, so that code
// decoding a hostile or unexpected reply checks instead of crashing.
class RedisReply {
 public:
  enum class Type { nil, integer, string, array, status, error };

  RedisReply() = default;  // nil
  static RedisReply integer(std::int64_t value);
  static RedisReply string(std::string value);
  static RedisReply status(std::string value);
  static RedisReply error(std::string value);
  static RedisReply array(std::vector<RedisReply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::nil; }
  bool is_error() const { return type_ == Type::error; }
  bool is_array() const { return type_ == Type::array; }

  std::int64_t int_value() const { return integer_; }  // 0 unless Type::integer
  const std::string& text() const { return text_; }    // string, status or error; else ""
  const std::vector<RedisReply>& elements() const { return elements_; }  // else empty

  // An integer reply, or a string holding exactly a decimal integer (Lua numbers come back
  // as integers, hash fields as strings).
  std::optional<std::int64_t> as_int() const;
  // A bulk string or status; nullopt for nil and everything else.
  std::optional<std::string_view> as_string() const;

  // "ERR ...", "NOSCRIPT ...": the first word of an error reply (empty for non-errors).
  std::string_view error_prefix() const;

  // For test failure messages and logs; long strings are shortened.
  std::string debug_string() const;

 private:
  Type type_ = Type::nil;
  std::int64_t integer_ = 0;
  std::string text_;
  std::vector<RedisReply> elements_;
};

}  // namespace sudachi::storage::redis

#include "common/result.hpp"

namespace sudachi::storage::redis {

// The contract error for a Redis error reply: UNAVAILABLE for the transient conditions of a
// server that is starting, failing over or busy (LOADING, BUSY, MASTERDOWN, READONLY,
// CLUSTERDOWN, TRYAGAIN, NOSCRIPT), INTERNAL for the rest (a bug of ours, or hostile data).
Error to_error(const RedisReply& error_reply);

}  // namespace sudachi::storage::redis
