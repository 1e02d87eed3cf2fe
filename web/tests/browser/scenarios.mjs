// Forge worlds for the browser tests (forge-sim scenario YAML, tests/sim/SCENARIO.md). The OAuth
// apps send the browser back to the host under test, so each scenario is made for its origin.
export const BOT_TOKEN = 'glpat-web-bot-api-0000aBcD';
export const REVOKED_TOKEN = 'glpat-web-revoked-000000';
export const READ_USER_TOKEN = 'glpat-web-read-user-0000';
export const FOREIGN_TOKEN = 'glpat-web-bob-api-000000';
export const GITHUB_TOKEN = 'ghp_webAliceRepo00000000000000000000wXyZ';
/** The group token of acme (its bot is Developer of the group), for several credentials per forge. */
export const GROUP_TOKEN = 'glpat-web-group-acme-0000';

/**
 * A group `big` where the bot is a Guest, with repositories where it is Developer (proj-1..3)
 * and Reporter (readonly-1..3): the latter are shown disabled, with the permission report's reason.
 */
export const READONLY_GROUP = `    - {id: 20, path: big, name: Big, visibility: private, members: {forgelink-bot: 10}}
`;
export const READONLY_PROJECTS = `  generate:
    - {projects: 3, namespace: big, path_prefix: proj-, start_id: 100000, member: forgelink-bot, access_level: 30}
    - {projects: 3, namespace: big, path_prefix: readonly-, start_id: 200000, member: forgelink-bot, access_level: 20}
`;

/** YYYY-MM-DD `days` from today (UTC). */
export function dateInDays(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

function oauthApps(origin, githubUser = 'bob') {
  return {
    gitlab: `  oauth_apps:\n    - {client_id: gl-app, secret: gl-app-secret, redirect_uri: ${origin}/auth/gitlab/callback, user: alice}\n`,
    github: `  oauth_apps:\n    - {client_id: gh-app, secret: gh-app-secret, redirect_uri: ${origin}/auth/github/callback, user: ${githubUser}}\n`,
  };
}

/**
 * GitLab: alice (signs in), forgelink-bot (the team token's user, Developer of acme), bob.
 * acme/tools/widget has commits and MR !1. GitHub: bob signs in there.
 * `botExpiresInDays` sets the bot token's expiry (null = never); `generate` adds generated projects;
 * `extraTokens` adds GitLab token lines.
 */
export function world(
  origin,
  { botExpiresInDays = null, generate = '', groups = '', botRevoked = false, githubUser = 'bob', extraTokens = '' } = {},
) {
  const apps = oauthApps(origin, githubUser);
  const expiry = botExpiresInDays === null ? 'null' : dateInDays(botExpiresInDays);
  return `gitlab:
  users:
    - {id: 2, username: alice, name: Alice Owner}
    - {id: 3, username: forgelink-bot, name: Forgelink Bot}
    - {id: 5, username: bob, name: Bob Other}
  groups:
    - {id: 10, path: acme, name: ACME, visibility: private, members: {alice: 50, forgelink-bot: 30}}
    - {id: 11, path: tools, parent: acme, visibility: private}
    - {id: 12, path: docs, parent: acme, visibility: private, members: {forgelink-bot: 20}}
    - {id: 13, path: elsewhere, visibility: private, members: {bob: 50}}
${groups}  projects:
    - id: 100
      path: widget
      namespace: acme/tools
      name: Widget
      default_branch: main
      commits:
        - {sha: 6b9fec60e107f1f323dfa6674b317facd996cb0a, branches: [main]}
        - {sha: af5b13261899fb2c0db30abdd0af8b07cb44fdc5, branches: [feature]}
      merge_requests:
        - {iid: 1, title: Add feature, source_branch: feature, target_branch: main, sha: af5b13261899fb2c0db30abdd0af8b07cb44fdc5, author: alice}
    - {id: 101, path: gadget, namespace: acme/tools, name: Gadget, default_branch: main}
    - {id: 102, path: handbook, namespace: acme/docs, name: Handbook, default_branch: main}
${generate}  tokens:
    - {value: ${BOT_TOKEN}, user: forgelink-bot, scopes: [api], name: forgelink, expires_at: ${expiry}, revoked: ${botRevoked}}
    - {value: ${REVOKED_TOKEN}, user: forgelink-bot, scopes: [api], revoked: true, name: old-ci}
    - {value: ${READ_USER_TOKEN}, user: forgelink-bot, scopes: [read_user], name: too-narrow}
    - {value: ${FOREIGN_TOKEN}, user: bob, scopes: [api], name: bobs}
${extraTokens}${apps.gitlab}github:
  users:
    - {id: 31898046, login: alice, name: Alice}
    - {id: 31898047, login: bob, name: Bob Builder}
  orgs:
    - {id: 9919, login: acme, members: {alice: admin, bob: member}, default_repository_permission: none}
  repos:
    - id: 515435682
      owner: acme
      name: widget
      private: true
      default_branch: main
      commits:
        - {sha: 2a6c97f6f5dc9166cc2e5d0d95415a386805ca07, branches: [main]}
    - {id: 515435683, owner: acme, name: website, private: true, default_branch: main}
  tokens:
    - {value: ${GITHUB_TOKEN}, kind: classic, user: alice, scopes: [repo, user]}
${apps.github}`;
}
