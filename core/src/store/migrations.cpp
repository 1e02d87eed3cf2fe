// The schema's migrations, one ordered list for every backend (migrations.hpp). Append only: a
// released migration never changes (databases in the field already ran it).
#include "store/migrations.hpp"

#include <string>
#include <string_view>

namespace forgelink::store {

namespace {

// The feedback_tasks table as migration 1 made it and migration 10 rebuilt it (SQLite cannot
// change a CHECK constraint in place): the same columns, `states` the states it allows.
std::string sqliteFeedbackTasksTable(std::string_view name, std::string_view states) {
    return "CREATE TABLE " + std::string(name) + R"sql( (
  id               INTEGER PRIMARY KEY,
  team_id          INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  provider         TEXT NOT NULL,
  instance         TEXT NOT NULL,
  repository_id    TEXT NOT NULL,
  commit_sha       TEXT NOT NULL,
  context          TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('status', 'comment')),
  mr_number        TEXT NOT NULL,
  coalesce_key     TEXT NOT NULL,
  payload          TEXT NOT NULL,
  build_id         INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
  build_version    INTEGER NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ()sql" + std::string(states) + R"sql()),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  last_error       TEXT NOT NULL DEFAULT '',
  result           TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
)sql";
}

// Its indexes, made by both.
constexpr std::string_view kSqliteFeedbackTaskIndexes =
    R"sql(CREATE UNIQUE INDEX feedback_tasks_one_waiting ON feedback_tasks(coalesce_key) WHERE state IN ('pending', 'paused');
CREATE UNIQUE INDEX feedback_tasks_one_in_flight ON feedback_tasks(coalesce_key) WHERE state = 'in_flight';
CREATE INDEX feedback_tasks_due ON feedback_tasks(state, next_attempt_at);
CREATE INDEX feedback_tasks_by_team ON feedback_tasks(team_id, provider, state);
CREATE INDEX feedback_tasks_by_build ON feedback_tasks(build_id);
)sql";

// The columns of provider_settings that migration 1 made and migration 13 kept when it rebuilt the
// table with the credential's name in its key.
constexpr std::string_view kSqliteProviderSettingsColumns = R"sql(  base_url            TEXT NOT NULL,
  instance            TEXT NOT NULL,
  token_sealed        TEXT NOT NULL,
  token_last4         TEXT NOT NULL,
  kind                TEXT NOT NULL,
  identity            TEXT NOT NULL,
  scopes              TEXT NOT NULL,
  expires_at          TEXT,
  warnings            TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('active', 'invalid')),
  invalid_reason      TEXT NOT NULL DEFAULT '',
  invalid_notified_at INTEGER,
  updated_at          INTEGER NOT NULL,
)sql";

