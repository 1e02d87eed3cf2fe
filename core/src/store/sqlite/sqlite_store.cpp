#include "store/sqlite/sqlite_store.hpp"
#include "store/seal_labels.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "secrets/digest.hpp"
#include "store/sqlite/migrations.hpp"

namespace forgelink::store {

using sqlite::Connection;
using sqlite::SqliteError;
using sqlite::Statement;
using sqlite::Transaction;
using nlohmann::json;

namespace {

// An Error raised deep inside a transaction; unwinding rolls the transaction back.
struct ErrorException {
    Error error;
};

[[noreturn]] void raise(ErrorKind kind, std::string message, std::string code = {}) {
    throw ErrorException{makeError(kind, std::move(message), std::move(code))};
}

Error mapSqliteError(std::string_view what, const SqliteError& e) {
    const std::string prefix = std::string(what) + ": ";
    switch (e.extendedCode()) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return makeError(ErrorKind::conflict, prefix + "already exists (" + e.what() + ")", "already_exists");
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return makeError(ErrorKind::invalid_input, prefix + "refers to a team, user, project or build that does not exist",
                             "missing_reference");
        case SQLITE_CONSTRAINT_CHECK:
        case SQLITE_CONSTRAINT_NOTNULL:
            return makeError(ErrorKind::invalid_input, prefix + e.what(), "invalid_value");
        default:
            break;
    }
    if (e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED) {
        return makeError(ErrorKind::transient, prefix + "the database stayed locked by another writer; retry", "busy");
    }
    return makeError(ErrorKind::internal, prefix + e.what(), "database");
}

// Runs `body`, turning every failure into an Error that says what was being done.
template <class F>
auto guarded(std::string_view what, F&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const ErrorException& e) {
        return e.error;
    } catch (const SqliteError& e) {
        return mapSqliteError(what, e);
    } catch (const json::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": stored JSON is damaged: " + e.what(), "database");
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": " + e.what(), "database");
    }
}

void requireText(std::string_view value, std::string_view field) {
    if (value.empty()) raise(ErrorKind::invalid_input, std::string(field) + " must not be empty", "missing_field");
}

void requireId(std::int64_t id, std::string_view field) {
    if (id <= 0) raise(ErrorKind::invalid_input, std::string(field) + " must be a positive id, got " + std::to_string(id), "bad_id");
}

std::string inQuotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// ---- enum text -------------------------------------------------------------------------------

TokenKind parseTokenKind(std::string_view text) {
    for (auto kind : {TokenKind::personal, TokenKind::project, TokenKind::group, TokenKind::oauth, TokenKind::app}) {
        if (toString(kind) == text) return kind;
    }
    return TokenKind::unknown;
}

FeedbackKind parseFeedbackKind(std::string_view text) {
    return text == "comment" ? FeedbackKind::comment : FeedbackKind::status;
}

TaskState parseTaskState(std::string_view text) {
    for (auto state : {TaskState::pending, TaskState::in_flight, TaskState::done, TaskState::failed, TaskState::paused,
                       TaskState::superseded}) {
        if (toString(state) == text) return state;
    }
    raise(ErrorKind::internal, "stored task state " + inQuotes(text) + " is unknown", "database");
}

// ---- JSON columns ----------------------------------------------------------------------------

std::string identityJson(const Identity& identity) {
    return json{{"id", identity.id},
                {"username", identity.username},
                {"name", identity.name},
                {"web_url", identity.web_url},
                {"bot", identity.bot}}
        .dump();
}

Identity parseIdentity(const std::string& text) {
    const json j = json::parse(text);
    Identity identity;
    identity.id = j.value("id", "");
    identity.username = j.value("username", "");
    identity.name = j.value("name", "");
    identity.web_url = j.value("web_url", "");
    identity.bot = j.value("bot", false);
    return identity;
}

std::string warningsJson(const std::vector<TokenWarning>& warnings) {
    json array = json::array();
    for (const auto& w : warnings) array.push_back({{"code", w.code}, {"message", w.message}});
    return array.dump();
}

std::vector<TokenWarning> parseWarnings(const std::string& text) {
    std::vector<TokenWarning> warnings;
    for (const auto& item : json::parse(text)) warnings.push_back({item.value("code", ""), item.value("message", "")});
    return warnings;
}

std::string statsJson(const BuildStats& stats) {
    return json{{"changed", stats.changed},     {"added", stats.added},
                {"removed", stats.removed},     {"failures", stats.failures},
                {"unchanged", stats.unchanged}, {"retry_failures", stats.retry_failures},
                {"ignored", stats.ignored}}
        .dump();
}

BuildStats parseStats(const std::string& text) {
    const json j = json::parse(text);
    return BuildStats{j.value("changed", std::int64_t{0}), j.value("added", std::int64_t{0}),
                      j.value("removed", std::int64_t{0}), j.value("failures", std::int64_t{0}),
                      j.value("unchanged", std::int64_t{0}), j.value("retry_failures", std::int64_t{0}),
                      j.value("ignored", std::int64_t{0})};
}

// ---- sealed columns: the associated data names the row and column ----------------------------

std::string noCredential(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return "team " + std::to_string(team_id) + " has no " + std::string(provider) + " credential named '" +
           std::string(credential) + "'";
}

std::string codeVerifierLabel(std::string_view state) {
    return "oauth_state:" + std::string(state) + ":code_verifier";
}

std::string openOrRaise(const secrets::SecretBox& box, std::string_view sealed, std::string_view label) {
    auto opened = box.open(sealed, label);
    if (!opened) throw ErrorException{opened.error()};
    return std::move(opened).value();
}

// ---- the coalescing key ----------------------------------------------------------------------

// Length-prefixed so no choice of field values can make two different keys collide.
std::string coalesceKey(const FeedbackKey& key) {
    std::string out;
    for (std::string_view part : {std::string_view(key.provider), std::string_view(key.instance),
                                  std::string_view(key.repository_id), std::string_view(key.commit_sha),
                                  std::string_view(key.context), toString(key.kind), std::string_view(key.mr_number)}) {
        out += std::to_string(part.size());
        out += ':';
        out += part;
        out += '|';
    }
    return out;
}

// ---- row readers (column lists and readers kept side by side) --------------------------------

constexpr std::string_view kUserColumns = "id, provider, instance, forge_user_id, username, name, created_at";
User readUser(const Statement& s) {
    return User{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), fromUnixMillis(s.int64(6))};
}

constexpr std::string_view kIdentityColumns = "user_id, provider, instance, forge_user_id, username, name, linked_at";
UserIdentity readIdentity(const Statement& s) {
    return UserIdentity{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), fromUnixMillis(s.int64(6))};
}

constexpr std::string_view kTeamColumns = "id, slug, name, created_at";
Team readTeam(const Statement& s) { return Team{s.int64(0), s.text(1), s.text(2), fromUnixMillis(s.int64(3))}; }

constexpr std::string_view kMemberSelect =
    "SELECT m.team_id, m.user_id, m.role, u.username, u.name FROM team_members m JOIN users u ON u.id = m.user_id ";
TeamMember readMember(const Statement& s) {
    return TeamMember{s.int64(0), s.int64(1), parseTeamRole(s.text(2)).value_or(TeamRole::member), s.text(3), s.text(4)};
}

constexpr std::string_view kApiTokenColumns =
    "id, team_id, project_id, name, role, lookup_key, secret_digest, created_by, created_at, expires_at, last_used_at";
ApiToken readApiToken(const Statement& s) {
    ApiToken t;
    t.id = s.int64(0);
    t.team_id = s.int64(1);
    t.project_id = s.optionalInt64(2).value_or(0);
    t.name = s.text(3);
    const std::string role = s.text(4);
    auto parsed = parseApiTokenRole(role);
    if (!parsed) raise(ErrorKind::internal, "stored API token role " + inQuotes(role) + " is unknown", "database");
    t.role = *parsed;
    t.lookup_key = s.text(5);
    t.secret_digest = s.text(6);
    t.created_by = s.text(7);
    t.created_at = fromUnixMillis(s.int64(8));
    if (auto at = s.optionalInt64(9)) t.expires_at = fromUnixMillis(*at);
    if (auto at = s.optionalInt64(10)) t.last_used_at = fromUnixMillis(*at);
    return t;
}

constexpr std::string_view kAuditColumns =
    "id, team_id, at, actor_kind, actor_user_id, actor_token_id, actor_name, client_address, action, target, details";
ActorKind parseActorKind(std::string_view text) {
    for (auto kind : {ActorKind::user, ActorKind::token, ActorKind::operator_token, ActorKind::system})
        if (toString(kind) == text) return kind;
    raise(ErrorKind::internal, "stored audit actor kind " + inQuotes(text) + " is unknown", "database");
}
AuditEvent readAuditEvent(const Statement& s) {
    AuditEvent e;
    e.id = s.int64(0);
    e.team_id = s.int64(1);
    e.at = fromUnixMillis(s.int64(2));
    e.actor.kind = parseActorKind(s.text(3));
    e.actor.user_id = s.optionalInt64(4).value_or(0);
    e.actor.token_id = s.optionalInt64(5).value_or(0);
    e.actor.name = s.text(6);
    e.client_address = s.text(7);
    e.action = s.text(8);
    e.target = s.text(9);
    e.details = json::parse(s.text(10));
    return e;
}

constexpr std::string_view kSettingsColumns =
    "team_id, provider, base_url, instance, token_last4, kind, identity, scopes, expires_at, warnings, status, "
    "invalid_reason, invalid_notified_at, updated_at, access, checked_at, next_check_at, name";

std::string accessJson(const ProviderSettingsInput& in) {
    json access = json::object();
    if (in.role) access["role"] = std::string(toString(*in.role));
    if (!in.role_label.empty()) access["role_label"] = in.role_label;
    if (in.bound_to) access["bound_to"] = {{"kind", in.bound_to->kind}, {"id", in.bound_to->id}, {"full_path", in.bound_to->full_path}};
    return access.dump();
}

void readAccess(const std::string& text, ProviderSettings& p) {
    const json access = json::parse(text);
    if (access.contains("role"))
        for (auto r : {Role::none, Role::read, Role::triage, Role::write, Role::maintain, Role::admin})
            if (toString(r) == access["role"].get<std::string>()) p.role = r;
    p.role_label = access.value("role_label", "");
    if (access.contains("bound_to"))
        p.bound_to = ResourceRef{access["bound_to"].value("kind", ""), access["bound_to"].value("id", ""),
                                 access["bound_to"].value("full_path", "")};
}

ProviderSettings readSettings(const Statement& s) {
    ProviderSettings p;
    p.team_id = s.int64(0);
    p.provider = s.text(1);
    p.base_url = s.text(2);
    p.instance = s.text(3);
    p.token_last4 = s.text(4);
    p.kind = parseTokenKind(s.text(5));
    p.identity = parseIdentity(s.text(6));
    p.scopes = json::parse(s.text(7)).get<std::vector<std::string>>();
    p.expires_at = s.optionalText(8);
    p.warnings = parseWarnings(s.text(9));
    p.status = s.text(10) == "invalid" ? ProviderStatus::invalid : ProviderStatus::active;
    p.invalid_reason = s.text(11);
    if (auto at = s.optionalInt64(12)) p.invalid_notified_at = fromUnixMillis(*at);
    p.updated_at = fromUnixMillis(s.int64(13));
    readAccess(s.text(14), p);
    if (auto at = s.optionalInt64(15)) p.checked_at = fromUnixMillis(*at);
    p.next_check_at = fromUnixMillis(s.int64(16));
    p.name = s.text(17);
    return p;
}

constexpr std::string_view kProjectColumns = "id, team_id, name, slug, created_at";
// `at`: the first of its columns, for rows that join several records.
Project readProjectAt(const Statement& s, int at) {
    return Project{s.int64(at), s.int64(at + 1), s.text(at + 2), s.text(at + 3), fromUnixMillis(s.int64(at + 4))};
}
Project readProject(const Statement& s) { return readProjectAt(s, 0); }

constexpr std::string_view kLinkColumns =
    "project_id, provider, instance, repository_id, full_path, web_url, status_context, linked_at, credential";
RepositoryLink readLinkAt(const Statement& s, int at) {
    return RepositoryLink{s.int64(at),     s.text(at + 1), s.text(at + 2), s.text(at + 3), s.text(at + 4),
                          s.text(at + 5), s.text(at + 6), fromUnixMillis(s.int64(at + 7)), s.text(at + 8)};
}
RepositoryLink readLink(const Statement& s) { return readLinkAt(s, 0); }

