// forge-sim's GitHub answers compared with real recorded GitHub exchanges (/work/shared/fixtures/github
// and @octokit/fixtures): for every body field and header the GitHub plugin reads
// (plugins/github/json_mapping.cpp, api_client.cpp), the simulator must send the same name with the
// same JSON type wherever the recording has it. Then @octokit/oauth-methods, a real OAuth client,
// exchanges a web-flow code at the simulator's /login/oauth/access_token with a custom baseUrl.
//
// usage: node github_fixtures.mjs --sim BIN --shared DIR
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as h from './lib/harness.mjs';

const opt = h.options(['sim', 'shared']);
const fixtures = (await h.importPackage('@octokit/fixtures')).default;
const oauthMethods = await h.importPackage('@octokit/oauth-methods');
const { request } = await h.importPackage('@octokit/request');
const scenario = path.join(h.oraclesDir, 'scenarios', 'github-oracle.yaml');
const TOKEN = 'ghp_oracleBobRepo000000000000000000000000';
const SHA = '7b2f1e4a9c3d5e6f708192a3b4c5d6e7f8091a2b';

function recorded(name) {
  const file = path.join(opt.shared, 'fixtures', 'github', `${name}.exchange.json`);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  return { label: `fixtures/github/${name}`, status: j.response.status, headers: j.response.headers, body: j.response.body };
}
function octokit(scenarioName, index) {
  const e = fixtures.get(`api.github.com/${scenarioName}`)[index];
  return { label: `@octokit/fixtures ${scenarioName}[${index}] ${e.method.toUpperCase()} ${e.path}`, status: e.status, headers: e.headers, body: e.response };
}

const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
function at(obj, dotted) {
  let v = obj;
  for (const k of dotted.split('.')) {
    if (v === null || typeof v !== 'object' || !(k in v)) return { present: false };
    v = v[k];
  }
  return { present: true, value: v };
}
const lowerKeys = (headers) => Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

// Same status, and for each field the plugin reads: present with the same type when the recording
// has a non-null value (a null in the recording allows the simulator any value there).
function compare(what, sim, rec, fields, headers = []) {
  h.checkEqual(sim.status, rec.status, `${what}: status as in ${rec.label}`);
  const simItem = Array.isArray(sim.body) ? sim.body[0] : sim.body;
  const recItem = Array.isArray(rec.body) ? rec.body[0] : rec.body;
  h.checkEqual(kind(sim.body), kind(rec.body), `${what}: body is ${kind(rec.body)} as in ${rec.label}`);
  for (const f of fields) {
    const r = at(recItem, f);
    if (!r.present) continue;  // older recordings lack newer fields
    const s = at(simItem, f);
    if (r.value === null) {
      h.check(s.present, `${what}: field ${f} present (recorded null)`);
    } else {
      h.checkEqual(s.present ? kind(s.value) : 'absent', kind(r.value), `${what}: field ${f} type as in ${rec.label}`);
    }
  }
  const simHeaders = lowerKeys(sim.headers);
  const recHeaders = lowerKeys(rec.headers);
  for (const name of headers) {
    if (!(name in recHeaders)) throw new Error(`${rec.label} has no ${name} header; the comparison list is wrong`);
    h.check(name in simHeaders, `${what}: header ${name} present as in ${rec.label}`);
  }
}

const RATE = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];
const RATE_NEW = [...RATE, 'x-ratelimit-used', 'x-ratelimit-resource'];
const USER = ['id', 'login', 'name', 'html_url', 'type', 'site_admin'];
const REPO = ['id', 'full_name', 'name', 'owner.login', 'owner.type', 'html_url', 'default_branch', 'private', 'visibility',
              'archived', 'permissions.admin', 'permissions.maintain', 'permissions.push', 'permissions.triage', 'permissions.pull'];
const PULL = ['id', 'number', 'title', 'state', 'html_url', 'head.sha', 'head.ref', 'base.ref', 'base.repo.id', 'base.repo.full_name'];
const COMMENT = ['id', 'body', 'created_at', 'user.id', 'user.login', 'issue_url'];
const STATUS = ['id', 'state', 'context', 'description', 'target_url'];