std::vector<Migration> makeMigrations() {
    // Times are unix milliseconds; JSON columns hold JSON text; *_sealed columns hold SecretBox
    // text. Each entry: version, name, SQLite's text, PostgreSQL's text.
    return {
    {1, "initial schema", R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  provider      TEXT NOT NULL,
  instance      TEXT NOT NULL,
  forge_user_id TEXT NOT NULL,
  username      TEXT NOT NULL,
  name          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  UNIQUE (provider, instance, forge_user_id)
);
CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE TABLE oauth_states (
  state                TEXT PRIMARY KEY,
  provider             TEXT NOT NULL,
  code_verifier_sealed TEXT NOT NULL,
  redirect             TEXT NOT NULL,
  expires_at           INTEGER NOT NULL,
  created_at           INTEGER NOT NULL
);
CREATE TABLE user_tokens (
  user_id              INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider             TEXT NOT NULL,
  access_token_sealed  TEXT NOT NULL,
  refresh_token_sealed TEXT,
  expires_at           INTEGER,
  updated_at           INTEGER NOT NULL,
  PRIMARY KEY (user_id, provider)
);
CREATE TABLE teams (
  id         INTEGER PRIMARY KEY,
  slug       TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE team_members (
  team_id    INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_by_user ON team_members(user_id);
CREATE TABLE provider_settings (
  team_id             INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  provider            TEXT NOT NULL,
)sql" + std::string(kSqliteProviderSettingsColumns) + R"sql(  PRIMARY KEY (team_id, provider)
);
CREATE TABLE projects (
  id         INTEGER PRIMARY KEY,
  team_id    INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  slug       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (team_id, slug)
);
CREATE TABLE repository_links (
  project_id     INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  provider       TEXT NOT NULL,
  instance       TEXT NOT NULL,
  repository_id  TEXT NOT NULL,
  full_path      TEXT NOT NULL,
  web_url        TEXT NOT NULL,
  status_context TEXT NOT NULL,
  linked_at      INTEGER NOT NULL
);
CREATE INDEX repository_links_by_repository ON repository_links(provider, instance, repository_id);
CREATE TABLE builds (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  commit_sha TEXT NOT NULL,
  branch     TEXT NOT NULL,
  mr_number  TEXT NOT NULL,
  head_sha   TEXT NOT NULL,
  state      TEXT NOT NULL,
  stats      TEXT NOT NULL,
  url        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version    INTEGER NOT NULL
);
CREATE INDEX builds_by_project ON builds(project_id, id);
)sql" + sqliteFeedbackTasksTable("feedback_tasks", "'pending', 'in_flight', 'done', 'failed', 'paused'") +
         "-- The invariants coalescing relies on: per key at most one waiting and at most one in flight.\n" +
         std::string(kSqliteFeedbackTaskIndexes) + R"sql(CREATE TABLE feedback_pauses (
  team_id   INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  provider  TEXT NOT NULL,
  reason    TEXT NOT NULL,
  paused_at INTEGER NOT NULL,
  PRIMARY KEY (team_id, provider)
);
-- The newest (build, version) delivered per key; outlives purged tasks so order holds forever.
CREATE TABLE feedback_delivered (
  coalesce_key  TEXT PRIMARY KEY,
  build_id      INTEGER NOT NULL,
  build_version INTEGER NOT NULL,
  delivered_at  INTEGER NOT NULL
);
CREATE TABLE mr_comments (
  provider      TEXT NOT NULL,
  instance      TEXT NOT NULL,
  repository_id TEXT NOT NULL,
  mr_number     TEXT NOT NULL,
  comment_id    TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (provider, instance, repository_id, mr_number)
);
)sql",
     {}},
    // Background refresh of login tokens: a host claims a pair (owner + lease) before spending its
    // refresh token, because the forge rotates the pair and a second spend would be refused.
    {2, "user token refresh claims", R"sql(
ALTER TABLE user_tokens ADD COLUMN refresh_claim_owner TEXT;
ALTER TABLE user_tokens ADD COLUMN refresh_claim_expires_at INTEGER;
CREATE INDEX user_tokens_by_expiry ON user_tokens(provider, expires_at);
)sql",
     {}},
    // A version per team of what its project listing shows (projects, their links, the team's
    // slug), bumped by triggers on every write, so hosts caching a rendered listing can tell it is
    // stale whichever process (or a manual edit) wrote. Rows outlive their team on purpose: SQLite
    // hands a deleted team's id to the next team, and that team's versions must keep counting up
    // so no host serves the old team's cached listing for it.
    {3, "project list versions", R"sql(
CREATE TABLE project_list_versions (
  team_id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL
);
INSERT INTO project_list_versions (team_id, version) SELECT id, 1 FROM teams;
CREATE TRIGGER teams_list_insert AFTER INSERT ON teams BEGIN
  INSERT OR IGNORE INTO project_list_versions (team_id, version) VALUES (NEW.id, 0);
  UPDATE project_list_versions SET version = version + 1 WHERE team_id = NEW.id;
END;
CREATE TRIGGER teams_list_slug AFTER UPDATE OF id, slug ON teams BEGIN
  INSERT OR IGNORE INTO project_list_versions (team_id, version) VALUES (NEW.id, 0);
  UPDATE project_list_versions SET version = version + 1 WHERE team_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER teams_list_delete AFTER DELETE ON teams BEGIN
  UPDATE project_list_versions SET version = version + 1 WHERE team_id = OLD.id;
END;
CREATE TRIGGER projects_list_insert AFTER INSERT ON projects BEGIN
  UPDATE project_list_versions SET version = version + 1 WHERE team_id = NEW.team_id;
END;
CREATE TRIGGER projects_list_update AFTER UPDATE ON projects BEGIN
  UPDATE project_list_versions SET version = version + 1 WHERE team_id IN (OLD.team_id, NEW.team_id);
END;
CREATE TRIGGER projects_list_delete AFTER DELETE ON projects BEGIN
  UPDATE project_list_versions SET version = version + 1 WHERE team_id = OLD.team_id;
END;
CREATE TRIGGER links_list_insert AFTER INSERT ON repository_links BEGIN
  UPDATE project_list_versions SET version = version + 1
   WHERE team_id = (SELECT team_id FROM projects WHERE id = NEW.project_id);
END;
CREATE TRIGGER links_list_update AFTER UPDATE ON repository_links BEGIN
  UPDATE project_list_versions SET version = version + 1
   WHERE team_id IN (SELECT team_id FROM projects WHERE id IN (OLD.project_id, NEW.project_id));
END;
CREATE TRIGGER links_list_delete AFTER DELETE ON repository_links BEGIN
  UPDATE project_list_versions SET version = version + 1
   WHERE team_id = (SELECT team_id FROM projects WHERE id = OLD.project_id);
END;
)sql",
     {}},
    // Login CSRF: a started login is bound to the browser that started it (a hash of its login
    // cookie). States saved before have none and are refused at the callback: start again.
    {4, "oauth state browser binding", R"sql(
ALTER TABLE oauth_states ADD COLUMN browser_binding TEXT NOT NULL DEFAULT '';
)sql",
     {}},
    // Account linking: a user may have one forge identity per provider, and signing in with any
    // of them gives that user. Every existing user keeps the identity they signed in with (the
    // users row keeps its columns: the identity shown first). A login started to link an
    // identity names the signed-in user it is for.
    {5, "user identities", R"sql(
CREATE TABLE user_identities (
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider      TEXT NOT NULL,
  instance      TEXT NOT NULL,
  forge_user_id TEXT NOT NULL,
  username      TEXT NOT NULL,
  name          TEXT NOT NULL,
  linked_at     INTEGER NOT NULL,
  PRIMARY KEY (provider, instance, forge_user_id),
  UNIQUE (user_id, provider)
);
INSERT INTO user_identities (user_id, provider, instance, forge_user_id, username, name, linked_at)
  SELECT id, provider, instance, forge_user_id, username, name, created_at FROM users;
ALTER TABLE oauth_states ADD COLUMN link_user_id INTEGER;
)sql",
     {}},
    // What a saved token may do where it is bound (role, role label, the project or group), so the
    // settings page shows it after the save too. '{}' for settings saved before: shown as unknown
    // until the token is saved again.
    {6, "provider settings access", R"sql(
ALTER TABLE provider_settings ADD COLUMN access TEXT NOT NULL DEFAULT '{}';
)sql",
     {}},
    // Stored forge tokens are re-checked by the maintenance loop: when last and next (0 = due at
    // once, so settings saved before are checked at the first pass), the host holding the check,
    // and the day of the last "expires soon" log line (one a day across hosts).
    {7, "provider token checks", R"sql(
ALTER TABLE provider_settings ADD COLUMN checked_at INTEGER;
ALTER TABLE provider_settings ADD COLUMN next_check_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE provider_settings ADD COLUMN check_owner TEXT;
ALTER TABLE provider_settings ADD COLUMN check_lease_until INTEGER;
ALTER TABLE provider_settings ADD COLUMN expiry_reminded_on TEXT NOT NULL DEFAULT '';
CREATE INDEX provider_settings_by_next_check ON provider_settings(next_check_at);
)sql",
     {}},
    // Builds the host ended because no result arrived in time (feedback.build_timeout_seconds),
    // and the index its maintenance pass reads them by: unfinished builds, oldest first.
    {8, "build timeouts", R"sql(
ALTER TABLE builds ADD COLUMN timed_out_at INTEGER;
ALTER TABLE builds ADD COLUMN timed_out_after INTEGER;
CREATE INDEX builds_unfinished ON builds(created_at) WHERE state IN ('queued', 'in_progress');
)sql",
     {}},
    // The head of a build's merge request as the forge showed it (Store::recordMergeRequestHead).
    {9, "merge request heads", R"sql(
ALTER TABLE builds ADD COLUMN mr_head_sha TEXT NOT NULL DEFAULT '';
)sql",
     {}},
    // A build's feedback replaced by a newer build's before it went out ends 'superseded' instead
    // of vanishing from the older build (issue 22: its deliveries read []). SQLite cannot change a
    // CHECK constraint in place: the table is rebuilt with the same columns, rows and indexes.
    {10, "superseded feedback tasks", R"sql(
)sql" +
         sqliteFeedbackTasksTable("feedback_tasks_v10", "'pending', 'in_flight', 'done', 'failed', 'paused', 'superseded'") +
         R"sql(INSERT INTO feedback_tasks_v10 SELECT id, team_id, provider, instance, repository_id, commit_sha, context, kind,
  mr_number, coalesce_key, payload, build_id, build_version, state, attempts, next_attempt_at, lease_owner,
  lease_expires_at, last_error, result, created_at, updated_at FROM feedback_tasks;