constexpr std::string_view kBuildColumns =
    "id, project_id, commit_sha, branch, mr_number, head_sha, state, stats, url, created_at, updated_at, version, "
    "timed_out_at, timed_out_after, mr_head_sha";
Build readBuild(const Statement& s) {
    Build b;
    b.id = s.int64(0);
    b.project_id = s.int64(1);
    b.commit_sha = s.text(2);
    b.branch = s.text(3);
    b.mr_number = s.text(4);
    b.head_sha = s.text(5);
    const std::string state = s.text(6);
    auto parsed = parseBuildState(state);
    if (!parsed) raise(ErrorKind::internal, "stored build state " + inQuotes(state) + " is unknown", "database");
    b.state = *parsed;
    b.stats = parseStats(s.text(7));
    b.url = s.text(8);
    b.created_at = fromUnixMillis(s.int64(9));
    b.updated_at = fromUnixMillis(s.int64(10));
    b.version = s.int64(11);
    if (!s.isNull(12)) b.timed_out_at = fromUnixMillis(s.int64(12));
    if (!s.isNull(13)) b.timed_out_after_seconds = s.int64(13);
    b.mr_head_sha = s.text(14);
    return b;
}

constexpr std::string_view kTaskColumns =
    "id, team_id, provider, instance, repository_id, commit_sha, context, kind, mr_number, payload, build_id, "
    "build_version, state, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, result, created_at, "
    "updated_at";
FeedbackTask readTask(const Statement& s) {
    FeedbackTask t;
    t.id = s.int64(0);
    t.team_id = s.int64(1);
    t.key.provider = s.text(2);
    t.key.instance = s.text(3);
    t.key.repository_id = s.text(4);
    t.key.commit_sha = s.text(5);
    t.key.context = s.text(6);
    t.key.kind = parseFeedbackKind(s.text(7));
    t.key.mr_number = s.text(8);
    t.payload = json::parse(s.text(9));
    t.build_id = s.int64(10);
    t.build_version = s.int64(11);
    t.state = parseTaskState(s.text(12));
    t.attempts = s.int64(13);
    t.next_attempt_at = fromUnixMillis(s.int64(14));
    t.lease_owner = s.text(15);
    if (auto at = s.optionalInt64(16)) t.lease_expires_at = fromUnixMillis(*at);
    t.last_error = s.text(17);
    if (auto result = s.optionalText(18)) t.result = json::parse(*result);
    t.created_at = fromUnixMillis(s.int64(19));
    t.updated_at = fromUnixMillis(s.int64(20));
    return t;
}

std::string sql(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto part : parts) out += part;
    return out;
}

// Both take the statement by lvalue (what bind() returns) or as a fresh temporary.
template <class T, class Reader>
T one(Statement& s, Reader read, ErrorKind missing_kind, const std::string& missing) {
    if (!s.step()) raise(missing_kind, missing, "not_found");
    T row = read(s);
    s.run();  // finish RETURNING statements so their changes are complete
    return row;
}
template <class T, class Reader>
T one(Statement&& s, Reader read, ErrorKind missing_kind, const std::string& missing) {
    return one<T>(s, read, missing_kind, missing);
}

template <class T, class Reader>
std::vector<T> all(Statement& s, Reader read) {
    std::vector<T> rows;
    while (s.step()) rows.push_back(read(s));
    return rows;
}
template <class T, class Reader>
std::vector<T> all(Statement&& s, Reader read) {
    return all<T>(s, read);
}

std::vector<ProjectWithLink> readProjectsWithLinks(Connection& c, std::int64_t team_id) {
    // One query instead of one per project: a listing of 1,000 projects was 1,001 queries.
    return all<ProjectWithLink>(
        c.prepare("SELECT p.id, p.team_id, p.name, p.slug, p.created_at, l.project_id, l.provider, l.instance, "
                  "l.repository_id, l.full_path, l.web_url, l.status_context, l.linked_at, l.credential FROM projects p "
                  "LEFT JOIN repository_links l ON l.project_id = p.id WHERE p.team_id = ?1 ORDER BY p.slug")
            .bind(1, team_id),
        [](const Statement& s) {
            ProjectWithLink row{readProjectAt(s, 0), std::nullopt};
            if (!s.isNull(5)) row.link = readLinkAt(s, 5);
            return row;
        });
}

std::int64_t readListVersion(Connection& c, std::int64_t team_id) {
    Statement s = c.prepare("SELECT version FROM project_list_versions WHERE team_id = ?1");
    s.bind(1, team_id);
    return s.step() ? s.int64(0) : 0;
}

Build loadBuild(Connection& c, std::int64_t id) {
    return one<Build>(c.prepare(sql({"SELECT ", kBuildColumns, " FROM builds WHERE id = ?1"})).bind(1, id), readBuild,
                      ErrorKind::not_found, "build " + std::to_string(id) + " does not exist");
}

FeedbackTask loadTask(Connection& c, std::int64_t id) {
    return one<FeedbackTask>(c.prepare(sql({"SELECT ", kTaskColumns, " FROM feedback_tasks WHERE id = ?1"})).bind(1, id),
                             readTask, ErrorKind::not_found, "feedback task " + std::to_string(id) + " does not exist");
}

TeamMember loadMember(Connection& c, std::int64_t team_id, std::int64_t user_id) {
    return one<TeamMember>(
        c.prepare(sql({kMemberSelect, "WHERE m.team_id = ?1 AND m.user_id = ?2"})).bind(1, team_id).bind(2, user_id),
        readMember, ErrorKind::not_found,
        "user " + std::to_string(user_id) + " is not a member of team " + std::to_string(team_id));
}

bool feedbackPaused(Connection& c, std::int64_t team_id, std::string_view provider) {
    return c.prepare("SELECT 1 FROM feedback_pauses WHERE team_id = ?1 AND provider = ?2")
        .bind(1, team_id)
        .bind(2, provider)
        .step();
}

// The lease check shared by complete/retry/fail; returns the task as it is now.
FeedbackTask requireLease(Connection& c, std::int64_t task_id, std::string_view owner) {
    FeedbackTask task = loadTask(c, task_id);
    if (task.state != TaskState::in_flight || task.lease_owner != owner) {
        raise(ErrorKind::conflict,
              "feedback task " + std::to_string(task_id) + " is not leased to " + inQuotes(owner) + " (state " +
                  std::string(toString(task.state)) +
                  (task.lease_owner.empty() ? std::string() : ", lease held by " + inQuotes(task.lease_owner)) +
                  "); its lease expired and it was handed to another dispatcher",
              "lease_lost");
    }
    return task;
}

std::string taskLabel(std::int64_t id) { return "feedback task " + std::to_string(id); }

}  // namespace

// ---- lifecycle -------------------------------------------------------------------------------

SqliteStore::SqliteStore(std::string path, std::shared_ptr<const secrets::SecretBox> box, Options options)
    : path_(std::move(path)),
      box_(std::move(box)),
      options_(std::move(options)),
      pool_(path_, options_.busy_timeout, options_.max_connections),
      writes_(pool_) {}

Timestamp SqliteStore::now() const { return options_.clock ? options_.clock() : nowTimestamp(); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       std::shared_ptr<const secrets::SecretBox> box) {
    return open(path, std::move(box), Options{});
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       std::shared_ptr<const secrets::SecretBox> box, Options options) {
    if (!box) return makeError(ErrorKind::invalid_input, "opening database " + path + ": no sealing key given", "no_key");
    if (path.empty() || path == ":memory:") {
        // Every connection of the pool must see the same data, and the data must outlive the process.
        return makeError(ErrorKind::invalid_input, "the database must be a file path, got " + inQuotes(path), "bad_path");
    }
    // Created private: the file holds sealed secrets and session digests. SQLite gives the -wal and
    // -shm files the same mode as the database.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return makeError(ErrorKind::invalid_input,
                         "cannot open or create database " + path + ": " + std::strerror(errno), "bad_path");
    }
    ::close(fd);
    std::unique_ptr<SqliteStore> store(new SqliteStore(path, std::move(box), std::move(options)));
    try {
        auto connection = store->pool_.acquire();
        sqlite::migrate(*connection, store->now());
    } catch (const SqliteError& e) {
        return mapSqliteError("opening database " + path, e);
    } catch (const std::exception& e) {
        return makeError(ErrorKind::invalid_input, "opening database " + path + ": " + e.what(), "schema_too_new");
    }
    return store;
}

Result<int> SqliteStore::schemaVersion() {
    return guarded("reading the schema version", [&]() -> Result<int> {
        auto c = pool_.acquire();
        return sqlite::currentSchemaVersion(*c);
    });
}

int SqliteStore::latestSchemaVersion() { return sqlite::latestSchemaVersion(); }

// ---- users -----------------------------------------------------------------------------------

