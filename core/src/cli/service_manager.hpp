// Telling systemd (Type=notify) what serve is doing, through sd_notify(3) from libsystemd.
// libsystemd is optional at build time (FORGELINK_WITH_SYSTEMD): without it these calls do nothing,
// and serve says once that readiness cannot be reported when NOTIFY_SOCKET asks for it.
#pragma once

#include <string>

namespace forgelink::cli {

// True when this build calls sd_notify (linked against libsystemd).
bool serviceNotifySupported();

// True when the process was started by a service manager that waits for notifications
// (NOTIFY_SOCKET is set).
bool serviceManagerListening();

// READY=1 and a STATUS= line: the store is open, plugins are loaded, the server listens.
void notifyReady(const std::string& status);
// RELOADING=1 (configuration being re-read on SIGHUP); follow it with notifyReady.
void notifyReloading();
// STOPPING=1: a clean stop has begun.
void notifyStopping();

}  // namespace forgelink::cli