DROP TABLE feedback_tasks;
ALTER TABLE feedback_tasks_v10 RENAME TO feedback_tasks;
)sql" + std::string(kSqliteFeedbackTaskIndexes),
     {}},
    // Every change of a team's settings: who, when, from where, what (issue 19). The actor's
    // columns are copies, not references: an event outlives a removed member or a revoked token.
    // Events go with their team (a later team may be given the same id).
    {11, "audit log", R"sql(
CREATE TABLE audit_events (
  id             INTEGER PRIMARY KEY,
  team_id        INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  at             INTEGER NOT NULL,
  actor_kind     TEXT NOT NULL CHECK (actor_kind IN ('user', 'token', 'operator', 'system')),
  actor_user_id  INTEGER,
  actor_token_id INTEGER,
  actor_name     TEXT NOT NULL,
  client_address TEXT NOT NULL,
  action         TEXT NOT NULL,
  target         TEXT NOT NULL,
  details        TEXT NOT NULL
);
CREATE INDEX audit_events_by_team ON audit_events(team_id, id);
CREATE INDEX audit_events_by_time ON audit_events(at);
)sql",
     {}},
    // Team API tokens with a role, optionally bound to one project (issue 19). The token is never
    // stored: a lookup key (not secret) finds the row, the SHA-256 of the whole token is compared
    // in constant time. Tokens go with their team or project (whose id may be given again).
    {12, "scoped api tokens", R"sql(
CREATE TABLE api_tokens (
  id            INTEGER PRIMARY KEY,
  team_id       INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  project_id    INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('reporter', 'admin')),
  lookup_key    TEXT NOT NULL UNIQUE,
  secret_digest TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER,
  last_used_at  INTEGER,
  UNIQUE (team_id, name)
);
)sql",
     {}},
    // Several named credentials per team and forge (issue 17): provider_settings is keyed by
    // (team, provider, name) and the credential saved before is named 'default' (the routes
    // without a credential name act on it). A repository link names the credential that serves
    // it (chosen when it is connected); links made before are served by 'default'. SQLite cannot
    // change a primary key in place: the table is rebuilt with the same rows and index.
    {13, "named provider credentials", R"sql(
CREATE TABLE provider_settings_v13 (
  team_id             INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  provider            TEXT NOT NULL,
  name                TEXT NOT NULL DEFAULT 'default',
)sql" + std::string(kSqliteProviderSettingsColumns) + R"sql(  access              TEXT NOT NULL DEFAULT '{}',
  checked_at          INTEGER,
  next_check_at       INTEGER NOT NULL DEFAULT 0,
  check_owner         TEXT,
  check_lease_until   INTEGER,
  expiry_reminded_on  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (team_id, provider, name)
);
INSERT INTO provider_settings_v13 (team_id, provider, name, base_url, instance, token_sealed, token_last4, kind,
  identity, scopes, expires_at, warnings, status, invalid_reason, invalid_notified_at, updated_at, access,
  checked_at, next_check_at, check_owner, check_lease_until, expiry_reminded_on)
  SELECT team_id, provider, 'default', base_url, instance, token_sealed, token_last4, kind, identity, scopes,
  expires_at, warnings, status, invalid_reason, invalid_notified_at, updated_at, access, checked_at,
  next_check_at, check_owner, check_lease_until, expiry_reminded_on FROM provider_settings;
DROP TABLE provider_settings;
ALTER TABLE provider_settings_v13 RENAME TO provider_settings;
CREATE INDEX provider_settings_by_next_check ON provider_settings(next_check_at);
ALTER TABLE repository_links ADD COLUMN credential TEXT NOT NULL DEFAULT 'default';
)sql",
     {}},
    // Notices to a team's admins about its forge credentials (issue 17), each its own outbox row
    // towards the team's notification webhook: one row per event (UNIQUE team + dedupe key, so two
    // hosts recording one event keep one; the key names the credential), each naming the
    // credential it is about, delivered under a lease like feedback tasks. The webhook URL
    // is sealed (a Slack or Mattermost URL is the secret itself); url_hint is what is shown back.
    {14, "team notices and notification webhooks", R"sql(
CREATE TABLE notices (
  id               INTEGER PRIMARY KEY,
  team_id          INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  provider         TEXT NOT NULL,
  credential       TEXT NOT NULL DEFAULT 'default',
  kind             TEXT NOT NULL,
  dedupe_key       TEXT NOT NULL,
  text             TEXT NOT NULL,
  details          TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  delivery         TEXT NOT NULL CHECK (delivery IN ('none', 'pending', 'in_flight', 'delivered', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  last_error       TEXT NOT NULL DEFAULT '',
  delivered_at     INTEGER,
  UNIQUE (team_id, dedupe_key)
);
CREATE INDEX notices_by_team ON notices(team_id, id);
CREATE INDEX notices_due ON notices(delivery, next_attempt_at) WHERE delivery IN ('pending', 'in_flight');
CREATE TABLE team_notifications (
  team_id            INTEGER PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
  webhook_url_sealed TEXT NOT NULL,
  url_hint           TEXT NOT NULL,
  updated_at         INTEGER NOT NULL
);
)sql",
     {}},
    // Refresh tokens of teams' OAuth credentials (issue 17): renewed before the access token
    // expires, claimed (owner + lease) so of several hosts one spends each, with a digest of the
    // access token each goes with (a token saved over the credential makes it stale).
    {15, "team OAuth refresh tokens", R"sql(
CREATE TABLE team_refresh_tokens (
  team_id              INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  provider             TEXT NOT NULL,
  name                 TEXT NOT NULL,
  refresh_token_sealed TEXT NOT NULL,
  access_digest        TEXT NOT NULL,
  expires_at           INTEGER,
  claim_owner          TEXT,
  claim_expires_at     INTEGER,
  updated_at           INTEGER NOT NULL,
  PRIMARY KEY (team_id, provider, name)
);
)sql",
     {}},
    // Rotation of teams' forge tokens (issue 17), one row per credential that ever had a rotation
    // setting, in a table of its own keyed like provider_settings (team, provider, credential
    // name): the setting, whether the token can rotate, the claim (owner + lease) that keeps two
    // hosts from rotating one token, and the durable intent (state 'rotating', started_at) written
    // before the forge is asked.
    {16, "provider token rotation", R"sql(
CREATE TABLE provider_rotations (
  team_id                 INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  provider                TEXT NOT NULL,
  name                    TEXT NOT NULL DEFAULT 'default',
  enabled                 INTEGER NOT NULL DEFAULT 0,
  days_before_expiry      INTEGER NOT NULL DEFAULT 14,
  new_lifetime_days       INTEGER NOT NULL DEFAULT 365,
  unavailable_reason      TEXT NOT NULL DEFAULT '',
  availability_checked_at INTEGER,
  state                   TEXT NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'rotating')),
  started_at              INTEGER,
  claim_owner             TEXT,
  claim_lease_until       INTEGER,
  last_rotated_at         INTEGER,
  last_failed_at          INTEGER,
  last_error              TEXT NOT NULL DEFAULT '',
  next_attempt_at         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (team_id, provider, name)
);
)sql",
     {}},
    };
}

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> list = makeMigrations();
    return list;
}

int latestSchemaVersion() { return migrations().back().version; }

}  // namespace forgelink::store
