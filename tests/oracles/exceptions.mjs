// Machine-readable form of EXCEPTIONS.md: each entry is one spec-versus-reality difference, named
// by its id there. An entry matches one method, one path pattern, one violation location pattern and
// one message pattern, and, where given, only when the simulator's actual value has the stated form
// (`value`) or the answer has the stated status. Keep both files in step.
const PROJECT = String.raw`/api/v4/projects/[^/]+`;
const SHA = '[0-9a-f]{40}';
const item = (fields) => new RegExp(String.raw`^response\.body(\.\d+)?\.(${fields.join('|')})$`);
const typeMessage = /^Response body property \S+ must be (string|integer|number|boolean|object)$/;

// Fields GitLab answers with null while the specs give them a type without `nullable` (GL-3).
const nullable = {
  project: ['avatar_url', 'readme_url', 'ci_config_path', 'allow_merge_on_skipped_pipeline', 'namespace\\.avatar_url',
            'permissions\\.project_access', 'permissions\\.group_access'],
  group: ['avatar_url', 'parent_id'],
  namespace: ['avatar_url', 'parent_id'],
  token: ['description', 'expires_at'],
  rotatedToken: ['description', 'last_used_at'],
  status: ['target_url', 'description', 'started_at', 'finished_at', 'coverage'],
  mergeRequest: ['assignee', 'closed_at', 'closed_by', 'merged_at', 'merged_by', 'milestone', 'merge_commit_sha',
                 'squash_commit_sha', 'discussion_locked', 'should_remove_source_branch',
                 'time_stats\\.human_time_estimate', 'time_stats\\.human_total_time_spent'],
  user: ['public_email', 'pronouns', 'work_information', 'local_time', 'last_sign_in_at', 'current_sign_in_at'],
  note: ['type'],
  member: ['expires_at'],
};
const MEMBER = String.raw`^/api/v4/(projects|groups)/[^/]+/members(/all)?/\d+$`;

const GITLAB = [
  { id: 'GL-1', specs: ['v2'], method: 'POST', path: new RegExp(`^${PROJECT}/statuses/${SHA}$`), status: 201,
    location: /^response$/, message: /^Unable to match the returned status code with those defined in the document: 200,400,401,403,404$/ },
  ...[['GET', String.raw`^/api/v4/user$`],
      ['GET', `^${PROJECT}/merge_requests/\\d+/notes$`],
      ['POST', `^${PROJECT}/merge_requests/\\d+/notes$`],
      ['PUT', `^${PROJECT}/merge_requests/\\d+/notes/\\d+$`]].map(([method, path]) => (
    { id: 'GL-2', specs: ['v2'], method, path: new RegExp(path), location: /^request$/, message: /^Selected route not found$/ })),
  // v2 has no /user or notes routes (GL-2) and rejects the 201 of POST statuses before its body (GL-1).
  ...[['GET', `^${PROJECT}$`, nullable.project],
      ['GET', String.raw`^/api/v4/projects$`, nullable.project],
      ['GET', String.raw`^/api/v4/groups/[^/]+/projects$`, nullable.project],
      ['GET', String.raw`^/api/v4/groups/[^/]+$`, nullable.group],
      ['GET', String.raw`^/api/v4/namespaces$`, nullable.namespace],
      ['GET', String.raw`^/api/v4/personal_access_tokens/self$`, nullable.token],
      ['POST', String.raw`^/api/v4/personal_access_tokens/self/rotate$`, nullable.rotatedToken],
      ['POST', `^${PROJECT}/statuses/${SHA}$`, nullable.status, ['v3']],
      ['GET', `^${PROJECT}/repository/commits/${SHA}/statuses$`, nullable.status],
      ['GET', `^${PROJECT}/repository/commits/${SHA}/merge_requests$`, nullable.mergeRequest],
      ['GET', String.raw`^/api/v4/user$`, nullable.user, ['v3']],
      ['GET', `^${PROJECT}/merge_requests/\\d+/notes$`, nullable.note, ['v3']],
      ['POST', `^${PROJECT}/merge_requests/\\d+/notes$`, nullable.note, ['v3']],
      ['PUT', `^${PROJECT}/merge_requests/\\d+/notes/\\d+$`, nullable.note, ['v3']],
      ['GET', MEMBER, nullable.member, ['v3']]].map(([method, path, fields, specs = ['v2', 'v3']]) => (
    { id: 'GL-3', specs, method, path: new RegExp(path), location: item(fields), message: typeMessage, value: 'null' })),
  { id: 'GL-4', specs: ['v2', 'v3'], method: 'GET', path: /^\/api\/v4\/personal_access_tokens\/self$/, location: item(['expires_at']),
    message: /must match format "date-time"$/, value: 'date' },
  { id: 'GL-4', specs: ['v2', 'v3'], method: 'POST', path: /^\/api\/v4\/personal_access_tokens\/self\/rotate$/,
    location: item(['expires_at']), message: /must match format "date-time"$/, value: 'date' },
  { id: 'GL-4', specs: ['v3'], method: 'GET', path: /^\/api\/v4\/user$/, location: item(['last_activity_on']),
    message: /must match format "date-time"$/, value: 'date' },
  { id: 'GL-5', specs: ['v3'], method: 'GET', path: /^\/api\/v4\/user$/, location: item(['identities']),
    message: /must be object$/, value: 'array' },
  ...[['GET', String.raw`^/api/v4/groups/[^/]+$`,
       ['id', 'lfs_enabled', 'request_access_enabled', 'require_two_factor_authentication', 'share_with_group_lock']],
      ['GET', `^${PROJECT}$`, ['permissions\\.(project|group)_access\\.(access_level|notification_level)']],
      ['GET', `^${PROJECT}/repository/commits/${SHA}/merge_requests$`,
       ['assignees', 'reviewers', 'labels', 'task_completion_status', 'blocking_discussions_resolved', 'downvotes', 'upvotes',
        'draft', 'work_in_progress', 'force_remove_source_branch', 'has_conflicts', 'merge_when_pipeline_succeeds', 'squash',
        'source_project_id', 'target_project_id', 'user_notes_count']]].map(([method, path, fields]) => (
    { id: 'GL-6', specs: ['v2'], method, path: new RegExp(path), location: item(fields), message: typeMessage, value: 'not-string' })),
  { id: 'GL-7', specs: ['v3'], method: 'GET', path: new RegExp(MEMBER), location: item(['access_level']),
    message: /must be string$/, value: 'integer' },
];

export function gitlabExceptions(spec) {
  return GITLAB.filter((e) => e.specs.includes(spec));
}

const GITHUB = [];

export function githubExceptions() {
  return GITHUB;
}