Result<User> SqliteStore::upsertUser(const UserProfile& p) {
    return guarded("saving user", [&]() -> Result<User> {
        requireText(p.provider, "provider");
        requireText(p.instance, "instance");
        requireText(p.forge_user_id, "forge user id");
        requireText(p.username, "username");
        auto c = pool_.acquire();
        Transaction tx(*c);
        // Whose identity is it? Refresh its names (and the user's, when it is the identity shown).
        Statement owner = c->prepare(
            "UPDATE user_identities SET username = ?4, name = ?5 "
            "WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3 RETURNING user_id");
        owner.bind(1, p.provider).bind(2, p.instance).bind(3, p.forge_user_id).bind(4, p.username).bind(5, p.name);
        std::int64_t user_id = 0;
        if (owner.step()) {
            user_id = owner.int64(0);
            owner.run();
            c->prepare("UPDATE users SET username = ?5, name = ?6 "
                       "WHERE id = ?1 AND provider = ?2 AND instance = ?3 AND forge_user_id = ?4")
                .bind(1, user_id)
                .bind(2, p.provider)
                .bind(3, p.instance)
                .bind(4, p.forge_user_id)
                .bind(5, p.username)
                .bind(6, p.name)
                .run();
        } else {
            owner.run();
            const auto at = toUnixMillis(now());
            user_id = one<std::int64_t>(
                c->prepare("INSERT INTO users (provider, instance, forge_user_id, username, name, created_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id")
                    .bind(1, p.provider)
                    .bind(2, p.instance)
                    .bind(3, p.forge_user_id)
                    .bind(4, p.username)
                    .bind(5, p.name)
                    .bind(6, at),
                [](const Statement& s) { return s.int64(0); }, ErrorKind::internal, "saving user returned no row");
            c->prepare("INSERT INTO user_identities (user_id, provider, instance, forge_user_id, username, name, linked_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .bind(1, user_id)
                .bind(2, p.provider)
                .bind(3, p.instance)
                .bind(4, p.forge_user_id)
                .bind(5, p.username)
                .bind(6, p.name)
                .bind(7, at)
                .run();
        }
        User user = one<User>(c->prepare(sql({"SELECT ", kUserColumns, " FROM users WHERE id = ?1"})).bind(1, user_id),
                              readUser, ErrorKind::internal, "saving user: the user vanished");
        tx.commit();
        return user;
    });
}

Result<UserIdentity> SqliteStore::linkIdentity(std::int64_t user_id, const UserProfile& p) {
    return guarded("linking an identity to user " + std::to_string(user_id), [&]() -> Result<UserIdentity> {
        requireId(user_id, "user id");
        requireText(p.provider, "provider");
        requireText(p.instance, "instance");
        requireText(p.forge_user_id, "forge user id");
        requireText(p.username, "username");
        auto c = pool_.acquire();
        Transaction tx(*c);
        Statement exists = c->prepare("SELECT 1 FROM users WHERE id = ?1");
        exists.bind(1, user_id);
        if (!exists.step()) raise(ErrorKind::not_found, "user " + std::to_string(user_id) + " does not exist", "not_found");
        exists.run();
        Statement owner = c->prepare(
            "SELECT user_id FROM user_identities WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3");
        owner.bind(1, p.provider).bind(2, p.instance).bind(3, p.forge_user_id);
        if (owner.step()) {
            const std::int64_t holder = owner.int64(0);
            owner.run();
            if (holder != user_id)
                raise(ErrorKind::conflict,
                      "the " + p.provider + " account " + p.username + " at " + p.instance +
                          " already belongs to another Forgelink user; sign in with it and unlink it there first",
                      "identity_taken");
            c->prepare("UPDATE user_identities SET username = ?4, name = ?5 "
                       "WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3")
                .bind(1, p.provider)
                .bind(2, p.instance)
                .bind(3, p.forge_user_id)
                .bind(4, p.username)
                .bind(5, p.name)
                .run();
        } else {
            owner.run();
            Statement other = c->prepare("SELECT username, instance FROM user_identities WHERE user_id = ?1 AND provider = ?2");
            other.bind(1, user_id).bind(2, p.provider);
            if (other.step()) {
                const std::string linked = other.text(0) + " at " + other.text(1);
                other.run();
                raise(ErrorKind::conflict,
                      "you already linked the " + p.provider + " account " + linked +
                          "; unlink it first to link another",
                      "provider_linked");
            }
            other.run();
            c->prepare("INSERT INTO user_identities (user_id, provider, instance, forge_user_id, username, name, linked_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .bind(1, user_id)
                .bind(2, p.provider)
                .bind(3, p.instance)
                .bind(4, p.forge_user_id)
                .bind(5, p.username)
                .bind(6, p.name)
                .bind(7, toUnixMillis(now()))
                .run();
        }
        UserIdentity identity = one<UserIdentity>(
            c->prepare(sql({"SELECT ", kIdentityColumns,
                            " FROM user_identities WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3"}))
                .bind(1, p.provider)
                .bind(2, p.instance)
                .bind(3, p.forge_user_id),
            readIdentity, ErrorKind::internal, "linking: the identity vanished");
        tx.commit();
        return identity;
    });
}

Result<std::vector<UserIdentity>> SqliteStore::userIdentities(std::int64_t user_id) {
    return guarded("reading a user's identities", [&]() -> Result<std::vector<UserIdentity>> {
        auto c = pool_.acquire();
        return all<UserIdentity>(
            c->prepare(sql({"SELECT ", kIdentityColumns, " FROM user_identities WHERE user_id = ?1 ORDER BY linked_at, provider"}))
                .bind(1, user_id),
            readIdentity);
    });
}

Result<void> SqliteStore::unlinkIdentity(std::int64_t user_id, std::string_view provider) {
    return guarded("unlinking an identity", [&]() -> Result<void> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        auto identities = all<UserIdentity>(
            c->prepare(sql({"SELECT ", kIdentityColumns, " FROM user_identities WHERE user_id = ?1 ORDER BY linked_at, provider"}))
                .bind(1, user_id),
            readIdentity);
        const UserIdentity* gone = nullptr;
        const UserIdentity* kept = nullptr;
        for (const auto& identity : identities) {
            if (identity.provider == provider) gone = &identity;
            else if (kept == nullptr) kept = &identity;
        }
        if (gone == nullptr)
            raise(ErrorKind::not_found, "no " + std::string(provider) + " account is linked to this user", "not_found");
        if (kept == nullptr)
            raise(ErrorKind::conflict,
                  "the " + std::string(provider) + " account is the only way this user signs in; link another first",
                  "last_identity");
        c->prepare("DELETE FROM user_identities WHERE user_id = ?1 AND provider = ?2").bind(1, user_id).bind(2, provider).run();
        c->prepare("DELETE FROM user_tokens WHERE user_id = ?1 AND provider = ?2").bind(1, user_id).bind(2, provider).run();
        // The user is shown by an identity they still have.
        c->prepare("UPDATE users SET provider = ?2, instance = ?3, forge_user_id = ?4, username = ?5, name = ?6 "
                   "WHERE id = ?1 AND provider = ?7")
            .bind(1, user_id)
            .bind(2, kept->provider)
            .bind(3, kept->instance)
            .bind(4, kept->forge_user_id)
            .bind(5, kept->username)
            .bind(6, kept->name)
            .bind(7, provider)
            .run();
        tx.commit();
        return {};
    });
}

Result<User> SqliteStore::user(std::int64_t user_id) {
    return guarded("reading user", [&]() -> Result<User> {
        auto c = pool_.acquire();
        return one<User>(c->prepare(sql({"SELECT ", kUserColumns, " FROM users WHERE id = ?1"})).bind(1, user_id), readUser,
                         ErrorKind::not_found, "user " + std::to_string(user_id) + " does not exist");
    });
}

Result<User> SqliteStore::findUser(std::string_view provider, std::string_view instance, std::string_view forge_user_id) {
    return guarded("finding user", [&]() -> Result<User> {
        auto c = pool_.acquire();
        return one<User>(c->prepare(sql({"SELECT ", kUserColumns,
                                         " FROM users WHERE id = (SELECT user_id FROM user_identities "
                                         "WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3)"}))
                             .bind(1, provider)
                             .bind(2, instance)
                             .bind(3, forge_user_id),
                         readUser, ErrorKind::not_found,
                         "no user " + std::string(forge_user_id) + " from " + std::string(provider) + " at " +
                             std::string(instance));
    });
}

Result<std::vector<User>> SqliteStore::usersNamed(std::string_view username, std::string_view provider) {
    return guarded("finding users by username", [&]() -> Result<std::vector<User>> {
        auto c = pool_.acquire();
        return all<User>(c->prepare("SELECT u.id, i.provider, i.instance, i.forge_user_id, i.username, i.name, u.created_at"
                                    " FROM user_identities i JOIN users u ON u.id = i.user_id"
                                    " WHERE i.username = ?1 COLLATE NOCASE AND (?2 = '' OR i.provider = ?2)"
                                    " ORDER BY i.provider, i.instance, u.id")
                             .bind(1, username)
                             .bind(2, provider),
                         readUser);
    });
}

// ---- sessions --------------------------------------------------------------------------------

Result<Session> SqliteStore::createSession(std::string_view token, std::int64_t user_id, Timestamp expires_at) {
    return guarded("creating session", [&]() -> Result<Session> {
        requireText(token, "session token");
        Session session{secrets::sha256Hex(token), user_id, expires_at, now()};
        auto c = pool_.acquire();
        c->prepare("INSERT INTO sessions (id_hash, user_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(1, session.id_hash)
            .bind(2, user_id)
            .bind(3, toUnixMillis(expires_at))
            .bind(4, toUnixMillis(session.created_at))
            .run();
        return session;
    });
}

Result<Session> SqliteStore::findSession(std::string_view token, Timestamp now_at) {
    return guarded("finding session", [&]() -> Result<Session> {
        auto c = pool_.acquire();
        return one<Session>(
            c->prepare("SELECT id_hash, user_id, expires_at, created_at FROM sessions WHERE id_hash = ?1 AND expires_at > ?2")
                .bind(1, secrets::sha256Hex(token))
                .bind(2, toUnixMillis(now_at)),
            [](const Statement& s) {
                return Session{s.text(0), s.int64(1), fromUnixMillis(s.int64(2)), fromUnixMillis(s.int64(3))};
            },
            ErrorKind::not_found, "no such session, or it expired");
    });
}

Result<void> SqliteStore::deleteSession(std::string_view token) {
    return guarded("deleting session", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM sessions WHERE id_hash = ?1").bind(1, secrets::sha256Hex(token)).run();
        if (c->changes() == 0) return makeError(ErrorKind::not_found, "no such session", "not_found");
        return {};
    });
}

Result<std::int64_t> SqliteStore::deleteExpiredSessions(Timestamp now_at) {
    return guarded("deleting expired sessions", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM sessions WHERE expires_at <= ?1").bind(1, toUnixMillis(now_at)).run();
        return c->changes();
    });
}

// ---- OAuth states ----------------------------------------------------------------------------

Result<void> SqliteStore::saveOAuthState(const OAuthState& s) {
    return guarded("saving OAuth state", [&]() -> Result<void> {
        requireText(s.state, "OAuth state");
        requireText(s.provider, "provider");
        requireText(s.code_verifier, "code verifier");
        auto c = pool_.acquire();
        c->prepare("INSERT INTO oauth_states (state, provider, code_verifier_sealed, redirect, expires_at, created_at, "
                   "browser_binding, link_user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .bind(1, s.state)
            .bind(2, s.provider)
            .bind(3, box_->seal(s.code_verifier, codeVerifierLabel(s.state)))
            .bind(4, s.redirect)
            .bind(5, toUnixMillis(s.expires_at))
            .bind(6, toUnixMillis(now()))
            .bind(7, s.browser_binding)
            .bind(8, s.link_user_id > 0 ? std::optional<std::int64_t>(s.link_user_id) : std::nullopt)
            .run();
        return {};
    });
}

Result<OAuthState> SqliteStore::consumeOAuthState(std::string_view state, Timestamp now_at) {
    return guarded("consuming OAuth state", [&]() -> Result<OAuthState> {
        auto c = pool_.acquire();
        // DELETE ... RETURNING: the row is gone the moment one caller sees it.
        Statement s = c->prepare(
            "DELETE FROM oauth_states WHERE state = ?1 RETURNING state, provider, code_verifier_sealed, redirect, expires_at, "
            "browser_binding, link_user_id");
        s.bind(1, state);
        if (!s.step()) return makeError(ErrorKind::not_found, "unknown or already used OAuth state", "not_found");
        OAuthState out{s.text(0), s.text(1), {}, s.text(3), fromUnixMillis(s.int64(4)), s.text(5),
                       s.optionalInt64(6).value_or(0)};
        const std::string sealed = s.text(2);
        s.run();
        if (out.expires_at <= now_at) return makeError(ErrorKind::not_found, "the OAuth state expired; log in again", "expired");
        out.code_verifier = openOrRaise(*box_, sealed, codeVerifierLabel(out.state));
        return out;
    });
}

Result<std::int64_t> SqliteStore::deleteExpiredOAuthStates(Timestamp now_at) {
    return guarded("deleting expired OAuth states", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM oauth_states WHERE expires_at <= ?1").bind(1, toUnixMillis(now_at)).run();
        return c->changes();
    });
}

// ---- user tokens -----------------------------------------------------------------------------

Result<void> SqliteStore::saveUserTokens(const UserTokens& t) {
    return guarded("saving user tokens", [&]() -> Result<void> {
        requireId(t.user_id, "user id");
        requireText(t.provider, "provider");
        requireText(t.access_token, "access token");
        std::optional<std::string> refresh;
        if (!t.refresh_token.empty()) {
            refresh = box_->seal(t.refresh_token, userTokenLabel(t.user_id, t.provider, "refresh_token"));
        }
        std::optional<std::int64_t> expires;
        if (t.expires_at) expires = toUnixMillis(*t.expires_at);
        auto c = pool_.acquire();
        // One row holds both tokens, so one statement replaces the pair. A new pair (a fresh login)
        // also ends any refresh claim on the old one: the refresher's result is then discarded.
        c->prepare("INSERT INTO user_tokens (user_id, provider, access_token_sealed, refresh_token_sealed, expires_at, updated_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, provider) DO UPDATE SET "
                   "access_token_sealed = excluded.access_token_sealed, refresh_token_sealed = excluded.refresh_token_sealed, "
                   "expires_at = excluded.expires_at, updated_at = excluded.updated_at, "
                   "refresh_claim_owner = NULL, refresh_claim_expires_at = NULL")
            .bind(1, t.user_id)
            .bind(2, t.provider)
            .bind(3, box_->seal(t.access_token, userTokenLabel(t.user_id, t.provider, "access_token")))
            .bind(4, refresh)
            .bind(5, expires)
            .bind(6, toUnixMillis(now()))
            .run();
        return {};
    });
}

Result<UserTokens> SqliteStore::userTokens(std::int64_t user_id, std::string_view provider) {
    return guarded("reading user tokens", [&]() -> Result<UserTokens> {
        auto c = pool_.acquire();
        Statement s = c->prepare(
            "SELECT access_token_sealed, refresh_token_sealed, expires_at, updated_at FROM user_tokens "
            "WHERE user_id = ?1 AND provider = ?2");
        s.bind(1, user_id).bind(2, provider);
        if (!s.step()) {
            return makeError(ErrorKind::not_found,
                             "user " + std::to_string(user_id) + " has no " + std::string(provider) + " tokens", "not_found");
        }
        UserTokens t;
        t.user_id = user_id;
        t.provider = std::string(provider);
        t.access_token = openOrRaise(*box_, s.text(0), userTokenLabel(user_id, provider, "access_token"));
        if (auto refresh = s.optionalText(1)) {
            t.refresh_token = openOrRaise(*box_, *refresh, userTokenLabel(user_id, provider, "refresh_token"));
        }
        if (auto at = s.optionalInt64(2)) t.expires_at = fromUnixMillis(*at);
        t.updated_at = fromUnixMillis(s.int64(3));
        return t;
    });
}

