// The PostgreSQL ends of a store copy (postgres_copy.hpp).
#include "store/postgres/postgres_copy.hpp"

#include "store/postgres/pg_migrations.hpp"
#include "store/row_readers.hpp"

namespace forgelink::store::postgres {

namespace {

using copy::Row;
using pg::PgConnection;
using pg::PgParams;
using pg::PgResult;

// The connection's failure (it names the server; never a value), raised.
PgResult exec(PgConnection& c, std::string_view sql, const PgParams& params = {}) {
    auto result = c.exec(sql, params);
    if (!result) throw rows::ErrorException{result.error()};
    return std::move(result).value();
}

std::vector<std::string> texts(const PgResult& result) {
    std::vector<std::string> out;
    for (int r = 0; r < result.rows(); ++r) out.emplace_back(result.text(r, 0));
    return out;
}

// `value` as COPY's text format writes it: backslash, tab, newline and carriage return escaped.
void appendCopyText(std::string& out, std::string_view value) {
    for (const char ch : value) {
        switch (ch) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += ch;
        }
    }
}

// What both ends read the same way, on their connection and inside their transaction.
template <class Base>
class PgEnd : public Base {
public:
    explicit PgEnd(std::unique_ptr<PgConnection> connection) : c_(std::move(connection)) {}

    std::string where() const override { return c_->where(); }
    int schemaVersion() override {
        auto list = pg::schemaMigrations();
        if (!list) throw rows::ErrorException{list.error()};
        auto version = pg::checkSchema(*c_, list.value());
        if (!version) throw rows::ErrorException{version.error()};
        return version.value();
    }
    std::vector<std::string> tables() override {
        return texts(exec(*c_,
                          "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() "
                          "AND table_type = 'BASE TABLE' ORDER BY 1"));
    }
    std::vector<std::string> columns(const std::string& table) override {
        return texts(exec(*c_,
                          "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() "
                          "AND table_name = $1 ORDER BY ordinal_position",
                          {table}));
    }
    std::int64_t count(const std::string& table) override {
        return exec(*c_, "SELECT count(*) FROM " + copy::quotedName(table)).integer(0, 0).value_or(-1);
    }

protected:
    // The whole copy may take longer than the hosts' statement_timeout: none for this session.
    void begin(std::string_view statement) {
        exec(*c_, "SET statement_timeout = 0");
        exec(*c_, statement);
    }

    std::unique_ptr<PgConnection> c_;
};

class PgSource final : public PgEnd<copy::CopySource> {
public:
    explicit PgSource(std::unique_ptr<PgConnection> connection) : PgEnd(std::move(connection)) {
        begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        // A REPEATABLE READ transaction takes its snapshot at its first statement: now.
        (void)tables();
    }

    void read(const std::string& table, const std::vector<std::string>& columns,
              const std::function<void(const std::vector<Row>&)>& take) override {
        // Ordered by the first column: the id, or the first of the primary key's columns.
        exec(*c_, "DECLARE forgelink_copy NO SCROLL CURSOR FOR SELECT " + copy::columnList(columns) + " FROM " +
                      copy::quotedName(table) + " ORDER BY 1");
        const std::string fetch = "FETCH " + std::to_string(copy::kBatchRows) + " FROM forgelink_copy";
        for (;;) {
            const PgResult result = exec(*c_, fetch);
            if (result.rows() == 0) break;
            std::vector<Row> batch(static_cast<std::size_t>(result.rows()));
            for (int r = 0; r < result.rows(); ++r)
                for (int c = 0; c < result.columns(); ++c) batch[r].push_back(result.optionalText(r, c));
            take(batch);
        }
        exec(*c_, "CLOSE forgelink_copy");
    }
};

class PgTarget final : public PgEnd<copy::CopyTarget> {
public:
    explicit PgTarget(std::unique_ptr<PgConnection> connection) : PgEnd(std::move(connection)) {
        begin("BEGIN");
        disableTriggers();
    }

