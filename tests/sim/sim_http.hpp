// The simulator's own view of one HTTP exchange, independent of Beast, so the forge logic can be
// driven and tested without sockets.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace forgelink::sim {

struct SimRequest {
    std::string method;                                   // upper case
    std::string path;                                     // raw (still percent-encoded) path
    std::string raw_query;                                // without '?'
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
    std::map<std::string, std::string> headers;           // names lower-cased
    std::string body;

    std::optional<std::string> param(const std::string& name) const;  // query first, then form/JSON body
    std::string header(const std::string& lower_name) const;
    // Body parameters (form-encoded or a flat JSON object), parsed lazily once.
    const std::vector<std::pair<std::string, std::string>>& bodyParams() const;

private:
    mutable bool body_parsed_ = false;
    mutable std::vector<std::pair<std::string, std::string>> body_params_;
};

// What the connection layer should do besides (or instead of) answering.
enum class WireAction { Respond, ResetConnection, Stall };

struct SimResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    WireAction action = WireAction::Respond;
    int delay_ms = 0;  // latency before answering, or stall duration for WireAction::Stall

    void set(const std::string& name, const std::string& value);
    void json(int code, const std::string& text);  // status + body + Content-Type: application/json
};

std::string percentDecode(const std::string& s, bool plus_is_space);
std::string percentEncode(const std::string& s);  // RFC 3986 unreserved kept
std::vector<std::pair<std::string, std::string>> parseQuery(const std::string& q);
std::vector<std::string> splitPath(const std::string& raw_path);  // decoded segments, no empties

}  // namespace forgelink::sim
