// The smallest useful provider, built outside Forgelink's tree against the installed SDK.
#include <forgelink/plugin.hpp>
#include <forgelink/support/http_text.hpp>

namespace hello {

// Not part of the plugin's interface: forgelink_add_plugin must keep it out of the dynamic
// symbol table (the test checks), or two plugins' helpers could shadow each other.
int helperThatMustStayHidden(int value) { return value * 2; }

class HelloProvider final : public forgelink::Provider {
public:
    explicit HelloProvider(forgelink::HostServices&) {}

    forgelink::Result<forgelink::TokenInfo> validateToken(const forgelink::Credentials& credentials) override {
        if (credentials.token.size() != static_cast<std::size_t>(helperThatMustStayHidden(4))) {
            return forgelink::makeError(forgelink::ErrorKind::unauthorized, "hello tokens have 8 characters");
        }
        // A helper from Forgelink::plugin_support, so the test proves the installed SDK ships it
        // (and that forgelink_add_plugin keeps its symbols out of the plugin's dynamic table).
        auto base = forgelink::support::splitBaseUrl(credentials.base_url);
        if (!base.url) {
            return forgelink::makeError(forgelink::ErrorKind::invalid_input,
                                        "hello base URL \"" + credentials.base_url + "\" " + base.problem,
                                        "bad_base_url");
        }
        forgelink::TokenInfo info;
        info.instance = base.url->authority + base.url->path;
        info.identity.username = "hello";
        return info;
    }
};

// The shapes of this forge's secrets: the host masks "hello_pat_..." in its logs once it loads us.
const char* const kSecretTokenPrefixes[] = {"hello_pat_", nullptr};

}  // namespace hello

FORGELINK_PLUGIN(hello::HelloProvider, "out-of-tree-hello", "0.3.0", FORGELINK_CAP_TOKEN_VALIDATION,
                 hello::kSecretTokenPrefixes)
