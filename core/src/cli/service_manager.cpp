#include "cli/service_manager.hpp"

#include <cstdlib>

#ifdef FORGELINK_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace forgelink::cli {

namespace {
void notify([[maybe_unused]] const std::string& state) {
#ifdef FORGELINK_HAVE_SYSTEMD
    // unset_environment = 0: a reload notifies again through the same socket.
    sd_notify(0, state.c_str());
#endif
}
}  // namespace

bool serviceNotifySupported() {
#ifdef FORGELINK_HAVE_SYSTEMD
    return true;
#else
    return false;
#endif
}

bool serviceManagerListening() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    return socket != nullptr && *socket != '\0';
}

void notifyReady(const std::string& status) {
    std::string state = "READY=1\nSTATUS=";
    for (char c : status) state += (c == '\n' ? ' ' : c);
    notify(state);
}

void notifyReloading() { notify("RELOADING=1\nSTATUS=reloading the configuration"); }

void notifyStopping() { notify("STOPPING=1\nSTATUS=stopping"); }

}  // namespace forgelink::cli