Result<void> SqliteStore::deleteUserTokens(std::int64_t user_id, std::string_view provider) {
    return guarded("deleting user tokens", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM user_tokens WHERE user_id = ?1 AND provider = ?2").bind(1, user_id).bind(2, provider).run();
        if (c->changes() == 0) return makeError(ErrorKind::not_found, "no such user tokens", "not_found");
        return {};
    });
}

// ---- teams -----------------------------------------------------------------------------------

Result<Team> SqliteStore::createTeam(std::string_view slug, std::string_view name) {
    return guarded("creating team " + inQuotes(slug), [&]() -> Result<Team> {
        requireText(slug, "team slug");
        requireText(name, "team name");
        auto c = pool_.acquire();
        return one<Team>(c->prepare(sql({"INSERT INTO teams (slug, name, created_at) VALUES (?1, ?2, ?3) RETURNING ",
                                         kTeamColumns}))
                             .bind(1, slug)
                             .bind(2, name)
                             .bind(3, toUnixMillis(now())),
                         readTeam, ErrorKind::internal, "creating team returned no row");
    });
}

Result<Team> SqliteStore::team(std::int64_t team_id) {
    return guarded("reading team", [&]() -> Result<Team> {
        auto c = pool_.acquire();
        return one<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams WHERE id = ?1"})).bind(1, team_id), readTeam,
                         ErrorKind::not_found, "team " + std::to_string(team_id) + " does not exist");
    });
}

Result<Team> SqliteStore::findTeamBySlug(std::string_view slug) {
    return guarded("finding team", [&]() -> Result<Team> {
        auto c = pool_.acquire();
        return one<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams WHERE slug = ?1"})).bind(1, slug), readTeam,
                         ErrorKind::not_found, "no team with slug " + inQuotes(slug));
    });
}

Result<std::vector<Team>> SqliteStore::listTeams() {
    return guarded("listing teams", [&]() -> Result<std::vector<Team>> {
        auto c = pool_.acquire();
        return all<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams ORDER BY slug"})), readTeam);
    });
}

Result<std::vector<Team>> SqliteStore::listTeamsOfUser(std::int64_t user_id) {
    return guarded("listing teams of user", [&]() -> Result<std::vector<Team>> {
        auto c = pool_.acquire();
        return all<Team>(c->prepare("SELECT t.id, t.slug, t.name, t.created_at FROM teams t "
                                    "JOIN team_members m ON m.team_id = t.id WHERE m.user_id = ?1 ORDER BY t.slug")
                             .bind(1, user_id),
                         readTeam);
    });
}

Result<Team> SqliteStore::renameTeam(std::int64_t team_id, std::string_view name) {
    return guarded("renaming team", [&]() -> Result<Team> {
        requireText(name, "team name");
        auto c = pool_.acquire();
        return one<Team>(c->prepare(sql({"UPDATE teams SET name = ?2 WHERE id = ?1 RETURNING ", kTeamColumns}))
                             .bind(1, team_id)
                             .bind(2, name),
                         readTeam, ErrorKind::not_found, "team " + std::to_string(team_id) + " does not exist");
    });
}

Result<void> SqliteStore::deleteTeam(std::int64_t team_id) {
    return guarded("deleting team", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM teams WHERE id = ?1").bind(1, team_id).run();
        if (c->changes() == 0) return makeError(ErrorKind::not_found, "team " + std::to_string(team_id) + " does not exist", "not_found");
        return {};
    });
}

Result<TeamMember> SqliteStore::addTeamMember(std::int64_t team_id, std::int64_t user_id, TeamRole role) {
    return guarded("adding user " + std::to_string(user_id) + " to team " + std::to_string(team_id),
                   [&]() -> Result<TeamMember> {
                       auto c = pool_.acquire();
                       Transaction tx(*c);
                       c->prepare("INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)")
                           .bind(1, team_id)
                           .bind(2, user_id)
                           .bind(3, toString(role))
                           .bind(4, toUnixMillis(now()))
                           .run();
                       TeamMember member = loadMember(*c, team_id, user_id);
                       tx.commit();
                       return member;
                   });
}

Result<TeamMember> SqliteStore::setTeamMemberRole(std::int64_t team_id, std::int64_t user_id, TeamRole role) {
    return guarded("changing a member's role", [&]() -> Result<TeamMember> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("UPDATE team_members SET role = ?3 WHERE team_id = ?1 AND user_id = ?2")
            .bind(1, team_id)
            .bind(2, user_id)
            .bind(3, toString(role))
            .run();
        TeamMember member = loadMember(*c, team_id, user_id);
        tx.commit();
        return member;
    });
}

Result<void> SqliteStore::removeTeamMember(std::int64_t team_id, std::int64_t user_id) {
    return guarded("removing a team member", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM team_members WHERE team_id = ?1 AND user_id = ?2").bind(1, team_id).bind(2, user_id).run();
        if (c->changes() == 0) {
            return makeError(ErrorKind::not_found,
                             "user " + std::to_string(user_id) + " is not a member of team " + std::to_string(team_id),
                             "not_found");
        }
        return {};
    });
}

Result<TeamMember> SqliteStore::teamMember(std::int64_t team_id, std::int64_t user_id) {
    return guarded("reading a team member", [&]() -> Result<TeamMember> {
        auto c = pool_.acquire();
        return loadMember(*c, team_id, user_id);
    });
}

Result<std::vector<TeamMember>> SqliteStore::listTeamMembers(std::int64_t team_id) {
    return guarded("listing team members", [&]() -> Result<std::vector<TeamMember>> {
        auto c = pool_.acquire();
        return all<TeamMember>(c->prepare(sql({kMemberSelect, "WHERE m.team_id = ?1 ORDER BY u.username"})).bind(1, team_id),
                               readMember);
    });
}

// ---- scoped API tokens -----------------------------------------------------------------------

Result<ApiToken> SqliteStore::createApiToken(const ApiTokenInput& in) {
    return guarded("creating API token " + inQuotes(in.name), [&]() -> Result<ApiToken> {
        requireId(in.team_id, "team id");
        requireText(in.name, "token name");
        requireText(in.lookup_key, "token lookup key");
        requireText(in.secret_digest, "token digest");
        auto c = pool_.acquire();
        Transaction tx(*c);
        if (in.project_id != 0) {
            // A token of one team never reaches another team's project.
            Statement owner = c->prepare("SELECT team_id FROM projects WHERE id = ?1");
            owner.bind(1, in.project_id);
            if (!owner.step() || owner.int64(0) != in.team_id)
                raise(ErrorKind::invalid_input,
                      "project " + std::to_string(in.project_id) + " is not a project of team " + std::to_string(in.team_id),
                      "missing_reference");
        }
        auto token = one<ApiToken>(
            c->prepare(sql({"INSERT INTO api_tokens (team_id, project_id, name, role, lookup_key, secret_digest, "
                            "created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING ",
                            kApiTokenColumns}))
                .bind(1, in.team_id)
                .bind(2, in.project_id > 0 ? std::optional<std::int64_t>(in.project_id) : std::nullopt)
                .bind(3, in.name)
                .bind(4, toString(in.role))
                .bind(5, in.lookup_key)
                .bind(6, in.secret_digest)
                .bind(7, in.created_by)
                .bind(8, toUnixMillis(now()))
                .bind(9, in.expires_at ? std::optional<std::int64_t>(toUnixMillis(*in.expires_at)) : std::nullopt),
            readApiToken, ErrorKind::internal, "creating an API token returned no row");
        tx.commit();
        return token;
    });
}

Result<ApiToken> SqliteStore::findApiToken(std::string_view lookup_key) {
    return guarded("finding API token", [&]() -> Result<ApiToken> {
        auto c = pool_.acquire();
        return one<ApiToken>(
            c->prepare(sql({"SELECT ", kApiTokenColumns, " FROM api_tokens WHERE lookup_key = ?1"})).bind(1, lookup_key),
            readApiToken, ErrorKind::not_found, "no such API token");
    });
}

Result<std::vector<ApiToken>> SqliteStore::listApiTokens(std::int64_t team_id) {
    return guarded("listing API tokens", [&]() -> Result<std::vector<ApiToken>> {
        auto c = pool_.acquire();
        return all<ApiToken>(
            c->prepare(sql({"SELECT ", kApiTokenColumns, " FROM api_tokens WHERE team_id = ?1 ORDER BY name"})).bind(1, team_id),
            readApiToken);
    });
}

Result<ApiToken> SqliteStore::revokeApiToken(std::int64_t team_id, std::int64_t token_id) {
    return guarded("revoking API token", [&]() -> Result<ApiToken> {
        auto c = pool_.acquire();
        return one<ApiToken>(
            c->prepare(sql({"DELETE FROM api_tokens WHERE team_id = ?1 AND id = ?2 RETURNING ", kApiTokenColumns}))
                .bind(1, team_id)
                .bind(2, token_id),
            readApiToken, ErrorKind::not_found,
            "team " + std::to_string(team_id) + " has no API token " + std::to_string(token_id));
    });
}

Result<bool> SqliteStore::touchApiToken(std::int64_t token_id, Timestamp at, std::chrono::milliseconds min_interval) {
    return guarded("recording an API token's use", [&]() -> Result<bool> {
        auto c = pool_.acquire();
        c->prepare("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?3)")
            .bind(1, token_id)
            .bind(2, toUnixMillis(at))
            .bind(3, toUnixMillis(at) - min_interval.count())
            .run();
        return c->changes() > 0;
    });
}

// ---- the audit log ---------------------------------------------------------------------------

Result<AuditEvent> SqliteStore::recordAuditEvent(const AuditEventInput& in) {
    return guarded("recording an audit event", [&]() -> Result<AuditEvent> {
        requireId(in.team_id, "team id");
        requireText(in.action, "audit action");
        auto c = pool_.acquire();
        return one<AuditEvent>(
            c->prepare(sql({"INSERT INTO audit_events (team_id, at, actor_kind, actor_user_id, actor_token_id, "
                            "actor_name, client_address, action, target, details) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING ",
                            kAuditColumns}))
                .bind(1, in.team_id)
                .bind(2, toUnixMillis(now()))
                .bind(3, toString(in.actor.kind))
                .bind(4, in.actor.user_id > 0 ? std::optional<std::int64_t>(in.actor.user_id) : std::nullopt)
                .bind(5, in.actor.token_id > 0 ? std::optional<std::int64_t>(in.actor.token_id) : std::nullopt)
                .bind(6, in.actor.name)
                .bind(7, in.client_address)
                .bind(8, in.action)
                .bind(9, in.target)
                .bind(10, (in.details.is_null() ? json::object() : in.details).dump()),
            readAuditEvent, ErrorKind::internal, "recording an audit event returned no row");
    });
}

Result<std::vector<AuditEvent>> SqliteStore::listAuditEvents(std::int64_t team_id, std::size_t limit,
                                                             std::int64_t before_id) {
    return guarded("listing audit events", [&]() -> Result<std::vector<AuditEvent>> {
        auto c = pool_.acquire();
        return all<AuditEvent>(
            c->prepare(sql({"SELECT ", kAuditColumns,
                            " FROM audit_events WHERE team_id = ?1 AND (?2 <= 0 OR id < ?2) ORDER BY id DESC LIMIT ?3"}))
                .bind(1, team_id)
                .bind(2, before_id)
                .bind(3, static_cast<std::int64_t>(limit)),
            readAuditEvent);
    });
}

Result<std::int64_t> SqliteStore::purgeAuditEvents(Timestamp before) {
    return guarded("purging audit events", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM audit_events WHERE at < ?1").bind(1, toUnixMillis(before)).run();
        return c->changes();
    });
}

// ---- provider settings -----------------------------------------------------------------------

