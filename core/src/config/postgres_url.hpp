// Checks store.url, a libpq connection string or URI, with libpq's own parser (PQconninfoParse),
// so the loader accepts exactly what the PostgreSQL store will connect with.
#pragma once

#include <string>

namespace forgelink::config {

// What is wrong with `url`, or "" when libpq accepts it and it carries no password. The answer
// never repeats a value from `url`: only libpq's option names, so a misplaced secret is not echoed.
std::string postgresUrlProblem(const std::string& url);

}  // namespace forgelink::config
