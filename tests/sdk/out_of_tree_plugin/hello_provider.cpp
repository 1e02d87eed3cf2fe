// The smallest useful provider, built outside Forgelink's tree against the installed SDK.
#include <forgelink/plugin.hpp>

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
        forgelink::TokenInfo info;
        info.instance = credentials.base_url;
        info.identity.username = "hello";
        return info;
    }
};

}  // namespace hello

FORGELINK_PLUGIN(hello::HelloProvider, "out-of-tree-hello", "0.3.0", FORGELINK_CAP_TOKEN_VALIDATION)