Result<ProviderSettings> SqliteStore::saveProviderSettings(const ProviderSettingsInput& in) {
    return guarded("saving " + std::string(in.provider) + " settings of team " + std::to_string(in.team_id),
                   [&]() -> Result<ProviderSettings> {
                       requireId(in.team_id, "team id");
                       requireText(in.provider, "provider");
                       requireText(in.base_url, "base URL");
                       requireText(in.instance, "instance");
                       requireText(in.token, "token");
                       requireText(in.name, "credential name");
                       auto c = pool_.acquire();
                       return one<ProviderSettings>(
                           c->prepare(sql({"INSERT INTO provider_settings (team_id, provider, base_url, instance, token_sealed, "
                                           "token_last4, kind, identity, scopes, expires_at, warnings, status, invalid_reason, "
                                           "invalid_notified_at, updated_at, access, checked_at, next_check_at, check_owner, "
                                           "check_lease_until, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                           "?11, 'active', '', NULL, ?12, ?13, ?12, ?14, NULL, NULL, ?15) "
                                           "ON CONFLICT (team_id, provider, name) DO UPDATE SET "
                                           "base_url = excluded.base_url, instance = excluded.instance, "
                                           "token_sealed = excluded.token_sealed, token_last4 = excluded.token_last4, "
                                           "kind = excluded.kind, identity = excluded.identity, scopes = excluded.scopes, "
                                           "expires_at = excluded.expires_at, warnings = excluded.warnings, status = 'active', "
                                           "invalid_reason = '', invalid_notified_at = NULL, updated_at = excluded.updated_at, "
                                           "access = excluded.access, checked_at = excluded.checked_at, "
                                           "next_check_at = excluded.next_check_at, check_owner = NULL, "
                                           "check_lease_until = NULL RETURNING ",
                                           kSettingsColumns}))
                               .bind(1, in.team_id)
                               .bind(2, in.provider)
                               .bind(3, in.base_url)
                               .bind(4, in.instance)
                               .bind(5, box_->seal(in.token, providerTokenLabel(in.team_id, in.provider, in.name)))
                               .bind(6, lastFour(in.token))
                               .bind(7, toString(in.kind))
                               .bind(8, identityJson(in.identity))
                               .bind(9, json(in.scopes).dump())
                               .bind(10, in.expires_at)
                               .bind(11, warningsJson(in.warnings))
                               .bind(12, toUnixMillis(now()))
                               .bind(13, accessJson(in))
                               .bind(14, toUnixMillis(in.next_check_at.value_or(now())))
                               .bind(15, in.name),
                           readSettings, ErrorKind::internal, "saving provider settings returned no row");
                   });
}

Result<ProviderSettings> SqliteStore::providerSettings(std::int64_t team_id, std::string_view provider,
                                                       std::string_view credential) {
    return guarded("reading provider settings", [&]() -> Result<ProviderSettings> {
        auto c = pool_.acquire();
        return one<ProviderSettings>(
            c->prepare(sql({"SELECT ", kSettingsColumns,
                            " FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3"}))
                .bind(1, team_id)
                .bind(2, provider)
                .bind(3, credential),
            readSettings, ErrorKind::not_found, noCredential(team_id, provider, credential));
    });
}

Result<std::vector<ProviderSettings>> SqliteStore::listProviderSettings(std::int64_t team_id) {
    return guarded("listing provider settings", [&]() -> Result<std::vector<ProviderSettings>> {
        auto c = pool_.acquire();
        return all<ProviderSettings>(
            c->prepare(sql({"SELECT ", kSettingsColumns, " FROM provider_settings WHERE team_id = ?1 ORDER BY provider, name <> 'default', name"}))
                .bind(1, team_id),
            readSettings);
    });
}

namespace {
Credentials readCredentials(Connection& c, const secrets::SecretBox& box, std::int64_t team_id,
                            std::string_view provider, std::string_view credential) {
    Statement s = c.prepare("SELECT base_url, token_sealed FROM provider_settings "
                            "WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
    s.bind(1, team_id).bind(2, provider).bind(3, credential);
    if (!s.step()) raise(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
    return Credentials{s.text(0), openOrRaise(box, s.text(1), providerTokenLabel(team_id, provider, credential))};
}
}  // namespace

Result<Credentials> SqliteStore::providerCredentials(std::int64_t team_id, std::string_view provider,
                                                     std::string_view credential) {
    return guarded("reading provider credentials", [&]() -> Result<Credentials> {
        auto c = pool_.acquire();
        return readCredentials(*c, *box_, team_id, provider, credential);
    });
}

Result<NamedCredentials> SqliteStore::servingCredentials(std::int64_t team_id, std::string_view provider,
                                                         std::string_view instance, std::string_view repository_id) {
    return guarded("reading the credential that serves a repository", [&]() -> Result<NamedCredentials> {
        auto c = pool_.acquire();
        Statement s = c->prepare(
            "SELECT l.credential, l.full_path FROM repository_links l JOIN projects p ON p.id = l.project_id "
            "WHERE p.team_id = ?1 AND l.provider = ?2 AND l.instance = ?3 AND l.repository_id = ?4 "
            "ORDER BY l.project_id LIMIT 1");
        s.bind(1, team_id).bind(2, provider).bind(3, instance).bind(4, repository_id);
        if (!s.step()) {
            return makeError(ErrorKind::not_found,
                             "no project of team " + std::to_string(team_id) + " links " + std::string(provider) +
                                 " repository " + std::string(repository_id) + " at " + std::string(instance),
                             "not_linked");
        }
        NamedCredentials serving{s.text(0), {}};
        const std::string path = s.text(1);
        Statement exists = c->prepare("SELECT 1 FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
        exists.bind(1, team_id).bind(2, provider).bind(3, serving.name);
        if (!exists.step()) {
            return makeError(ErrorKind::not_found,
                             "the " + std::string(provider) + " credential '" + serving.name + "' that served " +
                                 (path.empty() ? std::string(repository_id) : path) + " for team " +
                                 std::to_string(team_id) + " was removed",
                             "credential_removed");
        }
        serving.credentials = readCredentials(*c, *box_, team_id, provider, serving.name);
        return serving;
    });
}

Result<std::vector<ProjectWithLink>> SqliteStore::linksServedBy(std::int64_t team_id, std::string_view provider,
                                                                std::string_view credential) {
    return guarded("listing the repositories a credential serves", [&]() -> Result<std::vector<ProjectWithLink>> {
        auto c = pool_.acquire();
        auto rows = readProjectsWithLinks(*c, team_id);
        std::erase_if(rows, [&](const ProjectWithLink& row) {
            return !row.link || row.link->provider != provider || row.link->credential != credential;
        });
        return rows;
    });
}

Result<RepositoryLink> SqliteStore::setLinkCredential(std::int64_t project_id, std::string_view credential) {
    return guarded("changing the credential that serves a repository", [&]() -> Result<RepositoryLink> {
        requireText(credential, "credential name");
        auto c = pool_.acquire();
        return one<RepositoryLink>(
            c->prepare(sql({"UPDATE repository_links SET credential = ?2 WHERE project_id = ?1 RETURNING ", kLinkColumns}))
                .bind(1, project_id)
                .bind(2, credential),
            readLink, ErrorKind::not_found, "project " + std::to_string(project_id) + " is not linked to a repository");
    });
}

Result<void> SqliteStore::markProviderInvalid(std::int64_t team_id, std::string_view provider, std::string_view reason,
                                              std::string_view credential) {
    return guarded("marking provider settings invalid", [&]() -> Result<void> {
        requireText(reason, "reason");
        auto c = pool_.acquire();
        c->prepare("UPDATE provider_settings SET status = 'invalid', "
                   "invalid_notified_at = CASE WHEN invalid_reason = ?3 THEN invalid_notified_at ELSE NULL END, "
                   "invalid_reason = ?3, updated_at = ?4, next_check_at = min(next_check_at, ?4) "
                   "WHERE team_id = ?1 AND provider = ?2 AND name = ?5")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, reason)
            .bind(4, toUnixMillis(now()))
            .bind(5, credential)
            .run();
        if (c->changes() == 0) return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
        return {};
    });
}

Result<void> SqliteStore::markProviderInvalidNotified(std::int64_t team_id, std::string_view provider, Timestamp at,
                                                      std::string_view credential) {
    return guarded("recording an invalid-token notice", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("UPDATE provider_settings SET invalid_notified_at = ?3 WHERE team_id = ?1 AND provider = ?2 AND name = ?4")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, toUnixMillis(at))
            .bind(4, credential)
            .run();
        if (c->changes() == 0) return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
        return {};
    });
}

// ---- re-checking stored tokens ---------------------------------------------------------------

namespace {
Error checkClaimLost(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return makeError(ErrorKind::conflict,
                     "the re-check claim on team " + std::to_string(team_id) + "'s " + std::string(provider) +
                         " token '" + std::string(credential) +
                         "' is no longer held (its lease ran out, or a new token was saved)",
                     "claim_lost");
}
}  // namespace

Result<std::vector<ProviderCheck>> SqliteStore::claimProviderChecks(std::string_view owner, Timestamp now_at,
                                                                    std::chrono::milliseconds lease, std::size_t limit) {
    using Out = std::vector<ProviderCheck>;
    return guarded("claiming provider tokens to re-check", [&]() -> Result<Out> {
        requireText(owner, "owner");
        if (lease.count() <= 0) raise(ErrorKind::invalid_input, "the lease must be positive", "bad_lease");
        const std::int64_t t = toUnixMillis(now_at);
        auto c = pool_.acquire();
        Transaction tx(*c);
        // One statement decides and takes the claim under the write lock.
        Statement s = c->prepare(
            "UPDATE provider_settings SET check_owner = ?1, check_lease_until = ?2 WHERE rowid IN ("
            " SELECT rowid FROM provider_settings WHERE next_check_at <= ?3"
            " AND (check_owner IS NULL OR check_lease_until <= ?3) ORDER BY next_check_at LIMIT ?4)"
            " RETURNING team_id, provider, base_url, token_sealed, status, invalid_reason,"
            " (SELECT slug FROM teams WHERE teams.id = provider_settings.team_id), name");
        s.bind(1, owner).bind(2, t + lease.count()).bind(3, t).bind(4, static_cast<std::int64_t>(limit));
        Out claimed;
        std::vector<ProviderCheck> unreadable;
        while (s.step()) {
            ProviderCheck check;
            check.team_id = s.int64(0);
            check.provider = s.text(1);
            check.name = s.text(7);
            check.credentials.base_url = s.text(2);
            auto token = box_->open(s.text(3), providerTokenLabel(check.team_id, check.provider, check.name));
            if (!token) {
                // Sealed under another key: nobody can check it; leave it to rekey or a new save.
                unreadable.push_back(std::move(check));
                continue;
            }
            check.credentials.token = std::move(token).value();
            check.status = s.text(4) == "invalid" ? ProviderStatus::invalid : ProviderStatus::active;
            check.invalid_reason = s.text(5);
            check.team_slug = s.text(6);
            claimed.push_back(std::move(check));
        }
        for (const auto& skipped : unreadable) {
            c->prepare("UPDATE provider_settings SET check_owner = NULL, check_lease_until = NULL "
                       "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
                .bind(1, skipped.team_id)
                .bind(2, skipped.provider)
                .bind(3, skipped.name)
                .run();
        }
        tx.commit();
        return claimed;
    });
}

Result<ProviderCheckChange> SqliteStore::completeProviderCheck(const ProviderCheckOutcome& out, std::string_view owner) {
    return guarded("recording a provider token check", [&]() -> Result<ProviderCheckChange> {
        requireId(out.team_id, "team id");
        requireText(out.provider, "provider");
        requireText(out.name, "credential name");
        requireText(owner, "owner");
        if (!out.valid) requireText(out.invalid_reason, "invalid reason");
        auto c = pool_.acquire();
        Transaction tx(*c);
        ProviderCheckChange change;
        {
            Statement before = c->prepare("SELECT status, invalid_reason FROM provider_settings "
                                          "WHERE team_id = ?1 AND provider = ?2 AND check_owner = ?3 AND name = ?4");
            before.bind(1, out.team_id).bind(2, out.provider).bind(3, owner).bind(4, out.name);
            if (!before.step()) return checkClaimLost(out.team_id, out.provider, out.name);
            change.status_before = before.text(0) == "invalid" ? ProviderStatus::invalid : ProviderStatus::active;
            change.reason_before = before.text(1);
        }
        const std::int64_t t = toUnixMillis(now());
        if (out.valid) {
            const auto& in = out.refreshed;
            c->prepare("UPDATE provider_settings SET instance = ?3, kind = ?4, identity = ?5, scopes = ?6, "
                       "expires_at = ?7, warnings = ?8, access = ?9, status = 'active', invalid_reason = '', "
                       "invalid_notified_at = NULL, checked_at = ?10, next_check_at = ?11, check_owner = NULL, "
                       "check_lease_until = NULL, updated_at = CASE WHEN status = 'active' THEN updated_at ELSE ?10 END "
                       "WHERE team_id = ?1 AND provider = ?2 AND name = ?12")
                .bind(1, out.team_id)
                .bind(2, out.provider)
                .bind(3, in.instance)
                .bind(4, toString(in.kind))
                .bind(5, identityJson(in.identity))
                .bind(6, json(in.scopes).dump())
                .bind(7, in.expires_at)
                .bind(8, warningsJson(in.warnings))
                .bind(9, accessJson(in))
                .bind(10, t)
                .bind(11, toUnixMillis(out.next_check_at))
                .bind(12, out.name)
                .run();
        } else {
            c->prepare("UPDATE provider_settings SET status = 'invalid', "
                       "invalid_notified_at = CASE WHEN invalid_reason = ?3 THEN invalid_notified_at ELSE NULL END, "
                       "updated_at = CASE WHEN status = 'invalid' AND invalid_reason = ?3 THEN updated_at ELSE ?4 END, "
                       "invalid_reason = ?3, checked_at = ?4, next_check_at = ?5, check_owner = NULL, "
                       "check_lease_until = NULL WHERE team_id = ?1 AND provider = ?2 AND name = ?6")
                .bind(1, out.team_id)
                .bind(2, out.provider)
                .bind(3, out.invalid_reason)
                .bind(4, t)
                .bind(5, toUnixMillis(out.next_check_at))
                .bind(6, out.name)
                .run();
        }
        change.after = one<ProviderSettings>(
            c->prepare(sql({"SELECT ", kSettingsColumns,
                            " FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3"}))
                .bind(1, out.team_id)
                .bind(2, out.provider)
                .bind(3, out.name),
            readSettings, ErrorKind::internal, "the checked provider settings vanished");
        tx.commit();
        return change;
    });
}

Result<void> SqliteStore::releaseProviderCheck(std::int64_t team_id, std::string_view provider, std::string_view owner,
                                               Timestamp next_check_at, std::string_view credential) {
    return guarded("releasing a provider token check", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("UPDATE provider_settings SET check_owner = NULL, check_lease_until = NULL, next_check_at = ?4 "
                   "WHERE team_id = ?1 AND provider = ?2 AND check_owner = ?3 AND name = ?5")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, owner)
            .bind(4, toUnixMillis(next_check_at))
            .bind(5, credential)
            .run();
        if (c->changes() == 0) return checkClaimLost(team_id, provider, credential);
        return {};
    });
}

