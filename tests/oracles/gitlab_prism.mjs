// Every GitLab call Forgelink makes, through Prism proxies holding GitLab's own OpenAPI documents
// (v2, and the v3 copy that also has GET /user and merge-request notes), in front of forge-sim.
// The plugin's calls come from the real forgelink CLI; the few calls the CLI does not reach are
// made directly. Prism validates each request and each simulator answer; the recording proxy in
// front of Prism collects the `sl-violations` verdicts (Prism runs without --errors so that one
// violation does not hide the rest of the session).
//
// usage: node gitlab_prism.mjs --sim BIN --forgelink BIN --plugin LIB --shared DIR [--spec v2|v3|both]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as h from './lib/harness.mjs';
import { assertNoViolations } from './lib/violations.mjs';
import { gitlabExceptions } from './exceptions.mjs';

const opt = h.options(['sim', 'forgelink', 'plugin', 'shared']);
const scenario = path.join(h.oraclesDir, 'scenarios', 'gitlab-oracle.yaml');
const specs = {
  v2: path.join(opt.shared, 'oracles', 'gitlab-openapi-v2.yaml'),
  v3: path.join(opt.shared, 'oracles', 'gitlab-openapi-v3-prism.yaml'),
};
const which = opt.spec === 'v2' || opt.spec === 'v3' ? [opt.spec] : ['v2', 'v3'];

const BOT = 'glpat-oracle-bot-api-000000';
const PROJECT_TOKEN = 'glpat-oracle-project-00000';
const GROUP_TOKEN = 'glpat-oracle-group-0000000';
const ROTATE = 'glpat-oracle-rotate-000000';
const SHA_MR = 'af5b13261899fb2c0db30abdd0af8b07cb44fdc5';

async function cli(base, token, args, what) {
  const r = await h.runProgram(opt.forgelink, [...args, '--provider', 'gitlab', '--base-url', base,
                                               '--token-env', 'ORACLE_TOKEN', '--plugin-path', opt.plugin, '--json'],
                               { env: { ORACLE_TOKEN: token }, timeoutMs: 120_000 });
  const out = h.parseJsonOutput(r, what);
  h.check(r.code === 0 && out.ok === true, `${what}: exit ${r.code}, ok=${out.ok}${r.code === 0 ? '' : ` ${JSON.stringify(out.error ?? out)}`}`);
  return out;
}

