// A small router: routes are "METHOD /path/{param}/..." templates. Parameters match one path
// segment of the raw (still percent-encoded) path and are decoded afterwards, so a parameter
// may hold an encoded '/' ("group%2Fproject") without changing the route that matches.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/http_server.hpp"

namespace forgelink::service {

using PathParams = std::map<std::string, std::string>;

template <class Target>
class Router {
public:
    struct Match {
        const Target* target = nullptr;  // null when nothing matched
        std::string route;               // the template, for logs and metrics ("/api/v1/teams/{team}")
        PathParams params;
        std::vector<std::string> allowed;  // methods the path answers when the method did not match
    };

    void add(std::string method, const std::string& pattern, Target target) {
        routes_.push_back({std::move(method), pattern, splitPath(pattern), std::move(target)});
    }

    // The route for `method` and `raw_path`. A path that exists for other methods gives a match
    // with no target and `allowed` set (405); an unknown path gives neither (404).
    Match match(const std::string& method, const std::string& raw_path) const {
        Match result;
        const auto segments = splitPath(raw_path);
        for (const auto& route : routes_) {
            PathParams params;
            if (!matches(route.segments, segments, params)) continue;
            if (route.method == method || (method == "HEAD" && route.method == "GET")) {
                result.target = &route.target;
                result.route = route.pattern;
                result.params = std::move(params);
                result.allowed.clear();
                return result;
            }
            result.route = route.pattern;
            result.allowed.push_back(route.method);
        }
        return result;
    }

    // What an Allow header lists for a path whose routes answer `methods`: each once, HEAD
    // wherever GET works (it is answered as GET without the body), and OPTIONS, which every
    // known path answers.
    static std::string allowHeader(const std::vector<std::string>& methods) {
        std::vector<std::string> all;
        auto add = [&all](const std::string& m) {
            for (const auto& a : all)
                if (a == m) return;
            all.push_back(m);
        };
        for (const auto& m : methods) {
            add(m);
            if (m == "GET") add("HEAD");
        }
        add("OPTIONS");
        std::string out;
        for (const auto& m : all) out += (out.empty() ? "" : ", ") + m;
        return out;
    }

    // Every (method, template), in the order added: for documentation checks.
    std::vector<std::pair<std::string, std::string>> routes() const {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& route : routes_) out.emplace_back(route.method, route.pattern);
        return out;
    }

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Target target;
    };

    static std::vector<std::string> splitPath(const std::string& path);
    static bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                        PathParams& params);

    std::vector<Route> routes_;
};

// Shared by every instantiation (router.cpp).
std::vector<std::string> splitRoutePath(const std::string& path);
bool matchRouteSegments(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                        PathParams& params);

template <class Target>
std::vector<std::string> Router<Target>::splitPath(const std::string& path) {
    return splitRoutePath(path);
}

template <class Target>
bool Router<Target>::matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                             PathParams& params) {
    return matchRouteSegments(pattern, segments, params);
}

}  // namespace forgelink::service
