// One function per command; each takes the words after the command's name and returns the
// process exit code (exit_code.hpp). Each lives in its own file.
#pragma once

#include <string>
#include <vector>

namespace forgelink::cli {

using Args = std::vector<std::string>;

int runServe(const Args& args);         // serve_command.cpp
int runPlugins(const Args& args);       // plugins_command.cpp
int runConfigCheck(const Args& args);   // config_check_command.cpp
int runTokenCheck(const Args& args);    // token_check_command.cpp
int runNamespaces(const Args& args);    // namespaces_command.cpp
int runRepos(const Args& args);         // repos_command.cpp
int runFeedback(const Args& args);      // feedback_command.cpp
int runKeygen(const Args& args);        // keygen_command.cpp
int runRekey(const Args& args);         // rekey_command.cpp
int runMigrate(const Args& args);       // migrate_command.cpp
int runStoreCopy(const Args& args);     // store_copy_command.cpp
int runAdmin(const Args& args);         // admin/admin_command.cpp (one file per resource beside it)

}  // namespace forgelink::cli
