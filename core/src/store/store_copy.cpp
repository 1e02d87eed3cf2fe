// The copy's plan (store_copy.hpp), the same for every pair of backends.
#include "store/store_copy.hpp"

#include <algorithm>
#include <set>

#include "store/migrations.hpp"
#include "store/row_readers.hpp"

namespace forgelink::store::copy {

namespace {

using rows::raise;

// Sealed into the check value of the two keys: nothing secret, opened only to compare.
constexpr std::string_view kKeyCheckText = "forgelink store copy: key check";
constexpr std::string_view kKeyCheckLabel = "store_copy:key_check";

void requireSameKey(const secrets::SecretBox& source_key, const secrets::SecretBox& target_key) {
    if (target_key.open(source_key.seal(kKeyCheckText, kKeyCheckLabel), kKeyCheckLabel).ok()) return;
    raise(ErrorKind::invalid_input,
          "the target's key (id " + target_key.keyId() + ") is not the source's (id " + source_key.keyId() +
              "): secrets are copied sealed and would not open with it. Give the target's configuration the "
              "source's secrets.key_file or secrets.key_env (to change keys, copy first, then run forgelink "
              "rekey on the target)",
          "different_key");
}

void requireLatestSchema(CopyEnd& end) {
    const int version = end.schemaVersion();
    const int latest = latestSchemaVersion();
    if (version > latest)
        raise(ErrorKind::unsupported,
              end.where() + " has schema version " + std::to_string(version) + ", newer than this forgelink knows (" +
                  std::to_string(latest) + "): copy it with the release that migrated it",
              "schema_too_new");
    if (version < latest)
        raise(ErrorKind::unsupported,
              end.where() + " has schema version " + std::to_string(version) + ", older than this forgelink's (" +
                  std::to_string(latest) + "): run forgelink migrate on it first (or copy with the release it is of)",
              "schema_too_old");
}

// The database's tables must be exactly the copied ones (and bookkeeping): a table the copy does
// not know would be left behind.
void requireKnownTables(CopyEnd& end) {
    std::set<std::string> expected;
    for (const auto& t : copiedTables()) expected.emplace(t.name);
    std::set<std::string> found;
    for (auto& name : end.tables())
        if (!isBackendBookkeeping(name)) found.insert(std::move(name));
    for (const auto& name : found)
        if (!expected.count(name))
            raise(ErrorKind::unsupported,
                  end.where() + " has a table " + rows::inQuotes(name) +
                      " that this forgelink's store copy does not know: nothing copied",
                  "unknown_table");
    for (const auto& name : expected)
        if (!found.count(name))
            raise(ErrorKind::unsupported, end.where() + " has no table " + rows::inQuotes(name) + ": nothing copied",
                  "unknown_table");
}

void requireEmpty(CopyTarget& target) {
    std::string filled;
    for (const auto& t : copiedTables()) {
        const std::string name(t.name);
        if (const auto n = target.count(name); n > 0)
            filled += (filled.empty() ? "" : ", ") + name + " (" + std::to_string(n) + (n == 1 ? " row)" : " rows)");
    }
    if (!filled.empty())
        raise(ErrorKind::unsupported,
              target.where() + " is not empty: " + filled +
                  ". store copy writes only into an empty database (new, migrated or not): nothing copied",
              "target_not_empty");
}

std::vector<std::string> sameColumns(CopySource& source, CopyTarget& target, const std::string& table) {
    auto columns = source.columns(table);
    auto theirs = target.columns(table);
    auto sorted = columns;
    std::sort(sorted.begin(), sorted.end());
    std::sort(theirs.begin(), theirs.end());
    if (sorted != theirs)
        raise(ErrorKind::internal,
              "table " + rows::inQuotes(table) + " has other columns in " + target.where() + " than in " + source.where() +
                  " at the same schema version: nothing copied",
              "schema_mismatch");
    return columns;
}

// Every sealed value must name the source's key: one sealed with another key would not open on
// the target either (nor on the source). Checked without opening anything.
void requireSealedWith(const secrets::SecretBox& key, const std::string& table, const std::vector<std::string>& columns,
                       const std::vector<Row>& batch) {
    static constexpr std::string_view kSealed = "_sealed";
    for (std::size_t c = 0; c < columns.size(); ++c) {
        const auto& column = columns[c];
        if (column.size() < kSealed.size() || column.compare(column.size() - kSealed.size(), kSealed.size(), kSealed) != 0)
            continue;
        for (const auto& row : batch) {
            if (!row[c]) continue;
            auto id = secrets::sealedKeyId(*row[c]);
            if (!id.ok() || id.value() != key.keyId())
                raise(ErrorKind::invalid_input,
                      table + "." + column + " holds a value " +
                          (id.ok() ? "sealed with key " + id.value() : std::string("that is not sealed text")) +
                          ", not with the configured key " + key.keyId() + ": nothing copied",
                      "sealed_with_other_key");
        }
    }
}

TableCount copyTable(CopySource& source, CopyTarget& target, const CopiedTable& table, const secrets::SecretBox& key) {
    const std::string name(table.name);
    const auto columns = sameColumns(source, target, name);
    TableCount count{name, source.count(name), 0};
    if (table.derived) target.clear(name);
    std::int64_t read = 0;
    source.read(name, columns, [&](const std::vector<Row>& batch) {
        requireSealedWith(key, name, columns, batch);
        target.insert(name, columns, batch);
        read += static_cast<std::int64_t>(batch.size());
    });
    count.target_rows = target.count(name);
    if (read != count.source_rows || count.target_rows != count.source_rows)
        raise(ErrorKind::internal,
              "table " + rows::inQuotes(name) + ": " + std::to_string(count.source_rows) + " rows in the source's snapshot, " +
                  std::to_string(read) + " read, " + std::to_string(count.target_rows) +
                  " in the target: nothing copied",
              "count_mismatch");
    return count;
}

template <class End>
std::unique_ptr<End> openOrRaise(const std::function<Result<std::unique_ptr<End>>()>& open) {
    auto opened = open();
    if (!opened) throw rows::ErrorException{opened.error()};
    return std::move(opened).value();
}

}  // namespace

const std::vector<CopiedTable>& copiedTables() {
    static const std::vector<CopiedTable> tables = {
        // accounts: users, their forge identities and login tokens, and (transient, but copied so
        // nobody is signed out and a login in flight completes: store copy's README section) the
        // login sessions and OAuth states.
        {"users"},
        {"user_identities"},
        {"user_tokens"},
        {"sessions"},
        {"oauth_states"},
        // teams and their settings
        {"teams"},
        {"team_members"},
        {"provider_settings"},
        {"provider_rotations"},
        {"team_refresh_tokens"},
        {"team_notifications"},
        // projects, their links, and the per-team version of their listing (written by triggers
        // on teams, projects and links: the source's versions replace what they wrote)
        {"projects"},
        {"repository_links"},
        {"project_list_versions", true},
        {"api_tokens"},
        // builds and the feedback outbox: tasks with their state, attempts and leases (a lease of
        // a source host expires on the target like any other), paused providers, the newest
        // delivery per key, the comment-id memory
        {"builds"},
        {"feedback_tasks"},
        {"feedback_pauses"},
        {"feedback_delivered"},
        {"mr_comments"},
        // notices (with their delivery state) and the audit log
        {"notices"},
        {"audit_events"},
    };
    return tables;
}

bool isBackendBookkeeping(std::string_view table) {
    return table == "schema_migrations" || table == "forgelink_schema_migrations" || table.rfind("sqlite_", 0) == 0;
}

Result<CopyReport> copyStore(const SourceOpener& open_source, const TargetOpener& open_target,
                             const secrets::SecretBox& source_key, const secrets::SecretBox& target_key,
                             const std::function<void(const TableCount&)>& copied) {
    try {
        requireSameKey(source_key, target_key);
        auto source = openOrRaise(open_source);
        requireLatestSchema(*source);
        requireKnownTables(*source);
        auto target = openOrRaise(open_target);
        requireLatestSchema(*target);
        requireKnownTables(*target);
        requireEmpty(*target);
        CopyReport report{source->where(), target->where(), latestSchemaVersion(), source_key.keyId(), {}};
        for (const auto& table : copiedTables()) {
            report.tables.push_back(copyTable(*source, *target, table, source_key));
            if (copied) copied(report.tables.back());
        }
        target->finish();
        return report;
    } catch (const rows::ErrorException& e) {
        return e.error;
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, std::string("store copy: ") + e.what());
    }
}

}  // namespace forgelink::store::copy
