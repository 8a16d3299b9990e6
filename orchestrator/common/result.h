#pragma once
// Result<T>: a value or an Error. Every function that touches Docker, disk, network or
// processes returns one. Errors carry a code (what kind of failure, used for exit codes and
// HTTP statuses) and a lower-case message that gains context at each level:
//   "build image 'ppcs-openmpi:latest': POST /build: engine 500: ..."

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ppcs {

enum class ErrorCode {
    usage,             // the caller asked for something invalid (CLI exit 2, HTTP 400)
    notFound,          // HTTP 404
    conflict,          // HTTP 409
    unauthorized,      // HTTP 401
    permissionDenied,  // HTTP 403
    tooLarge,          // HTTP 413
    unavailable,       // a dependency (engine, daemon, mirror) cannot be reached: HTTP 503
    timeout,           // a bounded wait ran out: HTTP 504
    failed,            // anything else: HTTP 500
};

std::string_view errorCodeName(ErrorCode code);
std::optional<ErrorCode> errorCodeFromName(std::string_view name);

struct Error {
    ErrorCode code = ErrorCode::failed;
    std::string message;

    // Returns this error with "context: " put in front of the message.
    Error context(std::string_view what) const;
};

inline Error makeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// [[nodiscard]]: a dropped Result is a failure nobody hears of. Ignore one only visibly, with
// `(void)` and a comment saying why that is safe.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::move(value)) {}
    Result(Error error) : data_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(data_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(data_); }
    const T& value() const& { return std::get<T>(data_); }
    T&& value() && { return std::get<T>(std::move(data_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { return std::get<Error>(data_); }

private:
    std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *error_; }

private:
    std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace ppcs
