// The Store: everything Forgelink remembers, behind one interface so a PostgreSQL backend can
// follow the SQLite one. Nothing lives only in memory: two host processes on the same database
// see the same state, and every guarantee below holds across processes.
//
// Threading: every method may be called from any thread at any time; each call is atomic (one
// transaction). Results are copies owned by the caller.
//
// Errors (forgelink::Result): not_found (no such row, or an expired session/OAuth state),
// conflict (a unique key is taken, a version or lease no longer matches), invalid_input (bad
// value, or a row it refers to does not exist), internal (the database failed). Messages name
// the table and key but never a secret.
//
// Secrets (provider tokens, user OAuth tokens, PKCE verifiers) go in as plain text and are sealed
// by the store with the SecretBox it was opened with; they never reach the database in clear.
//
// The interface is cut by domain, one header each (the map is in store/README.md); Store is all
// of them, and what a backend implements:
//   accounts.hpp           users, linked identities, sessions, OAuth login states, login tokens
//   teams.hpp              teams and members
//   api_tokens.hpp         a team's scoped API tokens
//   audit_log.hpp          the audit log
//   provider_settings.hpp  a team's named forge credentials and which serves a repository
//   projects.hpp           projects, repository links, the listing version
//   outbox.hpp             builds and the feedback outbox (leases on feedback tasks)
//   token_refresh.hpp      refreshing users' and teams' OAuth tokens (claims)
//   token_checks.hpp       re-checking stored forge tokens, expiry reminders (claims)
//   notices.hpp            notices to a team's admins and their webhook delivery (leases)
//   token_rotation.hpp     rotating teams' forge tokens (claims, intents)
// Code that needs one domain takes that interface; code that needs several takes Store.
#pragma once

#include <cstdint>

#include <forgelink/result.hpp>

#include "store/accounts.hpp"
#include "store/api_tokens.hpp"
#include "store/audit_log.hpp"
#include "store/notices.hpp"
#include "store/outbox.hpp"
#include "store/projects.hpp"
#include "store/provider_settings.hpp"
#include "store/records.hpp"
#include "store/teams.hpp"
#include "store/token_checks.hpp"
#include "store/token_refresh.hpp"
#include "store/token_rotation.hpp"

namespace forgelink::secrets {
class SecretBox;
}

namespace forgelink::store {

class Store : public AccountStore,
              public TeamStore,
              public ApiTokenStore,
              public AuditLogStore,
              public ProviderSettingsStore,
              public ProjectStore,
              public OutboxStore,
              public TokenRefreshStore,
              public TokenCheckStore,
              public NoticeStore,
              public TokenRotationStore {
public:
    ~Store() override = default;

    // ---- key rotation --------------------------------------------------------------------
    // Opens every sealed value with `old_box` and seals it again with `new_box`, in one
    // transaction (values already sealed with new_box are left as they are, so a rerun is safe).
    // Any value that does not open with either key aborts the whole rekey. Returns how many
    // values were re-sealed. The store keeps sealing with the box it was opened with: reopen it
    // with the new key afterwards.
    virtual Result<std::int64_t> rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) = 0;
};

}  // namespace forgelink::store
