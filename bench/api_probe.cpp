#include "api_probe.hpp"

namespace forgelink::bench {

bool createTeam(const ServeProcess& serve, const std::string& slug, bool& mounted, std::string& why) {
    auto reply = serve.call("POST", "/api/v1/teams", {{"slug", slug}, {"name", "Bench " + slug}});
    mounted = !(reply.status == 404 && reply.body.find("no route") != std::string::npos);
    if (!mounted) {
        why = "forgelink serve does not mount the REST API yet (POST /api/v1/teams answered 404 \"no route\"; "
              "core/src/cli/serve_command.cpp serves /healthz only)";
        return false;
    }
    if (reply.status != 201) {
        why = "POST /api/v1/teams answered " + std::to_string(reply.status) + ": " + reply.body.substr(0, 300) +
              reply.error;
        return false;
    }
    return true;
}

}  // namespace forgelink::bench
