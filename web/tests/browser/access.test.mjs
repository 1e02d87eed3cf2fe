// Team membership in the browser: a member sees settings read-only and cannot change them; a
// person of team A cannot reach team B (pages or API). Also the console at 360 px wide.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  activate, assertCleanConsole, clickText, newPage, screenshot, signIn, tabTo, typeInto, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, world as scenario } from './scenarios.mjs';

let w;
before(async () => {
  w = await world('access', (origin) => scenario(origin, { botExpiresInDays: 400 }), {
    oauth: { gitlab: 'gl-app', github: 'gh-app' },
  });
});
after(async () => w?.close());

async function createTeam(page, name) {
  await typeInto(page, 'Team name', name);
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.includes('/settings'));
}

test('a member reads settings but cannot change them; nobody reaches another team', async () => {
  // Alice (GitLab) owns team Alpha, with a GitLab token.
  const alice = await newPage(w.browser);
  await signIn(alice, w.origin, 'GitLab');
  await waitForText(alice, 'Your teams');
  await createTeam(alice, 'Alpha');
  assert.equal((await w.host.api('PUT', '/api/v1/teams/alpha/providers/gitlab', { token: BOT_TOKEN })).status, 200);

  // Bob (GitHub), in his own browser context, owns team Bravo.
  const bobContext = await w.browser.createBrowserContext();
  const bob = await newPage(w.browser, { context: bobContext, width: 360, height: 780 });
  await signIn(bob, w.origin, 'GitHub');
  await waitForText(bob, 'Your teams');
  await waitForText(bob, 'Bob Builder');
  await createTeam(bob, 'Bravo');
  const bobId = await bob.evaluate(() => fetch('/api/v1/session').then((r) => r.json()).then((s) => s.user.id));

  // Alice adds Bob to Alpha as a member, from the Members page, by his user id: keyboard only.
  await alice.goto(`${w.origin}/teams/alpha/members`, { waitUntil: 'networkidle0' });
  await waitForText(alice, 'Add a member');
  await tabTo(alice, 'User id');
  await alice.keyboard.type(String(bobId));
  await tabTo(alice, 'Role');
  assert.equal(await alice.evaluate(() => document.activeElement.value), 'member');
  await activate(alice, 'Add member');
  await waitForText(alice, 'Bob Builder');
  const roleOf = async () => (await w.host.api('GET', '/api/v1/teams/alpha/members')).json.items.find((m) => m.user_id === bobId)?.role;
  assert.equal(await roleOf(), 'member');
  // Arrowing through a row's role select changes nothing by itself; "Save role" applies it.
  await tabTo(alice, 'Role of bob', { back: true });
  await alice.keyboard.press('ArrowUp');
  assert.equal(await alice.evaluate(() => document.activeElement.value), 'owner');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await roleOf(), 'member', 'a keystroke in the select must not change the role');
  await activate(alice, 'Save role');
  await alice.waitForFunction(() => ![...document.querySelectorAll('button')].some((b) => b.innerText === 'Save role'));
  assert.equal(await roleOf(), 'owner');
  await tabTo(alice, 'Role of bob', { back: true });
  await alice.keyboard.press('ArrowDown');
  await activate(alice, 'Save role');
  await alice.waitForFunction(() => ![...document.querySelectorAll('button')].some((b) => b.innerText === 'Save role'));
  assert.equal(await roleOf(), 'member');

  // Bob sees Alpha's GitLab settings read-only: no form, no replace / remove, no project creation.
  await bob.goto(`${w.origin}/teams/alpha/settings/gitlab`, { waitUntil: 'networkidle0' });
  await waitForText(bob, 'Only team owners can change these settings');
  await waitForText(bob, 'forgelink-bot');
  const buttons = await bob.$$eval('main button', (els) => els.map((b) => b.innerText.trim()));
  for (const forbidden of ['Check and save', 'Replace token', 'Remove token']) assert.ok(!buttons.includes(forbidden), forbidden);
  assert.equal(await bob.$('input[type=password]'), null);
  await screenshot(bob, 'member-read-only-360px');
  // The page is usable at 360 px: nothing wider than the viewport.
  const overflow = await bob.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than 360`);
  // And the API refuses him too, with the host's CSRF rules applied as to anyone.
  const put = await bob.evaluate(async () => {
    const s = await fetch('/api/v1/session').then((r) => r.json());
    const r = await fetch('/api/v1/teams/alpha/providers/gitlab', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', ...(s.csrf_token ? { 'X-CSRF-Token': s.csrf_token } : {}) },
      body: JSON.stringify({ token: 'glpat-whatever-000000' }),
    });
    return r.status;
  });
  assert.equal(put, 403);
  await bob.goto(`${w.origin}/teams/alpha/members`, { waitUntil: 'networkidle0' });
  await waitForText(bob, 'Alice Owner');
  assert.equal(await bob.$('main select'), null, 'a member cannot change roles');
  await bob.goto(`${w.origin}/teams/alpha`, { waitUntil: 'networkidle0' });
  await waitForText(bob, 'No projects yet');
  assert.ok(!(await bob.evaluate(() => document.body.innerText)).includes('Create a new project'));
  // A project of Alpha: Bob sees it, but cannot connect or disconnect its repository.
  const alphaProject = await w.host.api('POST', '/api/v1/teams/alpha/projects', { name: 'Alpha site' });
  assert.equal(alphaProject.status, 201);
  await bob.goto(`${w.origin}/teams/alpha/projects/${alphaProject.json.project.id}`, { waitUntil: 'networkidle0' });
  await waitForText(bob, 'Only team owners can connect or disconnect the repository.');
  const projectButtons = await bob.$$eval('main button', (els) => els.map((b) => b.innerText.trim()));
  assert.ok(!projectButtons.includes('Connect Git repository'), projectButtons.join(', '));
  assertCleanConsole(assert, bob);

  // Alice is not in Bravo: the page says not found, and so does the API.
  await alice.goto(`${w.origin}/teams/bravo/settings`, { waitUntil: 'networkidle0' });
  await waitForText(alice, 'Team not found');
  const apiStatus = await alice.evaluate(() => fetch('/api/v1/teams/bravo').then((r) => r.status));
  assert.equal(apiStatus, 404);
  const teams = await alice.evaluate(() => fetch('/api/v1/teams').then((r) => r.json()));
  assert.deepEqual(teams.items.map((t) => t.slug), ['alpha']);
  // Nor Bravo's projects, even by id under her own team's address.
  const bravoProject = await w.host.api('POST', '/api/v1/teams/bravo/projects', { name: 'Bravo secret' });
  assert.equal(bravoProject.status, 201);
  const bravoId = bravoProject.json.project.id;
  await alice.goto(`${w.origin}/teams/alpha/projects/${bravoId}`, { waitUntil: 'networkidle0' });
  await waitForText(alice, 'Project not found');
  assert.ok(!(await alice.evaluate(() => document.body.innerText)).includes('Bravo secret'));
  assert.equal(await alice.evaluate((id) => fetch(`/api/v1/projects/${id}`).then((r) => r.status), bravoId), 404);
  assert.equal(await alice.evaluate((id) => fetch(`/api/v1/projects/${id}/builds`).then((r) => r.status), bravoId), 404);
  assertCleanConsole(assert, alice);
  await screenshot(alice, 'other-team-not-found');
});
