#include "common/warn_once.hpp"

namespace forgelink::common {

void WarnOnce::warn(const std::string& key, std::string_view message, const std::string& detail,
                    const std::map<std::string, std::string>& fields) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = last_.try_emplace(key, detail);
    if (!inserted && it->second == detail) return;
    it->second = detail;
    log_.log(LogLevel::warn, message, fields);
}

void WarnOnce::forget(const std::string& key) {
    std::lock_guard lock(mutex_);
    last_.erase(key);
}

}  // namespace forgelink::common
