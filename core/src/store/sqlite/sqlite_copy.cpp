// The SQLite ends of a store copy (sqlite_copy.hpp).
#include "store/sqlite/sqlite_copy.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

#include "store/sqlite/db.hpp"
#include "store/sqlite/migrations.hpp"

namespace forgelink::store::sqlite {

namespace {

using copy::Row;

// Long enough for a busy host's commit to end; a copy waits for no more than that.
constexpr std::chrono::seconds kBusyTimeout{10};

// What both ends read the same way, on their connection and inside their transaction.
template <class Base>
class SqliteEnd : public Base {
public:
    SqliteEnd(const std::string& path, Transaction::Mode mode)
        : where_("SQLite database " + path), connection_(path, kBusyTimeout) {
        // A target of a newer schema is left as it is: the copy refuses it (store_copy.cpp).
        if (mode == Transaction::Mode::immediate && currentSchemaVersion(connection_) <= latestSchemaVersion())
            migrate(connection_, std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
        transaction_.emplace(connection_, mode);
        // A deferred transaction takes its snapshot at its first read: now.
        (void)tables();
    }

    std::string where() const override { return where_; }
    int schemaVersion() override { return currentSchemaVersion(connection_); }
    std::vector<std::string> tables() override {
        return names(connection_.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"));
    }
    std::vector<std::string> columns(const std::string& table) override {
        auto s = connection_.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
        s.bind(1, table);
        return names(std::move(s));
    }
    std::int64_t count(const std::string& table) override {
        auto s = connection_.prepare("SELECT count(*) FROM " + copy::quotedName(table));
        s.step();
        return s.int64(0);
    }

protected:
    static std::vector<std::string> names(Statement s) {
        std::vector<std::string> out;
        while (s.step()) out.push_back(s.text(0));
        return out;
    }

    std::string where_;
    Connection connection_;
    std::optional<Transaction> transaction_;
};

class SqliteSource final : public SqliteEnd<copy::CopySource> {
public:
    using SqliteEnd::SqliteEnd;

    void read(const std::string& table, const std::vector<std::string>& columns,
              const std::function<void(const std::vector<Row>&)>& take) override {
        auto s = connection_.prepare("SELECT " + copy::columnList(columns) + " FROM " + copy::quotedName(table) +
                                     " ORDER BY rowid");
        std::vector<Row> batch;
        while (s.step()) {
            Row& row = batch.emplace_back();
            for (int c = 0; c < static_cast<int>(columns.size()); ++c) row.push_back(s.optionalText(c));
            if (batch.size() == copy::kBatchRows) {
                take(batch);
                batch.clear();
            }
        }
        if (!batch.empty()) take(batch);
    }
};

class SqliteTarget final : public SqliteEnd<copy::CopyTarget> {
public:
    using SqliteEnd::SqliteEnd;

    void insert(const std::string& table, const std::vector<std::string>& columns, const std::vector<Row>& rows) override {
        // Text bound to an INTEGER column is stored as the integer (the column's affinity).
        auto s = connection_.prepare(copy::insertStatement(table, columns, rows.size(), '?'));
        int index = 0;
        for (const Row& row : rows)
            for (const auto& value : row) s.bind(++index, value);
        s.run();
    }
    void clear(const std::string& table) override { connection_.exec("DELETE FROM " + copy::quotedName(table)); }
    void finish() override { transaction_->commit(); }
};

template <class End, class Base>
Result<std::unique_ptr<Base>> opened(const std::string& path, Transaction::Mode mode) {
    try {
        return std::unique_ptr<Base>(std::make_unique<End>(path, mode));
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, "SQLite database " + path + ": " + e.what(), "database");
    }
}

}  // namespace

Result<std::unique_ptr<copy::CopySource>> openCopySource(const std::string& path) {
    if (!std::filesystem::is_regular_file(path))
        return makeError(ErrorKind::invalid_input, "there is no SQLite database at " + path + " to copy from", "no_database");
    return opened<SqliteSource, copy::CopySource>(path, Transaction::Mode::deferred);
}

Result<std::unique_ptr<copy::CopyTarget>> openCopyTarget(const std::string& path) {
    std::error_code ignored;
    if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty())
        std::filesystem::create_directories(dir, ignored);
    return opened<SqliteTarget, copy::CopyTarget>(path, Transaction::Mode::immediate);
}

}  // namespace forgelink::store::sqlite
