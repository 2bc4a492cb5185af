// Error values for berth: every fallible function returns Result<T>.
// An Error carries the errno (0 when none applies) and a message that is built outward
// with context ("mount proc on /x: operation not permitted"). Never throws.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace berth {

class Error {
 public:
  Error(int code, std::string message) : code_(code), message_(std::move(message)) {}

  // An error from a failed syscall: "what: strerror(errno)".
  static Error from_errno(std::string_view what, int code = errno);

  [[nodiscard]] int code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  // Prefixes the message with what the caller was doing: "what: <message>".
  [[nodiscard]] Error context(std::string_view what) const&;
  [[nodiscard]] Error context(std::string_view what) &&;

 private:
  int code_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  // Adds context to an error, passes a value through.
  Result context(std::string_view what) && {
    if (ok()) return std::move(*this);
    return std::move(*this).error().context(what);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

  Result context(std::string_view what) && {
    if (ok_) return {};
    return std::move(error_).context(what);
  }

 private:
  Error error_{0, {}};
  bool ok_ = true;
};

using Status = Result<void>;

// Shorthand for a successful Result<void>.
inline Status ok() { return {}; }

}  // namespace berth

// Propagates an error from a Result-returning expression.
#define BERTH_TRY(expr)                                                  \
  do {                                                                   \
    auto berth_try_result_ = (expr);                                     \
    if (!berth_try_result_) return std::move(berth_try_result_).error(); \
  } while (0)

#define BERTH_CONCAT_INNER_(a, b) a##b
#define BERTH_CONCAT_(a, b) BERTH_CONCAT_INNER_(a, b)

// Declares `decl` from the value of a Result, or returns its error.
#define BERTH_ASSIGN(decl, expr) BERTH_ASSIGN_IMPL_(BERTH_CONCAT_(berth_assign_, __LINE__), decl, expr)
// `decl` is a declaration and `tmp` a name: neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define BERTH_ASSIGN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                        \
  if (!tmp) return std::move(tmp).error();  \
  decl = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
