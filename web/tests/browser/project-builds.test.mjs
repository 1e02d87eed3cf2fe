// Project settings → Connect Git repository (with the permission report) and Disconnect; a
// build whose deliveries the page shows: done with links, and retrying with the next attempt
// while the forge fails.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertCleanConsole, clickOption, clickText, newPage, screenshot, signIn, typeInto, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, GITHUB_TOKEN, world as scenario } from './scenarios.mjs';

const MAIN_SHA = '6b9fec60e107f1f323dfa6674b317facd996cb0a';
const FEATURE_SHA = 'af5b13261899fb2c0db30abdd0af8b07cb44fdc5';

let w;
before(async () => {
  w = await world('builds', (origin) => scenario(origin), { oauth: { gitlab: 'gl-app' } });
});
after(async () => w?.close());

test('connect, see builds and their deliveries, disconnect', async () => {
  const page = await newPage(w.browser, { width: 1100, height: 900 });
  await signIn(page, w.origin);
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Builders');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/builders/settings'));
  assert.equal((await w.host.api('PUT', '/api/v1/teams/builders/providers/gitlab', { token: BOT_TOKEN })).status, 200);
  const created = await w.host.api('POST', '/api/v1/teams/builders/projects', { name: 'Widget' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.project.id;

  await page.goto(`${w.origin}/teams/builders/projects/${id}`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Not linked');
  await clickText(page, 'Connect Git repository');
  await clickText(page, 'Continue with GitLab');
  // GitLab lists the namespaces the user is a direct member of; acme's repositories include its subgroups'.
  await page.waitForFunction(() => [...document.querySelectorAll('.radio-row')].some((r) => r.innerText.startsWith('acme\n')));
  await clickText(page, 'acme\ngroup', 'label');
  await page.waitForFunction(() => [...document.querySelectorAll('[role=option]')].some((o) => o.innerText.includes('acme/tools/widget')));
  await clickOption(page, 'acme/tools/widget');
  await waitForText(page, 'can post');
  await clickText(page, 'Connect acme/tools/widget');
  await waitForText(page, 'Linked to GitLab acme/tools/widget');
  await waitForText(page, 'can comment');
  const link = await w.host.api('GET', `/api/v1/projects/${id}`);
  assert.equal(link.json.project.repository.full_path, 'acme/tools/widget');

  // A build on the merge request: a status and a comment, both delivered.
  const build = await w.host.api('POST', `/api/v1/projects/${id}/builds`, {
    commit_sha: FEATURE_SHA, branch: 'feature', merge_request: 1, state: 'changes_detected',
    stats: { changed: 3, added: 1, removed: 0, failures: 0 }, url: 'https://visual.example.com/builds/1',
  });
  assert.equal(build.status, 202, JSON.stringify(build.json));
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelectorAll('.deliveries .badge-done').length === 2, { timeout: 60000 });
  const first = await page.$eval('.build', (el) => el.innerText);
  assert.match(first, /Changes detected/);
  assert.match(first, /Commit status “forgelink” on af5b1326/);
  assert.match(first, /Merge request comment on !1/);
  assert.match(first, /build page/);

  // The forge refuses statuses for a while, asking to come back in two minutes (429 with
  // Retry-After): the next build's status shows retrying with its next attempt, which the host
  // schedules no sooner than the forge asked. (With a plain 5xx the host's full-jitter backoff may
  // retry within a second, so what the page shows at a given moment -- "in 1 second", "due now",
  // "Sending" -- depends on timing; that made this check flaky under load.)
  const fault = await w.sim.admin('POST', '/_sim/faults', { route: 'POST /api/v4/projects/.*/statuses/.*', burst_429: 1000, retry_after: 120 });
  assert.equal(fault.status, 201);
  // A slow answer must not undo a newer one: "Refresh" asks for the list before the next build is
  // posted and its answer is held back (the list as it was then); the page's own refresh shows the
  // new build meanwhile; when the old answer finally arrives the new build stays on the page.
  const listPath = `/api/v1/projects/${id}/builds`;
  const stale = await page.evaluate((p) => fetch(`${p}?limit=20`).then((r) => r.text()), listPath);
  let held = null;
  const hold = (request) => {
    if (request.isInterceptResolutionHandled()) return;
    const url = new URL(request.url());
    if (!held && request.method() === 'GET' && url.pathname === listPath) {
      held = request;
      return;
    }
    void request.continue();
  };
  await page.setRequestInterception(true);
  page.on('request', hold);
  await clickText(page, 'Refresh');
  for (let i = 0; i < 200 && !held; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(held, 'a list request is held');
  const second = await w.host.api('POST', `/api/v1/projects/${id}/builds`, {
    commit_sha: MAIN_SHA, branch: 'main', state: 'in_progress',
  });
  assert.equal(second.status, 202);
  const secondId = second.json.build.id;
  await page.waitForFunction((b) => document.querySelector('.build .build-head strong')?.innerText === `#${b}`, { timeout: 30000 }, secondId);
  await held.respond({ status: 200, contentType: 'application/json', body: stale });
  await page.waitForFunction(() => !document.querySelector('button[aria-busy=true]'));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.$eval('.build .build-head strong', (el) => el.innerText), `#${secondId}`, 'the old answer replaced the newer list');
  page.off('request', hold);
  await page.setRequestInterception(false);
  // One read of the page that shows it all (the page refreshes itself every few seconds, so
  // separate reads could see different moments).
  const newest = await page
    .waitForFunction(
      () => {
        const text = document.querySelector('.build')?.innerText ?? '';
        return /Retrying/.test(text) ? text : null;
      },
      { timeout: 60000 },
    )
    .then((h) => h.jsonValue());
  assert.match(newest, /#\d+\s+In progress/);
  assert.match(newest, /Retrying Commit status “forgelink” on 6b9fec60 · next attempt in (1|2) minutes? \(1 attempt so far; last: .+\)/);
  // Newest first: the merge-request build comes second.
  const order = await page.$$eval('.build .build-head strong', (els) => els.map((e) => Number(e.innerText.slice(1))));
  assert.deepEqual(order, [...order].sort((a, b) => b - a));
  await screenshot(page, 'project-builds');
  await w.sim.admin('DELETE', '/_sim/faults');

  // Disconnect asks first, then the project is unlinked.
  await clickText(page, 'Disconnect');
  await clickText(page, 'Yes, disconnect');
  await waitForText(page, 'Not linked');
  const unlinked = await w.host.api('GET', `/api/v1/projects/${id}`);
  assert.equal(unlinked.json.project.repository, null);

  // The same project connected to GitHub instead: the team now has both tokens.
  assert.equal((await w.host.api('PUT', '/api/v1/teams/builders/providers/github', { token: GITHUB_TOKEN })).status, 200);
  await page.reload({ waitUntil: 'networkidle0' });
  await clickText(page, 'Connect Git repository');
  await clickText(page, 'Continue with GitHub');
  await page.waitForFunction(() => [...document.querySelectorAll('.radio-row')].some((r) => r.innerText.startsWith('acme\n')));
  await clickText(page, 'acme\norganization', 'label');
  await clickOption(page, 'acme/website');
  await waitForText(page, 'can post');
  await clickText(page, 'Connect acme/website');
  await waitForText(page, 'Linked to GitHub acme/website');
  const github = await w.host.api('GET', `/api/v1/projects/${id}`);
  assert.equal(github.json.project.repository.provider, 'github');
  assert.equal(github.json.project.repository.full_path, 'acme/website');
  assertCleanConsole(assert, page);
  await screenshot(page, 'project-disconnected');
});
