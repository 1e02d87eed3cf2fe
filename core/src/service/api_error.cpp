#include "service/api_error.hpp"

namespace forgelink::service {

ApiError fromStoreError(const Error& error) {
    switch (error.kind) {
        case ErrorKind::not_found: return {404, "not_found", error.message};
        // A unique key the route did not name itself: the store's text carries the SQL
        // constraint and internal ids, which a client cannot act on.
        case ErrorKind::conflict:
            if (error.code == "already_exists") return {409, "conflict", "that already exists"};
            return {409, "conflict", error.message};
        case ErrorKind::invalid_input: return {422, "invalid_input", error.message};
        case ErrorKind::transient:
            return ApiError(503, "store_unavailable",
                            "the database is unavailable or busy (a restart, a failover, a long lock); retry shortly",
                            {{"retry_after_seconds", 1}})
                .withLogReason(error.message);
        default:
            return ApiError(500, "internal", "the database failed; see the server log").withLogReason(error.message);
    }
}

ApiError fromProviderError(const Error& error) {
    const std::string code = error.code.empty() ? std::string(toString(error.kind)) : error.code;
    nlohmann::json details = {{"kind", toString(error.kind)}};
    if (!error.missing_scopes.empty()) details["missing_scopes"] = error.missing_scopes;
    if (error.http_status != 0) details["forge_status"] = error.http_status;
    if (error.message.find('\n') != std::string::npos) {
        nlohmann::json causes = nlohmann::json::array();
        std::size_t start = 0;
        for (std::size_t end; (end = error.message.find('\n', start)) != std::string::npos; start = end + 1)
            causes.push_back(error.message.substr(start, end - start));
        causes.push_back(error.message.substr(start));
        details["causes"] = causes;
    }
    switch (error.kind) {
        case ErrorKind::transient:
        case ErrorKind::internal:
            return {502, code, "the forge could not be reached or answered unusably: " + error.message, details};
        case ErrorKind::rate_limited:
            if (error.retry_after) details["retry_after_seconds"] = error.retry_after->count();
            return {503, code, "the forge is rate limiting Forgelink: " + error.message, details};
        case ErrorKind::unsupported:
            return {422, code, error.message, details};
        default:
            return {422, code, error.message, details};
    }
}

}  // namespace forgelink::service
