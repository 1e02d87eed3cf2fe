// forgelink migrate: applies the schema's migrations (store/migrations.hpp) to the configured store,
// SQLite or PostgreSQL, or with --check says what is missing and changes nothing.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "store/migrations.hpp"
#include "cli/store_opening.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_settings.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/migrations.hpp"

namespace forgelink::cli {

namespace {

// Where the schema stands and what this run did, as one line each.
struct Outcome {
    std::string where;
    int from = 0;
    int to = 0;
};

int report(const Outcome& o, bool check) {
    const int latest = store::latestSchemaVersion();
    if (check) {
        std::cout << o.where << ": schema version " << o.from << " of " << latest;
        if (o.from == latest) {
            std::cout << ", up to date\n";
            return exit_ok;
        }
        std::cout << ": migrations " << o.from + 1 << " to " << latest
                  << " are missing; run forgelink migrate without --check to apply them\n";
        return exit_invalid_input;
    }
    if (o.from == o.to) {
        std::cout << o.where << ": schema version " << o.to << ", up to date; nothing applied\n";
    } else {
        std::cout << o.where << ": applied migrations " << o.from + 1 << " to " << o.to << "; schema version " << o.to
                  << "\n";
    }
    return exit_ok;
}

Result<Outcome> migrateSqlite(const config::StoreConfig& store, bool check) {
    Outcome o;
    o.where = "SQLite at " + store.path;
    // --check changes nothing: not even an empty file for a database that is not there yet.
    if (check && !std::filesystem::exists(store.path)) return o;
    try {
        if (const auto dir = std::filesystem::path(store.path).parent_path(); !dir.empty())
            std::filesystem::create_directories(dir);
        store::sqlite::Connection connection(store.path, std::chrono::seconds(10));
        o.from = store::sqlite::currentSchemaVersion(connection);
        if (o.from > store::latestSchemaVersion())
            return makeError(ErrorKind::unsupported,
                             o.where + " has schema version " + std::to_string(o.from) + ", newer than this forgelink knows (" +
                                 std::to_string(store::latestSchemaVersion()) +
                                 "): a newer release migrated it; run that release, or restore a backup taken before the upgrade",
                             "schema_too_new");
        o.to = o.from;
        if (check) return o;
        store::sqlite::migrate(connection, std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
        o.to = store::sqlite::currentSchemaVersion(connection);
        return o;
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, o.where + ": " + e.what());
    }
}

Result<Outcome> migratePostgres(const config::StoreConfig& store, bool check) {
    auto options = store::pg::poolOptionsFrom(store, processEnvironment);
    if (!options.ok()) return options.error();
    auto connection = store::pg::PgConnection::open(options->connect);
    if (!connection.ok()) return connection.error();
    auto& conn = *connection.value();
    auto list = store::pg::schemaMigrations();
    if (!list.ok()) return list.error();
    Outcome o;
    o.where = conn.where();
    if (check) {
        auto version = store::pg::checkSchema(conn, list.value());
        if (!version.ok()) return version.error();
        o.from = o.to = version.value();
        return o;
    }
    auto applied = store::pg::applyMigrations(conn, list.value());
    if (!applied.ok()) return applied.error();
    o.from = applied->from_version;
    o.to = applied->to_version;
    return o;
}

}  // namespace

int runMigrate(const Args& args) {
    const CommandHelp help{
        "migrate", "--config FILE [--check]",
        "Applies the schema's migrations to the configured store (store.driver sqlite: the file at\n"
        "store.path, created if missing; postgres: the database of store.url), each once and in order,\n"
        "each in its own transaction: interrupted, it resumes where it stopped. Hosts and migrate runs\n"
        "starting at once apply each migration once (PostgreSQL: an advisory lock). A schema newer than\n"
        "this forgelink knows is refused (exit 3). With --check it changes nothing and says which\n"
        "migrations are missing: exit 0 when none, 1 otherwise. On SQLite, serve also applies what is\n"
        "missing when it starts.",
        "  forgelink migrate --config /etc/forgelink/forgelink.yaml --check\n"
        "  forgelink migrate --config /etc/forgelink/forgelink.yaml"};
    po::options_description options("Options");
    options.add_options()("config,c", po::value<std::string>()->required()->value_name("FILE"), "the configuration file")(
        "check", po::bool_switch(), "only say which migrations are missing; change nothing");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;
    auto config = loadConfigOrReport(values["config"].as<std::string>());
    if (!config) return exit_invalid_input;
    const bool check = values["check"].as<bool>();
    auto outcome = config->store.driver == "postgres" ? migratePostgres(config->store, check)
                                                      : migrateSqlite(config->store, check);
    if (!outcome.ok()) {
        std::cerr << "forgelink migrate: " << outcome.error().message << "\n";
        return exitCodeFor(outcome.error().kind);
    }
    return report(outcome.value(), check);
}

}  // namespace forgelink::cli
