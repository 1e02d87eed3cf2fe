// forgelink store copy: every row of one configured store copied into another, empty one
// (store/store_copy.hpp), e.g. a running SQLite installation moved to PostgreSQL.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/store_opening.hpp"
#include "secrets/key_file.hpp"
#include "store/postgres/pg_settings.hpp"
#include "store/postgres/postgres_copy.hpp"
#include "store/sqlite/sqlite_copy.hpp"
#include "store/store_copy.hpp"

namespace forgelink::cli {

namespace {

template <class End>
using Opener = std::function<Result<std::unique_ptr<End>>()>;

// The source's or target's end of the copy for `store`, by its driver.
template <class End, class SqliteOpen, class PostgresOpen>
Opener<End> endOf(const config::StoreConfig& store, SqliteOpen sqlite, PostgresOpen postgres) {
    return [&store, sqlite, postgres]() -> Result<std::unique_ptr<End>> {
        if (store.driver != "postgres") return sqlite(store.path);
        auto options = store::pg::poolOptionsFrom(store, processEnvironment);
        if (!options) return options.error();
        return postgres(options->connect);
    };
}

Result<secrets::SecretBox> keyOf(const config::Config& config, const std::string& which) {
    auto key = secrets::loadKey({config.secrets.key_file, config.secrets.key_env});
    if (!key) return makeError(key.error().kind, "the " + which + "'s key: " + key.error().message, key.error().code);
    return key;
}

// One line per table as it is written: its name, its rows in the source's snapshot and in the target.
class CountTable {
public:
    CountTable() {
        for (const auto& t : store::copy::copiedTables()) width_ = std::max(width_, t.name.size());
        line("table", "source", "target");
    }
    void add(const store::copy::TableCount& t) {
        line(t.table, std::to_string(t.source_rows), std::to_string(t.target_rows));
        rows_ += t.target_rows;
    }
    std::int64_t rows() const { return rows_; }

private:
    void line(const std::string& name, const std::string& source, const std::string& target) const {
        std::cout << std::left << std::setw(static_cast<int>(width_)) << name << "  " << std::right << std::setw(10)
                  << source << "  " << std::setw(10) << target << std::endl;
    }
    std::size_t width_ = 5;
    std::int64_t rows_ = 0;
};

}  // namespace

int runStoreCopy(const Args& args) {
    const CommandHelp help{
        "store copy", "--from FILE --to FILE",
        "Copies every row of the store configured in --from into the store configured in --to, of either\n"
        "driver (SQLite to PostgreSQL moves an installation; PostgreSQL to SQLite and SQLite to SQLite\n"
        "work too): users, sessions, teams, credentials, projects, builds, the feedback outbox with its\n"
        "leases and pauses, notices, the audit log, API tokens. Ids stay the same; secrets are copied\n"
        "sealed, so both files must name the same key (refused otherwise, before anything is opened).\n"
        "The source is read in one snapshot while its hosts keep running (what they write after it is\n"
        "not copied: stop them first for an exact move). The target must be empty; it is migrated to\n"
        "this release's schema and written in one transaction: on any failure it stays empty. Prints\n"
        "each table's rows in the source's snapshot and in the target. Exit codes: 0 copied, 1 bad\n"
        "configuration or a different key, 3 refused (target not empty, a schema older or newer than\n"
        "this forgelink's, a table it does not know), 4 a database unreachable or failing (nothing\n"
        "copied), 5 the deadline passed (nothing copied; a large store may need --deadline 0).",
        "  forgelink store copy --from /etc/forgelink/forgelink.yaml --to /etc/forgelink/forgelink-pg.yaml"};
    po::options_description options("Options");
    options.add_options()("from", po::value<std::string>()->required()->value_name("FILE"),
                          "the configuration of the store to copy (its store and secrets sections)")(
        "to", po::value<std::string>()->required()->value_name("FILE"),
        "the configuration of the empty store to copy into (the same key)");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;
    auto from = loadConfigOrReport(values["from"].as<std::string>());
    if (!from) return exit_invalid_input;
    auto to = loadConfigOrReport(values["to"].as<std::string>());
    if (!to) return exit_invalid_input;
    auto fail = [](const Error& e) {
        std::cerr << "forgelink store copy: " << e.message << "\n";
        return exitCodeFor(e.kind);
    };
    auto source_key = keyOf(*from, "source");
    if (!source_key) return fail(source_key.error());
    auto target_key = keyOf(*to, "target");
    if (!target_key) return fail(target_key.error());
    std::cout << "copying " << describeStore(from->store) << " to " << describeStore(to->store) << std::endl;
    std::optional<CountTable> counts;
    auto report = store::copy::copyStore(
        endOf<store::copy::CopySource>(from->store, store::sqlite::openCopySource, store::postgres::openCopySource),
        endOf<store::copy::CopyTarget>(to->store, store::sqlite::openCopyTarget, store::postgres::openCopyTarget),
        source_key.value(), target_key.value(), [&](const store::copy::TableCount& t) {
            if (!counts) counts.emplace();
            counts->add(t);
        });
    if (!report) {
        const int failed = fail(report.error());
        if (counts) std::cerr << "forgelink store copy: stopped: the target's transaction is rolled back, it holds none of it\n";
        return failed;
    }
    std::cout << "copied " << (counts ? counts->rows() : 0) << " rows in " << report->tables.size() << " tables from "
              << report->source << " to " << report->target << " (schema version " << report->schema_version
              << "); every table's count matches; secrets stay sealed with key " << report->key_id << "\n";
    return exit_ok;
}

}  // namespace forgelink::cli
