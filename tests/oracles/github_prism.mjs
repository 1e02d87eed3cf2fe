// The GitHub plugin's calls (through the forgelink CLI) and the calls it makes when publishing
// feedback, through Prism holding GitHub's own OpenAPI description (@octokit/openapi, the GitHub
// Enterprise Server document, whose server URL ends in /api/v3 like the simulator's GHES dialect).
// Prism matches spec paths only, so the recorder removes the /api/v3 base path and Prism forwards to
// the simulator's /api/v3.
//
// usage: node github_prism.mjs --sim BIN --forgelink BIN --plugin LIB --shared DIR
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as h from './lib/harness.mjs';
import { assertNoViolations } from './lib/violations.mjs';
import { githubExceptions } from './exceptions.mjs';

const opt = h.options(['sim', 'forgelink', 'plugin', 'shared']);
const scenario = path.join(h.oraclesDir, 'scenarios', 'github-oracle.yaml');
const spec = path.join(h.oraclesDir, 'node_modules', '@octokit', 'openapi', 'generated', 'ghes-3.19.json');
const TOKEN = 'ghp_oracleBobRepo000000000000000000000000';
const SHA = '7b2f1e4a9c3d5e6f708192a3b4c5d6e7f8091a2b';

async function cli(base, args, what) {
  const r = await h.runProgram(opt.forgelink, [...args, '--provider', 'github', '--base-url', base, '--token-env', 'ORACLE_TOKEN',
                                               '--plugin-path', opt.plugin, '--json'], { env: { ORACLE_TOKEN: TOKEN }, timeoutMs: 120_000 });
  const out = h.parseJsonOutput(r, what);
  h.check(r.code === 0 && out.ok === true, `${what}: exit ${r.code}, ok=${out.ok}${r.code === 0 ? '' : ` ${JSON.stringify(out.error ?? out)}`}`);
  return out;
}

await h.run('github requests and answers checked by Prism against @octokit/openapi (GHES)', async () => {
  const sim = await h.startSim(opt.sim, scenario);
  const prism = await h.startPrism(spec, `${sim.url}/api/v3`);
  const recorder = await h.startRecorder({ target: prism.url, stripPrefix: '/api/v3', prism });
  recorder.rewriteOrigin(sim.url, recorder.url);
  const base = `${recorder.url}/api/v3`;

  const token = await cli(base, ['token', 'check'], 'token check');
  h.checkEqual([token.token?.identity?.username, token.token?.scopes], ['bob', ['repo']], 'token check identity and scopes');
  const ns = await cli(base, ['namespaces'], 'namespaces');
  h.check((ns.namespaces ?? []).some((n) => n.full_path === 'acme'), 'namespaces include org acme');
  const repos = await cli(base, ['repos'], 'repos');
  h.checkEqual(repos.count, 121, 'repos lists every repository across pages');
  const comment = path.join(h.tempDir('forgelink-oracle-gh-'), 'comment.md');
  writeFileSync(comment, 'Forgelink checked this commit.\n');
  const fb = await cli(base, ['feedback', '--repo', 'acme/widget', '--sha', SHA, '--state', 'accepted', '--comment-file', comment,
                              '--target-url', 'http://127.0.0.1/build/1'], 'feedback');
  h.checkEqual(fb.status?.forge_state, 'success', 'feedback published success');
  h.checkEqual(fb.comments?.map((c) => c.action), ['created'], 'feedback created the PR comment');

  // Calls the CLI may not reach in this world: PATCH of a comment and the listing of statuses.
  const headers = { Authorization: `Bearer ${TOKEN}`, Accept: 'application/vnd.github+json', 'User-Agent': 'forgelink-oracle',
                    'X-GitHub-Api-Version': '2022-11-28', 'Content-Type': 'application/json' };
  const created = await fetch(`${base}/repos/acme/widget/issues/7/comments`, { method: 'POST', headers, body: JSON.stringify({ body: 'x' }) });
  const id = (await created.json()).id;
  const patched = await fetch(`${base}/repos/acme/widget/issues/comments/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ body: 'y' }) });
  h.checkEqual([created.status, patched.status], [201, 200], 'POST and PATCH issue comment');
  const statuses = await fetch(`${base}/repos/acme/widget/commits/${SHA}/statuses?per_page=100`, { headers });
  h.checkEqual(statuses.status, 200, 'GET commit statuses');
  await statuses.text();

  // What the plugin reads to judge a fine-grained token and a known comment: the issue and pull
  // listings (its permission probes) and one issue comment by id.
  for (const probe of ['issues?per_page=1', 'pulls?per_page=1', 'issues/comments/1001']) {
    const r = await fetch(`${base}/repos/acme/widget/${probe}`, { headers });
    h.checkEqual(r.status, 200, `GET ${probe}`);
    await r.text();
  }
  // A renamed repository: its old name answers 301 towards /repositories/:id. Prism's proxy follows
  // redirects itself, so what it validates (and the client sees) is the repository's own answer; the
  // simulator's log shows the hops, which are the only requests that did not come through Prism.
  const renamed = await fetch(`${sim.url}/_sim/github/repos/515435682/rename`, { method: 'POST', body: JSON.stringify({ name: 'gizmo' }) });
  h.checkEqual(renamed.status, 200, 'rename acme/widget to acme/gizmo (forge-sim admin)');
  for (const route of ['', '/pulls?per_page=1']) {
    const r = await fetch(`${base}/repos/acme/widget${route}`, { headers });
    const j = await r.json();
    h.checkEqual([r.status, Array.isArray(j) ? j[0]?.number : j.full_name], [200, route ? 7 : 'acme/gizmo'], `old name${route} answered through the redirect`);
  }

  const log = await (await fetch(`${sim.url}/_sim/requests`)).json();
  const hops = log.filter((e) => e.path.startsWith('/api/v3/repositories/'));
  h.checkEqual(log.filter((e) => e.path.startsWith('/api/v3/repos/acme/widget') && e.status === 301).map((e) => e.path),
               ['/api/v3/repos/acme/widget', '/api/v3/repos/acme/widget/pulls'], 'the old name answered 301');
  h.checkEqual(hops.map((e) => [e.path, e.status]), [['/api/v3/repositories/515435682', 200], ['/api/v3/repositories/515435682/pulls', 200]],
               'Prism followed the 301s to /repositories/:id');
  h.checkEqual(log.filter((e) => e.path.startsWith('/api/v3/')).length - hops.length, recorder.exchanges.length, 'every request the simulator saw went through Prism');
  await recorder.completeFromLog();
  h.dumpExchanges('github-ghes', recorder.exchanges);
  assertNoViolations('@octokit/openapi ghes-3.19', recorder.exchanges, githubExceptions());
});
