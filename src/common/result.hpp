#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "common/error_code.hpp"

namespace sudachi {

// An error crossing a module boundary: a contract code, a message for humans, and for
// RATE_LIMITED the number of seconds after which a retry may succeed.
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  int retry_after_seconds = 0;

  static Error make(ErrorCode c) { return Error{c, std::string(default_message(c)), 0}; }
  static Error make(ErrorCode c, std::string msg) { return Error{c, std::move(msg), 0}; }
};

// Errors as values at module boundaries (std::expected is C++23; GCC 12 in C++20 mode lacks it).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)
  Result(ErrorCode code) : v_(Error::make(code)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() {
  return Unit{};
}

}  // namespace sudachi