await h.run('forge-sim GitHub answers match recorded GitHub exchanges; @octokit/oauth-methods web flow', async () => {
  const sim = await h.startSim(opt.sim, scenario);
  const api = `${sim.url}/api/v3`;
  const call = async (method, p, body) => {
    const r = await fetch(`${api}${p}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/vnd.github+json', 'User-Agent': 'forgelink-oracle',
                 'X-GitHub-Api-Version': '2022-11-28', ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, headers: Object.fromEntries(r.headers), body: text ? JSON.parse(text) : null };
  };

  const user = await call('GET', '/user');
  compare('GET /user', user, recorded('user_get_classic_pat'), USER, [...RATE, 'x-oauth-scopes', 'x-accepted-oauth-scopes']);

  const repo = await call('GET', '/repos/acme/widget');
  compare('GET /repos/:o/:r', repo, recorded('repository_get'), REPO, RATE_NEW);
  compare('GET /repos/:o/:r', repo, octokit('get-repository', 0), REPO, RATE_NEW);

  const page1 = await call('GET', '/user/repos?per_page=50&sort=full_name');
  compare('GET /user/repos page 1', page1, recorded('paginate_page1'), ['id'], ['link', ...RATE_NEW]);
  compare('GET /user/repos item', { ...page1, body: page1.body[0] }, recorded('repository_get'), REPO);
  const link = page1.headers.link ?? '';
  const recordedLink = lowerKeys(recorded('paginate_page1').headers).link;
  const parts = (l) => l.split(',').map((p) => p.trim().match(/^<([^>]+)>; rel="(\w+)"$/));
  h.check(parts(recordedLink).every(Boolean), 'the recorded Link header has the <url>; rel="x" form');
  h.check(parts(link).every(Boolean), `simulator Link header has the same <url>; rel="x" form: ${link}`);
  h.checkEqual(parts(link).map((m) => m?.[2]), parts(recordedLink).map((m) => m?.[2]), 'page 1 carries the same rels (next, last) as recorded');
  const lastPage = await call('GET', '/user/repos?per_page=50&sort=full_name&page=3');
  const recordedLast = lowerKeys(recorded('paginate_last_page').headers).link;
  h.checkEqual(parts(lastPage.headers.link ?? '').map((m) => m?.[2]), parts(recordedLast).map((m) => m?.[2]),
               'last page carries the same rels (prev, first) as recorded');

  const created = await call('POST', `/repos/acme/widget/statuses/${SHA}`, { state: 'pending', context: 'forgelink', description: 'd', target_url: 'http://127.0.0.1/b' });
  compare('POST statuses', created, recorded('status_create_success'), STATUS, ['location', ...RATE_NEW]);
  compare('POST statuses', created, octokit('create-status', 0), STATUS, ['location']);
  h.checkEqual(created.headers.location, `${api}/repos/acme/widget/statuses/${SHA}`, 'POST statuses Location names the commit statuses');
  const listed = await call('GET', `/repos/acme/widget/commits/${SHA}/statuses?per_page=100`);
  compare('GET statuses', listed, octokit('create-status', 2), STATUS, RATE_NEW);

  const pulls = await call('GET', `/repos/acme/widget/commits/${SHA}/pulls?per_page=100`);
  compare('GET commits/:sha/pulls', pulls, recorded('commit_pulls_list'), PULL, [...RATE, 'x-oauth-scopes']);

  const comment = await call('POST', '/repos/acme/widget/issues/7/comments', { body: 'hello' });
  compare('POST issue comment', comment, recorded('issue_comment_create'), COMMENT, ['location', 'x-ratelimit-limit', 'x-ratelimit-remaining']);
  const patched = await call('PATCH', `/repos/acme/widget/issues/comments/${comment.body.id}`, { body: 'hello again' });
  compare('PATCH issue comment', patched, recorded('issue_comment_update'), COMMENT);
  const comments = await call('GET', '/repos/acme/widget/issues/7/comments?per_page=100');
  h.checkEqual([comments.status, kind(comments.body)], [200, 'array'], 'GET issue comments lists');
  compare('GET issue comments item', { ...comments, status: 201, body: comments.body.at(-1) }, recorded('issue_comment_create'), COMMENT);

  const missing = await call('GET', '/repos/acme/nope');
  compare('GET missing repo', missing, recorded('not_found_404'), ['message', 'documentation_url']);

  // OAuth: the recorded error answer (HTTP 200 + error fields), then a real client's web flow.
  const bad = await fetch(`${sim.url}/login/oauth/access_token`, {
    method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: 'Iv1.oracle', client_secret: 'oracle-secret', code: 'not-a-code' }),
  });
  compare('POST /login/oauth/access_token (bad code)', { status: bad.status, headers: Object.fromEntries(bad.headers), body: await bad.json() },
          recorded('oauth_bad_verification_code'), ['error', 'error_description', 'error_uri']);

  const authorize = await fetch(`${sim.url}/login/oauth/authorize?client_id=Iv1.oracle&redirect_uri=${encodeURIComponent('http://127.0.0.1:8976/callback')}&state=s1`,
                                { redirect: 'manual' });
  const location = new URL(authorize.headers.get('location') ?? 'http://invalid/');
  h.checkEqual([authorize.status, location.searchParams.get('state')], [302, 's1'], 'authorize redirects back with the state');
  const { authentication } = await oauthMethods.exchangeWebFlowCode({
    clientType: 'oauth-app', clientId: 'Iv1.oracle', clientSecret: 'oracle-secret', code: location.searchParams.get('code'),
    redirectUrl: 'http://127.0.0.1:8976/callback', request: request.defaults({ baseUrl: api }),
  });
  h.check(typeof authentication.token === 'string' && authentication.token.length > 0, 'exchangeWebFlowCode got a token');
  h.checkEqual([authentication.clientType, authentication.scopes], ['oauth-app', ['repo']], 'exchangeWebFlowCode parsed the granted scopes');
  const viaToken = await fetch(`${api}/user`, { headers: { Authorization: `Bearer ${authentication.token}`, 'User-Agent': 'forgelink-oracle' } });
  h.checkEqual([viaToken.status, (await viaToken.json()).login], [200, 'bob'], 'the exchanged token works on GET /user');
  let reused;
  try {
    await oauthMethods.exchangeWebFlowCode({ clientType: 'oauth-app', clientId: 'Iv1.oracle', clientSecret: 'oracle-secret',
                                             code: location.searchParams.get('code'), request: request.defaults({ baseUrl: api }) });
  } catch (e) {
    reused = e.response?.data?.error ?? e.message;
  }
  h.checkEqual(reused, 'bad_verification_code', 'a used code is refused with bad_verification_code');
});
