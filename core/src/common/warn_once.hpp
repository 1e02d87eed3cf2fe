// Warnings of a background loop that say a failure once, not once a pass: a forge or a store that
// stays down is reported when it starts failing and again only when the failure changes.
//
// Threads: any; one mutex guards the remembered failures. Lifetime: the logger is borrowed and
// must outlive the WarnOnce.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/log.hpp"

namespace forgelink::common {

class WarnOnce {
public:
    explicit WarnOnce(JsonLogger& log) : log_(log) {}

    // Logs `message` with `fields` at warn level unless the failure `detail` is the one last
    // logged under `key`.
    void warn(const std::string& key, std::string_view message, const std::string& detail,
              const std::map<std::string, std::string>& fields);
    // The failure of `key` is over: its next one is logged again.
    void forget(const std::string& key);

private:
    JsonLogger& log_;
    std::mutex mutex_;
    std::map<std::string, std::string> last_;  // key -> detail last logged; under mutex_
};

}  // namespace forgelink::common
