// Errors as values: the one taxonomy every provider maps its forge's answers into.
//
// Nothing throws across the plugin boundary. Every provider method returns a Result<T>; the
// host never has to know which forge said what, only which kind of failure it was and what a
// person should do about it (Error::message).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace forgelink {

enum class ErrorKind {
    unauthorized,   // the forge does not accept the credentials (unknown, expired, revoked)
    forbidden,      // authenticated, but the role is too low for this action
    missing_scope,  // the token lacks a scope; Error::missing_scopes names which
    not_found,      // missing, or invisible to this token (forges answer 404 for both)
    rate_limited,   // throttled; Error::retry_after says when to come back
    transient,      // network trouble, 5xx, deadline: worth retrying later
    invalid_input,  // the request (or the forge's answer) is malformed
    conflict,       // a concurrent change on the forge: retry later
    unsupported,    // this provider does not implement the capability
    internal,       // a bug: an invariant was broken
};

// Stable machine names, used in JSON output, logs and metrics.
std::string_view toString(ErrorKind kind) noexcept;

// What a refusal says about the credential behind it, beyond its kind: the typed words every
// provider maps its forge's answers into (a forge says "invalid_grant", another
// "bad_refresh_token"). The host acts on these (which token it marks invalid, which refresh it
// stops retrying), never on Error::code, whose words are the forge's. Added in ABI version 2.
enum class ErrorCause {
    none,                 // nothing beyond the kind
    credential_revoked,   // the token was revoked (or its user blocked or deleted)
    credential_expired,   // the token is past its expiry
    refresh_token_spent,  // an OAuth refresh token the forge will never take again: invalid,
                          // expired, already used or issued to another client
};

struct Error {
    ErrorKind kind = ErrorKind::internal;
    // What went wrong, where, and what to do about it; written for a person. Never a secret.
    // Several causes known at once (a token with two problems) are one line each, each with its
    // own fix; `code` and `kind` are the first line's. The REST API lists the lines in
    // error.details.causes.
    std::string message;
    // A finer, provider-defined reason ("token_revoked", "token_expired", "not_a_forge_api"...).
    std::string code;
    // For missing_scope: the scopes (or permissions) to add.
    std::vector<std::string> missing_scopes;
    // For rate_limited (and sometimes transient/conflict): how long to wait before retrying.
    std::optional<std::chrono::seconds> retry_after;
    // The forge's HTTP status when there was one, else 0.
    int http_status = 0;
    // For unauthorized: what it means for the credential (ErrorCause).
    ErrorCause cause = ErrorCause::none;

    // Permanent errors are not worth retrying without a change by a person.
    bool permanent() const noexcept {
        return kind != ErrorKind::rate_limited && kind != ErrorKind::transient && kind != ErrorKind::conflict;
    }
};

inline Error makeError(ErrorKind kind, std::string message, std::string code = {}) {
    Error e;
    e.kind = kind;
    e.message = std::move(message);
    e.code = std::move(code);
    return e;
}

// A value or an Error. Cheap to move; inspect with ok() before value()/error().
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return data_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(data_); }
    const T& value() const& { return std::get<0>(data_); }
    T&& value() && { return std::get<0>(std::move(data_)); }
    const Error& error() const { return std::get<1>(data_); }
    Error& error() { return std::get<1>(data_); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}
    bool ok() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const { return *error_; }

private:
    std::optional<Error> error_;
};

inline std::string_view toString(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::unauthorized: return "unauthorized";
        case ErrorKind::forbidden: return "forbidden";
        case ErrorKind::missing_scope: return "missing_scope";
        case ErrorKind::not_found: return "not_found";
        case ErrorKind::rate_limited: return "rate_limited";
        case ErrorKind::transient: return "transient";
        case ErrorKind::invalid_input: return "invalid_input";
        case ErrorKind::conflict: return "conflict";
        case ErrorKind::unsupported: return "unsupported";
        case ErrorKind::internal: return "internal";
    }
    return "internal";
}

}  // namespace forgelink