    void insert(const std::string& table, const std::vector<std::string>& columns, const std::vector<Row>& rows) override {
        // COPY's text format: the server reads each value as its column's type (text given for a
        // bigint is the number), as INSERT would, many times faster.
        std::string data;
        for (const Row& row : rows) {
            for (std::size_t c = 0; c < row.size(); ++c) {
                if (c > 0) data += '\t';
                if (row[c]) appendCopyText(data, *row[c]);
                else data += "\\N";
            }
            data += '\n';
        }
        auto copied = c_->copyIn("COPY " + copy::quotedName(table) + " (" + copy::columnList(columns) + ") FROM STDIN", data);
        if (!copied) throw rows::ErrorException{copied.error()};
    }
    void clear(const std::string& table) override { exec(*c_, "DELETE FROM " + copy::quotedName(table)); }
    void finish() override {
        for (const auto& table : triggered_) exec(*c_, "ALTER TABLE " + copy::quotedName(table) + " ENABLE TRIGGER USER");
        // Identity columns hand out max(id) + 1 next: the copied ids are never given again.
        const PgResult identities = exec(*c_,
                                         "SELECT table_name::text, column_name::text FROM information_schema.columns "
                                         "WHERE table_schema = current_schema() AND is_identity = 'YES'");
        for (int r = 0; r < identities.rows(); ++r) {
            const std::string table = copy::quotedName(identities.text(r, 0));
            const std::string column = copy::quotedName(identities.text(r, 1));
            exec(*c_, "SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(" + column + ") FROM " + table +
                          "), 0) + 1, false)",
                 {table, std::string(identities.text(r, 1))});
        }
        exec(*c_, "COMMIT");
    }

private:
    // The schema's triggers keep derived rows as rows are written one by one (the per-team list
    // versions): the copy brings those rows itself, and the triggers would update one team's row
    // once per project (quadratic: 20,000 projects of one team took 8 s). Off while copying where
    // this role may turn them off (it owns the tables: it migrated them), back on in finish(),
    // before the commit; the transaction undoes both if it fails. Kept on otherwise: slower, same.
    void disableTriggers() {
        const auto tables = texts(exec(*c_,
                                       "SELECT DISTINCT event_object_table::text FROM information_schema.triggers "
                                       "WHERE trigger_schema = current_schema() ORDER BY 1"));
        exec(*c_, "SAVEPOINT forgelink_copy_triggers");
        try {
            for (const auto& table : tables) exec(*c_, "ALTER TABLE " + copy::quotedName(table) + " DISABLE TRIGGER USER");
            exec(*c_, "RELEASE SAVEPOINT forgelink_copy_triggers");
            triggered_ = tables;
        } catch (const rows::ErrorException&) {
            exec(*c_, "ROLLBACK TO SAVEPOINT forgelink_copy_triggers");
        }
    }

    std::vector<std::string> triggered_;  // tables whose triggers are off until finish()
};

template <class End, class Base>
Result<std::unique_ptr<Base>> opened(std::unique_ptr<PgConnection> connection) {
    try {
        return std::unique_ptr<Base>(std::make_unique<End>(std::move(connection)));
    } catch (const rows::ErrorException& e) {
        return e.error;
    }
}

}  // namespace

Result<std::unique_ptr<copy::CopySource>> openCopySource(const pg::PgConnectOptions& options) {
    auto connection = PgConnection::open(options);
    if (!connection) return connection.error();
    return opened<PgSource, copy::CopySource>(std::move(connection).value());
}

Result<std::unique_ptr<copy::CopyTarget>> openCopyTarget(const pg::PgConnectOptions& options) {
    auto connection = PgConnection::open(options);
    if (!connection) return connection.error();
    auto list = pg::schemaMigrations();
    if (!list) return list.error();
    if (auto applied = pg::applyMigrations(*connection.value(), list.value()); !applied) return applied.error();
    return opened<PgTarget, copy::CopyTarget>(std::move(connection).value());
}

}  // namespace forgelink::store::postgres
