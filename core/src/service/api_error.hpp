// The one way a route refuses a request: thrown inside the service, turned into
// {"error":{"code","message"}} with its HTTP status by the dispatcher (api_service.cpp).
// Exceptions never leave the service: the HttpServer sees a response, never an ApiError.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include <forgelink/result.hpp>

namespace forgelink::service {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message, nlohmann::json details = nullptr)
        : std::runtime_error(message), status_(status), code_(std::move(code)), message_(message),
          details_(std::move(details)) {}
    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }
    // The whole message. what() is a C string: it ends at the first NUL a quoted value brought in
    // (issue 22: "no team 'a" for the slug "a\u0000x"), so answers are built from this instead.
    const std::string& message() const noexcept { return message_; }
    const nlohmann::json& details() const noexcept { return details_; }
    // What the server log says of this refusal and the client is not told (the store's own
    // message: a table and key, never a secret); empty when the answer says it all.
    const std::string& logReason() const noexcept { return log_reason_; }
    ApiError& withLogReason(std::string reason) {
        log_reason_ = std::move(reason);
        return *this;
    }

private:
    int status_;
    std::string code_;
    std::string message_;
    nlohmann::json details_;
    std::string log_reason_;
};

inline ApiError badRequest(const std::string& code, const std::string& message) { return {400, code, message}; }
inline ApiError notFound(const std::string& message) { return {404, "not_found", message}; }
inline ApiError forbidden(const std::string& message) { return {403, "forbidden", message}; }
inline ApiError conflict(const std::string& message) { return {409, "conflict", message}; }
inline ApiError unprocessable(const std::string& code, const std::string& message) { return {422, code, message}; }

// A store failure as the API answers it: not_found 404, conflict 409, invalid_input 422, a
// transient failure (the database unreachable, restarting, failing over, or locked past its
// timeout) 503 store_unavailable with Retry-After, the rest 500. The store's message of a 5xx
// names a table and key, never a secret, but a client cannot act on it: it goes to the log
// (logReason), not into the answer.
ApiError fromStoreError(const Error& error);

// A provider's refusal as the API answers it: transient/internal trouble with the forge 502,
// rate limits 503 (Retry-After in details), anything the forge refused 422 with the plugin's
// code (or the kind) and message.
ApiError fromProviderError(const Error& error);

// Unwraps a store result or throws fromStoreError.
template <class T>
T orThrow(Result<T> result) {
    if (!result.ok()) throw fromStoreError(result.error());
    return std::move(result).value();
}
inline void orThrow(Result<void> result) {
    if (!result.ok()) throw fromStoreError(result.error());
}

}  // namespace forgelink::service
