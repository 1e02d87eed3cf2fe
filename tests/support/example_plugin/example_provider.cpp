// A test double: the "example" provider validates one fixed token and nothing else.
//
// If FORGELINK_EXAMPLE_EVENTS names a file, it appends one line per lifetime event to it:
// "created", "destroyed" (the provider) and "unloaded" (the library's static destructors, run by
// dlclose). Tests read the order to prove the host destroys providers before it lets libraries go.
#include <cstdio>
#include <cstdlib>
#include <forgelink/plugin.hpp>

namespace {

void recordEvent(const char* event) noexcept {
    const char* path = std::getenv("FORGELINK_EXAMPLE_EVENTS");
    if (path == nullptr || *path == '\0') return;
    if (std::FILE* file = std::fopen(path, "a")) {
        std::fprintf(file, "%s\n", event);
        std::fclose(file);
    }
}

struct UnloadWitness {
    ~UnloadWitness() { recordEvent("unloaded"); }
} unload_witness;

class ExampleProvider final : public forgelink::Provider {
public:
    explicit ExampleProvider(forgelink::HostServices&) { recordEvent("created"); }
    ~ExampleProvider() override { recordEvent("destroyed"); }

    forgelink::Result<forgelink::TokenInfo> validateToken(const forgelink::Credentials& credentials) override {
        if (credentials.token != kAcceptedToken) {
            // Never echo the token: it may be a real secret typed into the wrong provider.
            return forgelink::makeError(forgelink::ErrorKind::unauthorized,
                                        "the example provider accepts only its fixed test token", "token_unknown");
        }
        forgelink::TokenInfo info;
        info.instance = credentials.base_url;
        info.identity.id = "1";
        info.identity.username = "example-user";
        info.identity.name = "Example User";
        info.kind = forgelink::TokenKind::personal;
        info.scopes = {"api"};
        return info;
    }

private:
    static constexpr const char* kAcceptedToken = "good-token";
};

}  // namespace

FORGELINK_PLUGIN(ExampleProvider, "example", "1.0.0", FORGELINK_CAP_TOKEN_VALIDATION)