Result<std::vector<ExpiryReminder>> SqliteStore::claimExpiryReminders(std::string_view today, std::string_view horizon) {
    return guarded("claiming token expiry reminders", [&]() -> Result<std::vector<ExpiryReminder>> {
        requireText(today, "today");
        requireText(horizon, "horizon");
        auto c = pool_.acquire();
        // "YYYY-MM-DD" strings order like the dates they name.
        return all<ExpiryReminder>(
            c->prepare("UPDATE provider_settings SET expiry_reminded_on = ?1 WHERE expires_at IS NOT NULL "
                       "AND expires_at <= ?2 AND expiry_reminded_on <> ?1 RETURNING team_id, "
                       "(SELECT slug FROM teams WHERE teams.id = provider_settings.team_id), provider, expires_at, name")
                .bind(1, today)
                .bind(2, horizon),
            [](const Statement& st) {
                return ExpiryReminder{st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4)};
            });
    });
}

Result<void> SqliteStore::deleteProviderSettings(std::int64_t team_id, std::string_view provider,
                                                 std::string_view credential) {
    return guarded("deleting provider settings", [&]() -> Result<void> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("DELETE FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, credential)
            .run();
        const bool deleted = c->changes() > 0;
        // The rotation setting belongs to the token: a new token starts without one.
        c->prepare("DELETE FROM provider_rotations WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, credential)
            .run();
        tx.commit();
        if (!deleted) return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
        return {};
    });
}

// ---- projects --------------------------------------------------------------------------------

Result<Project> SqliteStore::createProject(std::int64_t team_id, std::string_view slug, std::string_view name) {
    return guarded("creating project " + inQuotes(slug) + " in team " + std::to_string(team_id), [&]() -> Result<Project> {
        requireText(slug, "project slug");
        requireText(name, "project name");
        auto c = pool_.acquire();
        return one<Project>(c->prepare(sql({"INSERT INTO projects (team_id, name, slug, created_at) VALUES (?1, ?2, ?3, ?4) "
                                            "RETURNING ",
                                            kProjectColumns}))
                                .bind(1, team_id)
                                .bind(2, name)
                                .bind(3, slug)
                                .bind(4, toUnixMillis(now())),
                            readProject, ErrorKind::internal, "creating project returned no row");
    });
}

Result<Project> SqliteStore::project(std::int64_t project_id) {
    return guarded("reading project", [&]() -> Result<Project> {
        auto c = pool_.acquire();
        return one<Project>(c->prepare(sql({"SELECT ", kProjectColumns, " FROM projects WHERE id = ?1"})).bind(1, project_id),
                            readProject, ErrorKind::not_found, "project " + std::to_string(project_id) + " does not exist");
    });
}

Result<Project> SqliteStore::findProjectBySlug(std::int64_t team_id, std::string_view slug) {
    return guarded("finding project", [&]() -> Result<Project> {
        auto c = pool_.acquire();
        return one<Project>(
            c->prepare(sql({"SELECT ", kProjectColumns, " FROM projects WHERE team_id = ?1 AND slug = ?2"}))
                .bind(1, team_id)
                .bind(2, slug),
            readProject, ErrorKind::not_found,
            "team " + std::to_string(team_id) + " has no project with slug " + inQuotes(slug));
    });
}

Result<std::vector<Project>> SqliteStore::listProjects(std::int64_t team_id) {
    return guarded("listing projects", [&]() -> Result<std::vector<Project>> {
        auto c = pool_.acquire();
        return all<Project>(
            c->prepare(sql({"SELECT ", kProjectColumns, " FROM projects WHERE team_id = ?1 ORDER BY slug"})).bind(1, team_id),
            readProject);
    });
}

Result<Project> SqliteStore::renameProject(std::int64_t project_id, std::string_view name) {
    return guarded("renaming project", [&]() -> Result<Project> {
        requireText(name, "project name");
        auto c = pool_.acquire();
        return one<Project>(c->prepare(sql({"UPDATE projects SET name = ?2 WHERE id = ?1 RETURNING ", kProjectColumns}))
                                .bind(1, project_id)
                                .bind(2, name),
                            readProject, ErrorKind::not_found, "project " + std::to_string(project_id) + " does not exist");
    });
}

Result<void> SqliteStore::deleteProject(std::int64_t project_id) {
    return guarded("deleting project", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM projects WHERE id = ?1").bind(1, project_id).run();
        if (c->changes() == 0) {
            return makeError(ErrorKind::not_found, "project " + std::to_string(project_id) + " does not exist", "not_found");
        }
        return {};
    });
}

Result<RepositoryLink> SqliteStore::linkRepository(const RepositoryLink& link) {
    return guarded("linking project " + std::to_string(link.project_id) + " to a repository",
                   [&]() -> Result<RepositoryLink> {
                       requireId(link.project_id, "project id");
                       requireText(link.provider, "provider");
                       requireText(link.instance, "instance");
                       requireText(link.repository_id, "repository id");
                       requireText(link.status_context, "status context");
                       requireText(link.credential, "credential name");
                       auto c = pool_.acquire();
                       return one<RepositoryLink>(
                           c->prepare(sql({"INSERT INTO repository_links (project_id, provider, instance, repository_id, "
                                           "full_path, web_url, status_context, linked_at, credential) VALUES (?1, ?2, ?3, "
                                           "?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (project_id) DO UPDATE SET "
                                           "provider = excluded.provider, "
                                           "instance = excluded.instance, repository_id = excluded.repository_id, "
                                           "full_path = excluded.full_path, web_url = excluded.web_url, "
                                           "status_context = excluded.status_context, linked_at = excluded.linked_at, "
                                           "credential = excluded.credential RETURNING ",
                                           kLinkColumns}))
                               .bind(1, link.project_id)
                               .bind(2, link.provider)
                               .bind(3, link.instance)
                               .bind(4, link.repository_id)
                               .bind(5, link.full_path)
                               .bind(6, link.web_url)
                               .bind(7, link.status_context)
                               .bind(8, toUnixMillis(now()))
                               .bind(9, link.credential),
                           readLink, ErrorKind::internal, "linking returned no row");
                   });
}

Result<RepositoryLink> SqliteStore::repositoryLink(std::int64_t project_id) {
    return guarded("reading repository link", [&]() -> Result<RepositoryLink> {
        auto c = pool_.acquire();
        return one<RepositoryLink>(
            c->prepare(sql({"SELECT ", kLinkColumns, " FROM repository_links WHERE project_id = ?1"})).bind(1, project_id),
            readLink, ErrorKind::not_found, "project " + std::to_string(project_id) + " is not linked to a repository");
    });
}

Result<void> SqliteStore::unlinkRepository(std::int64_t project_id) {
    return guarded("unlinking repository", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM repository_links WHERE project_id = ?1").bind(1, project_id).run();
        if (c->changes() == 0) {
            return makeError(ErrorKind::not_found, "project " + std::to_string(project_id) + " is not linked to a repository",
                             "not_found");
        }
        return {};
    });
}

Result<std::vector<RepositoryLink>> SqliteStore::findLinksToRepository(std::string_view provider, std::string_view instance,
                                                                      std::string_view repository_id) {
    return guarded("finding links to a repository", [&]() -> Result<std::vector<RepositoryLink>> {
        auto c = pool_.acquire();
        return all<RepositoryLink>(
            c->prepare(sql({"SELECT ", kLinkColumns,
                            " FROM repository_links WHERE provider = ?1 AND instance = ?2 AND repository_id = ?3 "
                            "ORDER BY project_id"}))
                .bind(1, provider)
                .bind(2, instance)
                .bind(3, repository_id),
            readLink);
    });
}

Result<std::vector<ProjectWithLink>> SqliteStore::listProjectsWithLinks(std::int64_t team_id) {
    return guarded("listing projects with their repositories", [&]() -> Result<std::vector<ProjectWithLink>> {
        auto c = pool_.acquire();
        return readProjectsWithLinks(*c, team_id);
    });
}

Result<std::int64_t> SqliteStore::projectListVersion(std::int64_t team_id) {
    return guarded("reading the project list version", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        return readListVersion(*c, team_id);
    });
}

Result<ProjectListing> SqliteStore::projectListing(std::int64_t team_id) {
    return guarded("reading the project listing of team " + std::to_string(team_id), [&]() -> Result<ProjectListing> {
        auto c = pool_.acquire();
        // A deferred transaction is one WAL snapshot: a write committed between the reads cannot
        // pair an old version with new rows (a cache would then keep stale rows under a current
        // version forever).
        Transaction tx(*c, Transaction::Mode::deferred);
        ProjectListing listing;
        listing.version = readListVersion(*c, team_id);
        listing.team_slug = one<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams WHERE id = ?1"})).bind(1, team_id),
                                      readTeam, ErrorKind::not_found, "team " + std::to_string(team_id) + " does not exist")
                                .slug;
        listing.rows = readProjectsWithLinks(*c, team_id);
        tx.commit();
        return listing;
    });
}

// ---- builds and the outbox -------------------------------------------------------------------

