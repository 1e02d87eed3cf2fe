// Shapes of the REST API's answers (docs/openapi.yaml is the contract).
export type Role = 'owner' | 'member';

export interface Team {
  id: number;
  slug: string;
  name: string;
  created_at: string;
  role?: Role;
  providers?: string[];
  projects?: number;
}

export interface LinkedIdentity {
  provider: string;
  display_name?: string;
  linked_at?: string;
  instance?: string;
  username: string;
  name?: string;
}

export interface SessionUser {
  id: number;
  provider: string;
  instance?: string;
  username: string;
  name?: string;
  identities?: LinkedIdentity[];
}

export interface Session {
  admin: boolean;
  user: SessionUser | null;
  teams: Team[];
  csrf_token?: string;
  can_create_teams?: boolean;
}

/** GET /api/v1/providers: the loaded provider plugins. */
export interface ProviderInfo {
  name: string;
  display_name: string;
  capabilities?: string[];
  default_base_url: string | null;
  login?: boolean;
}

export interface Fix {
  message: string;
  url: string | null;
}

export interface ProviderHealth {
  state: 'valid' | 'expiring' | 'invalid';
  reason: string | null;
  days_left: number | null;
  fix: Fix | null;
}

export interface LoginProvider {
  name: string;
  display_name: string;
  login_url: string;
}

export interface Warning {
  code: string;
  message: string;
}

export interface Identity {
  id: string;
  username: string;
  name?: string;
  web_url?: string;
  bot?: boolean;
}

/** A linked repository as a credential's listing shows it. */
export interface ServedRepository {
  project_id: number;
  project: string;
  full_path: string;
  repository_id: string;
}

export interface ProviderSettings {
  provider: string;
  /** The credential's name within the team and provider ('default' when it was saved without one). */
  name?: string;
  base_url: string;
  instance: string;
  kind: string;
  identity: Identity;
  scopes: string[];
  expires_at: string | null;
  days_left: number | null;
  warnings: Warning[];
  status: string;
  invalid_reason?: string | null;
  token_last4: string;
  feedback_paused?: string | null;
  updated_at?: string;
  checked_at?: string | null;
  next_check_at?: string;
  role?: string;
  role_label?: string;
  resumed_deliveries?: number;
  bound_to?: { kind: string; id: string; full_path: string } | null;
  health?: ProviderHealth;
  /** Listings of one provider's credentials: the linked repositories it serves. */
  serves?: ServedRepository[];
  /** The answer to a save: the repositories it serves from now on. */
  now_serves?: (ServedRepository & { was?: string })[];
  rotate?: Rotation;
  /** Saved with its refresh token: the host renews it before it expires. */
  refreshed_by_forgelink?: boolean;
}

// How the host rotates the token through the forge before it expires (issue 17).
export interface Rotation {
  enabled: boolean;
  days_before_expiry: number;
  new_lifetime_days: number;
  available: boolean | null;
  unavailable_reason: string | null;
  state: 'idle' | 'rotating';
  due_on: string | null;
  last_rotated_at: string | null;
  last_failed_at: string | null;
  last_error: string | null;
}

export interface Member {
  user_id: number;
  username: string;
  name?: string;
  role: Role;
}

export interface Namespace {
  id: string;
  kind: string;
  path?: string;
  full_path: string;
  name?: string;
  parent_id?: string | null;
  web_url?: string;
}

export interface Repository {
  id: string;
  instance?: string;
  full_path: string;
  name?: string;
  namespace?: string;
  web_url?: string;
  default_branch?: string;
  visibility?: string;
  archived?: boolean;
  role?: string;
  role_label?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  total?: number | null;
}

export interface Permission {
  allowed: boolean;
  reason: string;
}

export interface CredentialVerdict {
  credential: string;
  description?: string;
  serves: boolean;
  reason: string | null;
}

export interface PermissionReport {
  repository: Repository;
  post_status: Permission;
  comment: Permission;
  /** The team's credential that serves the repository; null when none can post statuses there. */
  credential?: string | null;
  credentials?: CredentialVerdict[];
}

export interface Link {
  provider: string;
  instance: string;
  repository_id: string;
  full_path: string;
  web_url?: string;
  status_context: string;
  linked_at?: string;
  /** The team's credential that serves it (feedback is posted with it). */
  credential?: string;
}

export interface Project {
  id: number;
  team_id: number;
  team?: string;
  slug: string;
  name: string;
  created_at?: string;
  repository: Link | null;
}

export interface Build {
  id: number;
  project_id: number;
  commit_sha: string;
  branch: string;
  merge_request: string | null;
  head_sha: string | null;
  state: string;
  stats: {
    changed?: number; added?: number; removed?: number; unchanged?: number;
    failures?: number; retry_failures?: number; ignored?: number;
  };
  url: string;
  version: number;
  created_at?: string;
  updated_at?: string;
  // Set while the host has ended the build for lack of a result (feedback.build_timeout_seconds).
  timed_out_at?: string | null;
  // The merge request's head as the forge reported it, when the build ran on another commit.
  merge_request_head_sha?: string | null;
}

export interface Delivery {
  id: number;
  kind: 'status' | 'comment';
  provider: string;
  instance?: string;
  repository_id: string;
  state: 'pending' | 'in_flight' | 'done' | 'failed' | 'paused' | 'superseded';
  attempts: number;
  last_error: string | null;
  next_attempt_at?: string | null;
  build_version?: number;
  updated_at?: string;
  context?: string;
  sha?: string;
  status_posted?: boolean;
  forge_state?: string;
  merge_request?: string;
  comment_id?: string | null;
  target_url?: string | null;
  comment_url?: string | null;
  comments?: { merge_request: string; comment_id: string; comment_url: string | null }[];
}

export type ApiTokenRole = 'reporter' | 'admin';

/** A team's scoped API token as listed (never its secret). */
export interface ApiToken {
  id: number;
  name: string;
  role: ApiTokenRole;
  project_id: number | null;
  hint: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: { kind: 'user' | 'token' | 'operator' | 'system'; name: string; user_id: number | null; token_id: number | null };
  client_address: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/** GET /api/v1/teams/{team}/notices: what the team's admins were told about its forge tokens. */
export interface TeamNotice {
  id: number;
  provider: string;
  /** the team's credential for the provider it is about ('default' when saved without a name) */
  credential: string;
  kind: 'token_invalid' | 'token_expiring' | 'token_rotated' | 'token_rotation_failed';
  text: string;
  details: Record<string, unknown>;
  created_at: string;
  delivery: {
    state: 'none' | 'pending' | 'in_flight' | 'delivered' | 'failed';
    attempts: number;
    next_attempt_at: string | null;
    delivered_at: string | null;
    last_error: string | null;
  };
}

/** GET /api/v1/teams/{team}/notifications: the webhook, only as a hint (its URL is a secret). */
export interface Notifications {
  webhook: { url_hint: string; updated_at: string } | null;
}
