#include "storage/redis/redis_reply.hpp"

#include <charconv>
#include <utility>

namespace sudachi::storage::redis {

RedisReply RedisReply::integer(std::int64_t value) {
  RedisReply r;
  r.type_ = Type::integer;
  r.integer_ = value;
  return r;
}

RedisReply RedisReply::string(std::string value) {
  RedisReply r;
  r.type_ = Type::string;
  r.text_ = std::move(value);
  return r;
}

RedisReply RedisReply::status(std::string value) {
  RedisReply r;
  r.type_ = Type::status;
  r.text_ = std::move(value);
  return r;
}

RedisReply RedisReply::error(std::string value) {
  RedisReply r;
  r.type_ = Type::error;
  r.text_ = std::move(value);
  return r;
}

RedisReply RedisReply::array(std::vector<RedisReply> elements) {
  RedisReply r;
  r.type_ = Type::array;
  r.elements_ = std::move(elements);
  return r;
}

std::optional<std::int64_t> RedisReply::as_int() const {
  if (type_ == Type::integer) return integer_;
  if (type_ != Type::string || text_.empty()) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text_.data() + text_.size();
  auto [ptr, ec] = std::from_chars(text_.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<std::string_view> RedisReply::as_string() const {
  if (type_ == Type::string || type_ == Type::status) return std::string_view(text_);
  return std::nullopt;
}

std::string_view RedisReply::error_prefix() const {
  if (type_ != Type::error) return {};
  std::string_view text(text_);
  return text.substr(0, text.find(' '));
}

std::string RedisReply::debug_string() const {
  auto shorten = [](const std::string& s) { return s.size() > 80 ? s.substr(0, 80) + "..." : s; };
  switch (type_) {
    case Type::nil:
      return "nil";
    case Type::integer:
      return std::to_string(integer_);
    case Type::string:
      return '"' + shorten(text_) + '"';
    case Type::status:
      return "+" + shorten(text_);
    case Type::error:
      return "-" + shorten(text_);
    case Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements_.size(); ++i) {
        if (i) out += ", ";
        if (i == 16) return out + "...]";
        out += elements_[i].debug_string();
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace sudachi::storage::redis

namespace sudachi::storage::redis {

Error to_error(const RedisReply& error_reply) {
  static constexpr std::string_view kTransient[] = {
      "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "NOSCRIPT"};
  const std::string_view prefix = error_reply.error_prefix();
  for (std::string_view transient : kTransient) {
    if (prefix == transient) {
      return Error::make(ErrorCode::unavailable, "Redis is busy (" + std::string(prefix) + ")");
    }
  }
  // Only the error's first word: the rest can quote data or script internals, and error
  // messages can reach clients.
  return Error::make(ErrorCode::internal, "Redis error " + std::string(prefix));
}

}  // namespace sudachi::storage::redis