async function direct(base, method, apiPath, body, token = BOT) {
  const headers = { 'PRIVATE-TOKEN': token, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${base}/api/v4${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text };
}

async function session(label, sim, base, commentDir) {
  // token check: personal, project and group tokens take different paths through the plugin
  const personal = await cli(base, BOT, ['token', 'check'], `${label} token check (personal)`);
  h.checkEqual(personal.token?.kind, 'personal', `${label} personal token recognised`);
  const project = await cli(base, PROJECT_TOKEN, ['token', 'check'], `${label} token check (project)`);
  h.checkEqual(project.token?.bound_to?.full_path, 'acme/tools/widget', `${label} project token bound to its project`);
  const group = await cli(base, GROUP_TOKEN, ['token', 'check'], `${label} token check (group)`);
  h.checkEqual(group.token?.bound_to?.full_path, 'acme', `${label} group token bound to its group`);

  const ns = await cli(base, BOT, ['namespaces'], `${label} namespaces`);
  // Non-admins see their own namespace and the groups they are a direct member of (API-FACTS A8).
  h.checkEqual((ns.namespaces ?? []).map((n) => n.full_path).sort(), ['acme', 'forgelink-bot'], `${label} namespaces of the bot`);
  const repos = await cli(base, BOT, ['repos'], `${label} repos`);
  h.checkEqual(repos.count, 251, `${label} repos lists every project across pages`);
  const inGroup = await cli(base, BOT, ['repos', '--namespace', 'acme/tools'], `${label} repos --namespace`);
  h.checkEqual(inGroup.count, 1, `${label} repos of acme/tools`);

  const first = path.join(commentDir, `${label}-1.md`);
  const second = path.join(commentDir, `${label}-2.md`);
  writeFileSync(first, 'Forgelink is checking this commit.\n');
  writeFileSync(second, 'Forgelink accepted this commit.\n');
  const fb1 = await cli(base, BOT, ['feedback', '--repo', 'acme/tools/widget', '--sha', SHA_MR, '--ref', 'feature',
                                    '--state', 'in_progress', '--comment-file', first], `${label} feedback in_progress`);
  h.checkEqual(fb1.comments?.map((c) => c.action), ['created'], `${label} first feedback creates the comment`);
  const fb2 = await cli(base, BOT, ['feedback', '--repo', 'acme/tools/widget', '--sha', SHA_MR, '--ref', 'feature',
                                    '--state', 'accepted', '--comment-file', second, '--target-url', 'http://127.0.0.1/build/1',
                                    '--description', 'build passed'], `${label} feedback accepted`);
  h.checkEqual(fb2.comments?.map((c) => c.action), ['updated'], `${label} second feedback updates the same comment`);
  h.checkEqual(fb2.status?.forge_state, 'success', `${label} accepted maps to GitLab success`);

  // Calls the CLI does not reach, and the read-backs of what it wrote.
  const self = await direct(base, 'GET', '/personal_access_tokens/self');
  h.checkEqual([self.status, self.json?.scopes], [200, ['api']], `${label} GET /personal_access_tokens/self`);
  const version = await direct(base, 'GET', '/version');
  h.checkEqual([version.status, version.json?.version], [200, '17.5.0-ee'], `${label} GET /version`);
  const statuses = await direct(base, 'GET', `/projects/100/repository/commits/${SHA_MR}/statuses?all=true&per_page=100`);
  h.check(statuses.status === 200 && statuses.json.some((s) => s.name === 'forgelink' && s.status === 'success'),
          `${label} GET statuses shows the published status`);
  const mrs = await direct(base, 'GET', `/projects/acme%2Ftools%2Fwidget/repository/commits/${SHA_MR}/merge_requests`);
  h.checkEqual([mrs.status, mrs.json?.map((m) => m.iid)], [200, [1]], `${label} GET commits/:sha/merge_requests`);
  const notes = await direct(base, 'GET', '/projects/100/merge_requests/1/notes?sort=asc&order_by=created_at&per_page=20');
  h.check(notes.status === 200 && notes.json.length === 3, `${label} GET notes lists system, other and Forgelink notes`);
  const posted = await direct(base, 'POST', '/projects/100/merge_requests/1/notes', { body: 'a second note' });
  h.checkEqual(posted.status, 201, `${label} POST note answers 201`);
  const edited = await direct(base, 'PUT', `/projects/100/merge_requests/1/notes/${posted.json?.id}`, { body: 'edited' });
  h.checkEqual([edited.status, edited.json?.body], [200, 'edited'], `${label} PUT note answers 200 with the new body`);
  const pending = await direct(base, 'POST', `/projects/100/statuses/${SHA_MR}`, { state: 'pending', name: 'oracle', ref: 'feature' });
  h.checkEqual(pending.status, 201, `${label} POST status answers 201`);
  // Token rotation (the plugin's rotateToken sends exactly this: a JSON body with expires_at).
  const expiresAt = new Date(Date.now() + 90 * 86400e3).toISOString().slice(0, 10);
  const rotated = await direct(base, 'POST', '/personal_access_tokens/self/rotate', { expires_at: expiresAt }, ROTATE);
  h.check(rotated.status === 200 && typeof rotated.json?.token === 'string' && rotated.json?.expires_at === expiresAt,
          `${label} POST /personal_access_tokens/self/rotate answers the new token`);

  // Nothing reached the simulator around Prism (Link URLs are rewritten to the recorder).
  const log = await (await fetch(`${sim.url}/_sim/requests`)).json();
  return log.filter((e) => e.path.startsWith('/api/v4/')).length;
}

await h.run('gitlab requests and answers checked by Prism against GitLab OpenAPI', async () => {
  const commentDir = h.tempDir('forgelink-oracle-comments-');
  const setups = await Promise.all(which.map(async (name) => {
    const sim = await h.startSim(opt.sim, scenario);
    const prism = await h.startPrism(specs[name], sim.url);
    const recorder = await h.startRecorder({ target: prism.url, prism });
    recorder.rewriteOrigin(sim.url, recorder.url);
    return { name, sim, prism, recorder };
  }));
  for (const s of setups) {
    const seen = await session(s.name, s.sim, s.recorder.url, commentDir);
    h.checkEqual(seen, s.recorder.exchanges.length, `${s.name}: every request the simulator saw went through Prism`);
    await s.recorder.completeFromLog();
    h.dumpExchanges(`gitlab-${s.name}`, s.recorder.exchanges);
    assertNoViolations(`GitLab OpenAPI ${s.name}`, s.recorder.exchanges, gitlabExceptions(s.name));
  }
});
