#include "store/postgres/pg_migrations.hpp"

#include "store/migrations.hpp"
#include "store/postgres/pg_transaction.hpp"

namespace forgelink::store::pg {

namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS forgelink_schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

Result<void> checkList(const std::vector<PgMigration>& migrations) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1)
            return makeError(ErrorKind::internal, "the PostgreSQL migration list is out of order: entry " +
                                                      std::to_string(i + 1) + " has version " +
                                                      std::to_string(migrations[i].version));
    }
    return {};
}

// The recorded versions and names, checked against the list. Needs the table.
Result<int> recordedVersion(PgConnection& conn, const std::vector<PgMigration>& migrations) {
    auto rows = conn.exec("SELECT version, name FROM forgelink_schema_migrations ORDER BY version");
    if (!rows.ok()) return rows.error();
    int version = 0;
    for (int row = 0; row < rows->rows(); ++row) {
        const int recorded = static_cast<int>(rows->integer(row, 0).value_or(0));
        const std::string name(rows->text(row, 1));
        if (recorded > static_cast<int>(migrations.size())) {
            return makeError(ErrorKind::unsupported,
                             "the database's schema is at version " + std::to_string(rows->integer(rows->rows() - 1, 0).value_or(0)) +
                                 " on " + conn.where() + ", newer than this forgelink knows (" +
                                 std::to_string(migrations.size()) +
                                 "): a newer release migrated it; run that release, or restore a backup taken "
                                 "before the upgrade",
                             "schema_too_new");
        }
        if (recorded < 1 || migrations[recorded - 1].name != name) {
            return makeError(ErrorKind::unsupported,
                             "migration " + std::to_string(recorded) + " recorded on " + conn.where() + " is '" + name +
                                 "', but this forgelink's migration " + std::to_string(recorded) + " is '" +
                                 (recorded >= 1 ? migrations[recorded - 1].name : std::string("(none)")) +
                                 "': the database was migrated by a different list",
                             "schema_mismatch");
        }
        version = std::max(version, recorded);
    }
    if (version != rows->rows())
        return makeError(ErrorKind::unsupported, "the migrations recorded on " + conn.where() +
                                                     " have gaps (versions 1 to " + std::to_string(version) + ", " +
                                                     std::to_string(rows->rows()) + " rows)",
                         "schema_mismatch");
    return version;
}

// The session lock and the lifted statement timeout, undone on every way out.
class MigrationSession {
public:
    explicit MigrationSession(PgConnection& conn) : conn_(conn) {}
    Result<void> begin() {
        auto timeout = conn_.exec("SELECT current_setting('statement_timeout')");
        if (!timeout.ok()) return timeout.error();
        saved_timeout_ = std::string(timeout->text(0, 0));
        auto lifted = conn_.exec("SELECT set_config('statement_timeout', '0', false)");
        if (!lifted.ok()) return lifted.error();
        restore_ = true;
        auto locked = conn_.exec("SELECT pg_advisory_lock($1)", {kMigrationLockKey});
        if (!locked.ok()) return locked.error();
        locked_ = true;
        return {};
    }
    ~MigrationSession() {
        if (conn_.broken()) return;  // the server ended the session: the lock went with it
        if (locked_) (void)conn_.exec("SELECT pg_advisory_unlock($1)", {kMigrationLockKey});
        if (restore_) (void)conn_.exec("SELECT set_config('statement_timeout', $1, false)", {saved_timeout_});
    }

private:
    PgConnection& conn_;
    std::string saved_timeout_;
    bool restore_ = false;
    bool locked_ = false;
};

}  // namespace

Result<std::vector<PgMigration>> schemaMigrations() {
    std::vector<PgMigration> list;
    for (const auto& m : migrations()) {
        if (m.postgres.empty())
            return makeError(ErrorKind::internal, "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                                                      ") has no PostgreSQL text");
        list.push_back({m.version, std::string(m.name), {m.postgres}});
    }
    return list;
}

Result<MigrationReport> applyMigrations(PgConnection& conn, const std::vector<PgMigration>& migrations) {
    if (auto listed = checkList(migrations); !listed.ok()) return listed.error();
    MigrationSession session(conn);
    if (auto begun = session.begin(); !begun.ok()) return begun.error();
    if (auto created = conn.exec(kCreateTable); !created.ok()) return created.error();
    auto current = recordedVersion(conn, migrations);
    if (!current.ok()) return current.error();
    MigrationReport report;
    report.from_version = report.to_version = current.value();
    for (const auto& migration : migrations) {
        if (migration.version <= report.to_version) continue;
        auto applied = inTransaction(conn, [&](PgConnection& tx) -> Result<void> {
            for (const auto& statement : migration.statements)
                if (auto done = tx.execScript(statement); !done.ok()) return done.error();
            auto recorded = tx.exec("INSERT INTO forgelink_schema_migrations (version, name) VALUES ($1, $2)",
                                    {migration.version, migration.name});
            if (!recorded.ok()) return recorded.error();
            return {};
        });
        if (!applied.ok()) {
            Error error = applied.error();
            error.message = "migration " + std::to_string(migration.version) + " (" + migration.name + "): " +
                            error.message + "; nothing of it was applied";
            return error;
        }
        report.applied.push_back(migration.version);
        report.to_version = migration.version;
    }
    return report;
}

Result<int> checkSchema(PgConnection& conn, const std::vector<PgMigration>& migrations) {
    if (auto listed = checkList(migrations); !listed.ok()) return listed.error();
    auto exists = conn.exec("SELECT to_regclass('forgelink_schema_migrations') IS NOT NULL");
    if (!exists.ok()) return exists.error();
    if (exists->text(0, 0) != "t") return 0;
    return recordedVersion(conn, migrations);
}

}  // namespace forgelink::store::pg