namespace {

// Enqueues one feedback task of (build_id, build_version) under the outbox's rules: it replaces
// the waiting task of its key in place when that is an older version of the same build, and marks
// an older build's waiting task 'superseded'; behind a newer waiting change it is dropped;
// otherwise it is a new row (after whatever of its key is in flight), paused when the team's
// feedback through that provider is. Returns the row it went into, if any.
std::optional<std::int64_t> enqueueTask(Connection& connection, const NewFeedbackTask& task, std::int64_t build_id,
                                        std::int64_t build_version, std::int64_t t) {
    Connection* c = &connection;
    const std::string key = coalesceKey(task.key);
    const std::string payload = task.payload.dump();
    // Replace the waiting task of this key unless it is newer than this change: in place when it is
    // this build's own (an older version of it); a waiting task of an older build ends 'superseded'
    // there, so that build still shows what became of its feedback, and this change gets a task of
    // its own.
    {
        Statement s = c->prepare(
            "UPDATE feedback_tasks SET team_id = ?2, payload = ?3, build_version = ?5, "
            "last_error = '', updated_at = ?6 WHERE coalesce_key = ?1 AND state IN ('pending', 'paused') "
            "AND build_id = ?4 AND build_version <= ?5 RETURNING id");
        s.bind(1, key).bind(2, task.team_id).bind(3, payload).bind(4, build_id);
        s.bind(5, build_version).bind(6, t);
        if (s.step()) {
            return s.int64(0);
        }
    }
    c->prepare("UPDATE feedback_tasks SET state = 'superseded', next_attempt_at = ?3, "
               "last_error = 'superseded by build ' || ?2 || ' before it was delivered', "
               "updated_at = ?3 WHERE coalesce_key = ?1 AND state IN ('pending', 'paused') "
               "AND build_id < ?2")
        .bind(1, key)
        .bind(2, build_id)
        .bind(3, t)
        .run();
    if (c->prepare("SELECT 1 FROM feedback_tasks WHERE coalesce_key = ?1 AND state IN ('pending', 'paused')")
            .bind(1, key)
            .step()) {
        return std::nullopt;  // a newer change of this key is already waiting
    }
    Statement s = c->prepare(
        "INSERT INTO feedback_tasks (team_id, provider, instance, repository_id, commit_sha, context, "
        "kind, mr_number, coalesce_key, payload, build_id, build_version, state, attempts, "
        "next_attempt_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, 0, ?14, ?14, ?14) RETURNING id");
    s.bind(1, task.team_id)
        .bind(2, task.key.provider)
        .bind(3, task.key.instance)
        .bind(4, task.key.repository_id)
        .bind(5, task.key.commit_sha)
        .bind(6, task.key.context)
        .bind(7, toString(task.key.kind))
        .bind(8, task.key.mr_number)
        .bind(9, key)
        .bind(10, payload)
        .bind(11, build_id)
        .bind(12, build_version)
        .bind(13, feedbackPaused(*c, task.team_id, task.key.provider) ? "paused" : "pending")
        .bind(14, t);
    s.step();
    return s.int64(0);
}

}  // namespace

Result<RecordedBuild> SqliteStore::recordBuildChange(const BuildChange& change) {
    const BuildInput& in = change.build;
    return guarded(in.id == 0 ? std::string("recording a new build") : "recording a change of build " + std::to_string(in.id),
                   [&]() -> Result<RecordedBuild> {
                       requireId(in.project_id, "project id");
                       requireText(in.commit_sha, "commit sha");
                       for (const auto& task : change.tasks) {
                           requireId(task.team_id, "feedback task team id");
                           requireText(task.key.provider, "feedback task provider");
                           requireText(task.key.instance, "feedback task instance");
                           requireText(task.key.repository_id, "feedback task repository id");
                           requireText(task.key.commit_sha, "feedback task commit sha");
                           // A comment task without an MR number is allowed: the dispatcher then
                           // comments on the open merge requests of the commit, as the forge knows them.
                       }
                       const std::int64_t t = toUnixMillis(now());
                       RecordedBuild out{};
                       writes_.run([&](Connection& shared) {
                           Connection* c = &shared;
                           std::int64_t build_id = in.id;
                           if (build_id == 0) {
                               Statement s = c->prepare(
                                   "INSERT INTO builds (project_id, commit_sha, branch, mr_number, head_sha, state, stats, url, "
                                   "created_at, updated_at, version, timed_out_at, timed_out_after) VALUES (?1, ?2, ?3, ?4, ?5, "
                                   "?6, ?7, ?8, ?9, ?9, 1, CASE WHEN ?10 IS NULL THEN NULL ELSE ?9 END, ?10) RETURNING id");
                               s.bind(1, in.project_id)
                                   .bind(2, in.commit_sha)
                                   .bind(3, in.branch)
                                   .bind(4, in.mr_number)
                                   .bind(5, in.head_sha)
                                   .bind(6, toString(in.state))
                                   .bind(7, statsJson(in.stats))
                                   .bind(8, in.url)
                                   .bind(9, t)
                                   .bind(10, in.timed_out_after_seconds);
                               s.step();
                               build_id = s.int64(0);
                           } else {
                               const Build current = loadBuild(*c, build_id);
                               if (current.project_id != in.project_id) {
                                   raise(ErrorKind::invalid_input,
                                         "build " + std::to_string(build_id) + " belongs to project " +
                                             std::to_string(current.project_id) + ", not " + std::to_string(in.project_id),
                                         "wrong_project");
                               }
                               if (in.expected_version && *in.expected_version != current.version) {
                                   raise(ErrorKind::conflict,
                                         "build " + std::to_string(build_id) + " is at version " +
                                             std::to_string(current.version) + ", not " + std::to_string(*in.expected_version) +
                                             " as expected; reload it and retry",
                                         "version_mismatch");
                               }
                               // A change made by the build timeout records when; any other change clears it.
                               c->prepare("UPDATE builds SET commit_sha = ?2, branch = ?3, mr_number = ?4, head_sha = ?5, "
                                          "state = ?6, stats = ?7, url = ?8, updated_at = ?9, version = version + 1, "
                                          "timed_out_at = CASE WHEN ?10 IS NULL THEN NULL ELSE ?9 END, timed_out_after = ?10 "
                                          "WHERE id = ?1")
                                   .bind(1, build_id)
                                   .bind(2, in.commit_sha)
                                   .bind(3, in.branch)
                                   .bind(4, in.mr_number)
                                   .bind(5, in.head_sha)
                                   .bind(6, toString(in.state))
                                   .bind(7, statsJson(in.stats))
                                   .bind(8, in.url)
                                   .bind(9, t)
                                   .bind(10, in.timed_out_after_seconds)
                                   .run();
                           }
                           RecordedBuild recorded{loadBuild(*c, build_id), {}};
                           std::vector<std::int64_t> task_ids;
                           for (const auto& task : change.tasks) {
                               if (auto id = enqueueTask(*c, task, build_id, recorded.build.version, t)) task_ids.push_back(*id);
                           }
                           std::sort(task_ids.begin(), task_ids.end());
                           task_ids.erase(std::unique(task_ids.begin(), task_ids.end()), task_ids.end());
                           for (std::int64_t id : task_ids) recorded.tasks.push_back(loadTask(*c, id));
                           out = std::move(recorded);
                       });
                       return out;
                   });
}

Result<Build> SqliteStore::build(std::int64_t build_id) {
    return guarded("reading build", [&]() -> Result<Build> {
        auto c = pool_.acquire();
        return loadBuild(*c, build_id);
    });
}

Result<std::vector<Build>> SqliteStore::listBuilds(std::int64_t project_id, std::size_t limit, std::int64_t before_id) {
    return guarded("listing builds", [&]() -> Result<std::vector<Build>> {
        auto c = pool_.acquire();
        return all<Build>(c->prepare(sql({"SELECT ", kBuildColumns,
                                          " FROM builds WHERE project_id = ?1 AND (?2 <= 0 OR id < ?2) ORDER BY id DESC LIMIT ?3"}))
                              .bind(1, project_id)
                              .bind(2, before_id)
                              .bind(3, static_cast<std::int64_t>(limit)),
                          readBuild);
    });
}

Result<std::vector<Build>> SqliteStore::unfinishedBuilds(Timestamp created_before, std::size_t limit) {
    return guarded("listing unfinished builds", [&]() -> Result<std::vector<Build>> {
        auto c = pool_.acquire();
        return all<Build>(c->prepare(sql({"SELECT ", kBuildColumns,
                                          " FROM builds WHERE state IN ('queued', 'in_progress') AND created_at < ?1 "
                                          "ORDER BY created_at, id LIMIT ?2"}))
                              .bind(1, toUnixMillis(created_before))
                              .bind(2, static_cast<std::int64_t>(limit)),
                          readBuild);
    });
}

Result<std::string> SqliteStore::recordMergeRequestHead(std::int64_t build_id, std::string_view head_sha) {
    return guarded("remembering the merge request head of build " + std::to_string(build_id), [&]() -> Result<std::string> {
        requireText(head_sha, "merge request head sha");
        std::string stored;
        writes_.run([&](Connection& c) {
            c.prepare("UPDATE builds SET mr_head_sha = ?2 WHERE id = ?1 AND mr_head_sha = ''").bind(1, build_id).bind(2, head_sha).run();
            stored = loadBuild(c, build_id).mr_head_sha;
        });
        return stored;
    });
}

Result<std::vector<FeedbackTask>> SqliteStore::claimDueTasks(std::string_view owner, Timestamp now_at,
                                                             std::chrono::milliseconds lease, std::size_t limit) {
    return guarded("claiming feedback tasks", [&]() -> Result<std::vector<FeedbackTask>> {
        requireText(owner, "lease owner");
        if (lease.count() <= 0) raise(ErrorKind::invalid_input, "the lease must be positive", "bad_lease");
        const std::int64_t t = toUnixMillis(now_at);
        std::vector<FeedbackTask> out{};
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            // Each statement decides and takes the lease under the database write lock: two
            // dispatchers (threads or processes) can never both get the same row. Leases that ran
            // out come first (they are the oldest work), then due tasks whose key has nothing in
            // flight. Two statements, not one with OR: apart, the due tasks are read in the order
            // of feedback_tasks_due and the read stops at the limit; an OR made SQLite gather and
            // sort every due task of the backlog on each claim.
            auto take = [&](const char* which, std::int64_t room) {
                return all<FeedbackTask>(
                    c->prepare(sql({"UPDATE feedback_tasks SET state = 'in_flight', lease_owner = ?1, lease_expires_at = ?2, "
                                    "attempts = attempts + 1, updated_at = ?3 WHERE id IN (SELECT t.id FROM feedback_tasks t WHERE ",
                                    which, " ORDER BY t.next_attempt_at, t.id LIMIT ?4) RETURNING ", kTaskColumns}))
                        .bind(1, owner)
                        .bind(2, t + lease.count())
                        .bind(3, t)
                        .bind(4, room),
                    readTask);
            };
            out = take("t.state = 'in_flight' AND t.lease_expires_at <= ?3", static_cast<std::int64_t>(limit));
            if (out.size() < limit) {
                auto due = take("t.state = 'pending' AND t.next_attempt_at <= ?3 AND NOT EXISTS ("
                                "SELECT 1 FROM feedback_tasks o WHERE o.coalesce_key = t.coalesce_key AND o.state = 'in_flight')",
                                static_cast<std::int64_t>(limit - out.size()));
                std::move(due.begin(), due.end(), std::back_inserter(out));
            }
        });
        std::sort(out.begin(), out.end(), [](const FeedbackTask& a, const FeedbackTask& b) {
            return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at : a.id < b.id;
        });
        return out;
    });
}

Result<bool> SqliteStore::isSuperseded(const FeedbackTask& task) {
    return guarded("checking feedback order", [&]() -> Result<bool> {
        auto c = pool_.acquire();
        return c->prepare("SELECT 1 FROM feedback_delivered WHERE coalesce_key = ?1 AND (build_id, build_version) > (?2, ?3)")
            .bind(1, coalesceKey(task.key))
            .bind(2, task.build_id)
            .bind(3, task.build_version)
            .step();
    });
}

Result<void> SqliteStore::completeTask(std::int64_t task_id, std::string_view owner, const TaskCompletion& completion) {
    return guarded("completing " + taskLabel(task_id), [&]() -> Result<void> {
        const std::int64_t t = toUnixMillis(now());
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            const FeedbackTask task = requireLease(*c, task_id, owner);
            json result = completion.result;
            if (!completion.comment_id.empty()) result["comment_id"] = completion.comment_id;
            // The dispatcher completes a task whose key already went out for a newer build with
            // {"superseded": true}: it ends 'superseded', not 'done'.
            const bool superseded = result.is_object() && result.value("superseded", false);
            c->prepare("UPDATE feedback_tasks SET state = ?4, result = ?2, last_error = '', lease_owner = NULL, "
                       "lease_expires_at = NULL, updated_at = ?3 WHERE id = ?1")
                .bind(1, task_id)
                .bind(2, result.dump())
                .bind(3, t)
                .bind(4, superseded ? "superseded" : "done")
                .run();
            // Remember the newest delivered version; an older one never moves it back.
            c->prepare("INSERT INTO feedback_delivered (coalesce_key, build_id, build_version, delivered_at) VALUES (?1, ?2, ?3, ?4) "
                       "ON CONFLICT (coalesce_key) DO UPDATE SET build_id = excluded.build_id, "
                       "build_version = excluded.build_version, delivered_at = excluded.delivered_at "
                       "WHERE (excluded.build_id, excluded.build_version) > (feedback_delivered.build_id, feedback_delivered.build_version)")
                .bind(1, coalesceKey(task.key))
                .bind(2, task.build_id)
                .bind(3, task.build_version)
                .bind(4, t)
                .run();
            for (const auto& follow_up : completion.follow_ups) {
                requireText(follow_up.key.commit_sha, "follow-up task commit sha");
                enqueueTask(*c, follow_up, task.build_id, task.build_version, t);
            }
            if (!completion.comment_id.empty() && !task.key.mr_number.empty()) {
                c->prepare("INSERT INTO mr_comments (provider, instance, repository_id, mr_number, comment_id, updated_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (provider, instance, repository_id, mr_number) "
                           "DO UPDATE SET comment_id = excluded.comment_id, updated_at = excluded.updated_at")
                    .bind(1, task.key.provider)
                    .bind(2, task.key.instance)
                    .bind(3, task.key.repository_id)
                    .bind(4, task.key.mr_number)
                    .bind(5, completion.comment_id)
                    .bind(6, t)
                    .run();
            }
        });
        return {};
    });
}

