// Status and Result<T>: how fallible Tillbridge functions report failure.
// No exception crosses a module header; adapters around Poco, cpprestsdk and
// sqlite3 catch and translate at their edge.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tillbridge {

// What went wrong, coarse enough for callers to decide what to do next.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong; retrying will not help
  kNotFound,
  kAlreadyExists,
  kUnavailable,  // a peer or resource is down; retry with backoff
  kCorruption,   // stored data failed a check (hash chain, integrity)
  kIoError,      // the local disk or file system failed
  kPermissionDenied,
  kFailedPrecondition,  // the system is not in a state that allows this
  kInternal,
};

// Returns a stable lower-case name ("invalid_argument", ...) for `code`.
std::string_view StatusCodeName(StatusCode code);

// A success or an error code with a human-readable message. Cheap to copy.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", or "ok".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value of type T or a non-ok Status. Accessing value() of an error is a
// programming error (checked by assert in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)), status_() {}  // NOLINT: implicit by design
  // `status` must not be ok; an ok status becomes Internal.
  Result(Status status)  // NOLINT
      : status_(status.ok() ? Status::Internal("result holds no value") : std::move(status)) {}

  bool ok() const { return value_.has_value(); }
  // Ok when a value is held.
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  // By value, so `for (auto& x : F().value())` does not dangle.
  T value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tillbridge

// Returns early from the enclosing function when `expr` is not ok.
#define TB_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::tillbridge::Status tb_status_ = (expr); \
    if (!tb_status_.ok()) return tb_status_;  \
  } while (false)
