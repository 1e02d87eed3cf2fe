// The stable --json shapes of the CLI (docs/cli.md documents each field).
#pragma once

#include <nlohmann/json.hpp>

#include <forgelink/result.hpp>
#include <forgelink/types.hpp>

#include <iosfwd>

#include "plugin/registry.hpp"

namespace forgelink::cli {

nlohmann::json toJson(const Error& error);
nlohmann::json toJson(const TokenInfo& token);
nlohmann::json toJson(const Namespace& ns);
nlohmann::json toJson(const Repository& repository);
nlohmann::json toJson(const MergeRequest& merge_request);
nlohmann::json toJson(const plugin::PluginInfo& info);
nlohmann::json toJson(const plugin::LoadRefusal& refusal);

// Pretty-printed with a trailing newline; invalid UTF-8 from a forge is replaced, not thrown.
void printJson(std::ostream& out, const nlohmann::json& value);

}  // namespace forgelink::cli