Result<RetryOutcome> SqliteStore::retryTask(std::int64_t task_id, std::string_view owner, Timestamp next_attempt_at,
                                            std::string_view error) {
    return guarded("rescheduling " + taskLabel(task_id), [&]() -> Result<RetryOutcome> {
        const std::int64_t t = toUnixMillis(now());
        RetryOutcome out{};
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            const FeedbackTask task = requireLease(*c, task_id, owner);
            RetryOutcome outcome = RetryOutcome::scheduled;
            std::string state = "pending";
            std::string last_error(error);
            Statement waiting = c->prepare(
                "SELECT id FROM feedback_tasks WHERE coalesce_key = ?1 AND state IN ('pending', 'paused') AND id <> ?2");
            waiting.bind(1, coalesceKey(task.key)).bind(2, task_id);
            if (waiting.step()) {
                // A newer change of the same feedback is queued; retrying this one would only be overwritten.
                outcome = RetryOutcome::superseded;
                state = "superseded";
                last_error = "superseded by " + taskLabel(waiting.int64(0)) + " after: " + last_error;
            } else if (feedbackPaused(*c, task.team_id, task.key.provider)) {
                outcome = RetryOutcome::paused;
                state = "paused";
            }
            waiting.run();
            c->prepare("UPDATE feedback_tasks SET state = ?2, next_attempt_at = ?3, last_error = ?4, lease_owner = NULL, "
                       "lease_expires_at = NULL, updated_at = ?5 WHERE id = ?1")
                .bind(1, task_id)
                .bind(2, state)
                .bind(3, toUnixMillis(next_attempt_at))
                .bind(4, last_error)
                .bind(5, t)
                .run();
            out = outcome;
        });
        return out;
    });
}

Result<void> SqliteStore::failTask(std::int64_t task_id, std::string_view owner, std::string_view error) {
    return guarded("failing " + taskLabel(task_id), [&]() -> Result<void> {
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            requireLease(*c, task_id, owner);
            c->prepare("UPDATE feedback_tasks SET state = 'failed', last_error = ?2, lease_owner = NULL, lease_expires_at = NULL, "
                       "updated_at = ?3 WHERE id = ?1")
                .bind(1, task_id)
                .bind(2, error)
                .bind(3, toUnixMillis(now()))
                .run();
        });
        return {};
    });
}

Result<std::int64_t> SqliteStore::pauseTasksForTeam(std::int64_t team_id, std::string_view provider, std::string_view reason) {
    return guarded("pausing feedback of team " + std::to_string(team_id), [&]() -> Result<std::int64_t> {
        requireText(provider, "provider");
        requireText(reason, "reason");
        const std::int64_t t = toUnixMillis(now());
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("INSERT INTO feedback_pauses (team_id, provider, reason, paused_at) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT (team_id, provider) DO UPDATE SET reason = excluded.reason")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, reason)
            .bind(4, t)
            .run();
        c->prepare("UPDATE feedback_tasks SET state = 'paused', updated_at = ?3 "
                   "WHERE team_id = ?1 AND provider = ?2 AND state = 'pending'")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, t)
            .run();
        const std::int64_t paused = c->changes();
        tx.commit();
        return paused;
    });
}

Result<std::int64_t> SqliteStore::resumeTasksForTeam(std::int64_t team_id, std::string_view provider, Timestamp now_at) {
    return guarded("resuming feedback of team " + std::to_string(team_id), [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("DELETE FROM feedback_pauses WHERE team_id = ?1 AND provider = ?2").bind(1, team_id).bind(2, provider).run();
        c->prepare("UPDATE feedback_tasks SET state = 'pending', next_attempt_at = ?3, updated_at = ?3 "
                   "WHERE team_id = ?1 AND provider = ?2 AND state = 'paused'")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, toUnixMillis(now_at))
            .run();
        const std::int64_t resumed = c->changes();
        tx.commit();
        return resumed;
    });
}

Result<std::optional<std::string>> SqliteStore::feedbackPause(std::int64_t team_id, std::string_view provider) {
    return guarded("reading feedback pause", [&]() -> Result<std::optional<std::string>> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT reason FROM feedback_pauses WHERE team_id = ?1 AND provider = ?2");
        s.bind(1, team_id).bind(2, provider);
        if (!s.step()) return std::optional<std::string>();
        return std::optional<std::string>(s.text(0));
    });
}

Result<FeedbackTask> SqliteStore::feedbackTask(std::int64_t task_id) {
    return guarded("reading " + taskLabel(task_id), [&]() -> Result<FeedbackTask> {
        auto c = pool_.acquire();
        return loadTask(*c, task_id);
    });
}

Result<std::vector<FeedbackTask>> SqliteStore::listTasksOfBuild(std::int64_t build_id) {
    return guarded("listing feedback tasks", [&]() -> Result<std::vector<FeedbackTask>> {
        auto c = pool_.acquire();
        return all<FeedbackTask>(
            c->prepare(sql({"SELECT ", kTaskColumns, " FROM feedback_tasks WHERE build_id = ?1 ORDER BY id"})).bind(1, build_id),
            readTask);
    });
}

Result<TaskCounts> SqliteStore::countTasks() {
    return guarded("counting feedback tasks", [&]() -> Result<TaskCounts> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT state, count(*) FROM feedback_tasks GROUP BY state");
        TaskCounts counts;
        while (s.step()) {
            const std::int64_t n = s.int64(1);
            switch (parseTaskState(s.text(0))) {
                case TaskState::pending: counts.pending = n; break;
                case TaskState::in_flight: counts.in_flight = n; break;
                case TaskState::done: counts.done = n; break;
                case TaskState::failed: counts.failed = n; break;
                case TaskState::paused: counts.paused = n; break;
                case TaskState::superseded: counts.superseded = n; break;
            }
        }
        return counts;
    });
}

Result<std::vector<std::string>> SqliteStore::leaseOwners() {
    return guarded("listing lease owners", [&]() -> Result<std::vector<std::string>> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT DISTINCT lease_owner FROM feedback_tasks WHERE state = 'in_flight' "
                                 "AND lease_owner IS NOT NULL ORDER BY lease_owner");
        std::vector<std::string> owners;
        while (s.step()) owners.push_back(s.text(0));
        return owners;
    });
}

Result<std::int64_t> SqliteStore::expireLeases(std::string_view owner, Timestamp now_at) {
    return guarded("ending the leases of " + inQuotes(owner), [&]() -> Result<std::int64_t> {
        requireText(owner, "lease owner");
        std::int64_t changed = 0;
        writes_.run([&](Connection& c) {
            c.prepare("UPDATE feedback_tasks SET lease_expires_at = ?2 WHERE state = 'in_flight' AND lease_owner = ?1")
                .bind(1, owner)
                .bind(2, toUnixMillis(now_at))
                .run();
            changed = c.changes();
        });
        return changed;
    });
}

Result<std::int64_t> SqliteStore::purgeFinishedTasks(Timestamp before) {
    return guarded("purging finished feedback tasks", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM feedback_tasks WHERE state IN ('done', 'failed', 'superseded') AND updated_at < ?1")
            .bind(1, toUnixMillis(before))
            .run();
        return c->changes();
    });
}

Result<std::optional<std::string>> SqliteStore::knownCommentId(std::string_view provider, std::string_view instance,
                                                               std::string_view repository_id, std::string_view mr_number) {
    return guarded("reading the known comment id", [&]() -> Result<std::optional<std::string>> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT comment_id FROM mr_comments WHERE provider = ?1 AND instance = ?2 "
                                 "AND repository_id = ?3 AND mr_number = ?4");
        s.bind(1, provider).bind(2, instance).bind(3, repository_id).bind(4, mr_number);
        if (!s.step()) return std::optional<std::string>();
        return std::optional<std::string>(s.text(0));
    });
}

// ---- key rotation ----------------------------------------------------------------------------

Result<std::int64_t> SqliteStore::rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) {
    return guarded("re-sealing secrets", [&]() -> Result<std::int64_t> {
        if (old_box.keyId() == new_box.keyId()) {
            raise(ErrorKind::invalid_input, "the old and new keys are the same key (" + old_box.keyId() + ")", "same_key");
        }
        auto c = pool_.acquire();
        Transaction tx(*c);
        std::int64_t resealed = 0;
        // Re-seals one value; values already under the new key stay (a rerun after success is a no-op).
        auto reseal = [&](const std::string& sealed, const std::string& label) -> std::optional<std::string> {
            auto key_id = secrets::sealedKeyId(sealed);
            if (!key_id) throw ErrorException{key_id.error()};
            if (key_id.value() == new_box.keyId()) return std::nullopt;
            std::string plain = openOrRaise(old_box, sealed, label);
            std::string again = new_box.seal(plain, label);
            sodium_memzero(plain.data(), plain.size());  // std::fill may be optimised away
            ++resealed;
            return again;
        };
        struct Row {
            std::int64_t id = 0;
            std::string text_key;
            std::string first;
            std::optional<std::string> second;
        };
        // Read each table fully before writing it: updating rows under an open cursor is undefined order.
        std::vector<Row> rows = all<Row>(c->prepare("SELECT team_id, provider, token_sealed, name FROM provider_settings"),
                                         [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), s.text(3)}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, providerTokenLabel(row.id, row.text_key, *row.second))) {
                c->prepare("UPDATE provider_settings SET token_sealed = ?3 WHERE team_id = ?1 AND provider = ?2 AND name = ?4")
                    .bind(1, row.id)
                    .bind(2, row.text_key)
                    .bind(3, *again)
                    .bind(4, *row.second)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT 0, state, code_verifier_sealed FROM oauth_states"),
                        [](const Statement& s) { return Row{0, s.text(1), s.text(2), {}}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, codeVerifierLabel(row.text_key))) {
                c->prepare("UPDATE oauth_states SET code_verifier_sealed = ?2 WHERE state = ?1")
                    .bind(1, row.text_key)
                    .bind(2, *again)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT user_id, provider, access_token_sealed, refresh_token_sealed FROM user_tokens"),
                        [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), s.optionalText(3)}; });
        for (const Row& row : rows) {
            auto access = reseal(row.first, userTokenLabel(row.id, row.text_key, "access_token"));
            std::optional<std::string> refresh;
            if (row.second) refresh = reseal(*row.second, userTokenLabel(row.id, row.text_key, "refresh_token"));
            if (access || refresh) {
                c->prepare("UPDATE user_tokens SET access_token_sealed = ?3, refresh_token_sealed = ?4 "
                           "WHERE user_id = ?1 AND provider = ?2")
                    .bind(1, row.id)
                    .bind(2, row.text_key)
                    .bind(3, access ? *access : row.first)
                    .bind(4, refresh ? refresh : row.second)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT team_id, provider, refresh_token_sealed, name FROM team_refresh_tokens"),
                        [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), s.text(3)}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, teamRefreshTokenLabel(row.id, row.text_key, *row.second))) {
                c->prepare("UPDATE team_refresh_tokens SET refresh_token_sealed = ?3 "
                           "WHERE team_id = ?1 AND provider = ?2 AND name = ?4")
                    .bind(1, row.id)
                    .bind(2, row.text_key)
                    .bind(3, *again)
                    .bind(4, *row.second)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT team_id, '', webhook_url_sealed FROM team_notifications"),
                        [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), {}}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, notificationWebhookLabel(row.id))) {
                c->prepare("UPDATE team_notifications SET webhook_url_sealed = ?2 WHERE team_id = ?1")
                    .bind(1, row.id)
                    .bind(2, *again)
                    .run();
            }
        }
        tx.commit();
        return resealed;
    });
}

}  // namespace forgelink::store
