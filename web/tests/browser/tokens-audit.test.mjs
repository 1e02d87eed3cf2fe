// Scoped API tokens and the audit log in the console (issue 19): an owner makes a reporter token
// for one project, sees its secret once, a service records a build with it (the listing then says
// when it was last used), the owner revokes it and the token is refused; the audit log lists
// both changes with who, when and from where. A member is told only owners manage tokens.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAccessible, assertCleanConsole, clickText, fieldByLabel, newPage, screenshot, signIn, typeInto, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, world as scenario } from './scenarios.mjs';

let w;
before(async () => {
  w = await world('tokens', (origin) => scenario(origin, { botExpiresInDays: 400 }), {
    oauth: { gitlab: 'gl-app', github: 'gh-app' },
  });
});
after(async () => w?.close());

const bodyText = (page) => page.evaluate(() => document.body.innerText);

test('an owner makes a reporter token, a service uses it, the owner revokes it; the audit log shows it', async () => {
  const page = await newPage(w.browser);
  await signIn(page, w.origin, 'GitLab');
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Gamma');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.includes('/settings'));
  assert.equal((await w.host.api('PUT', '/api/v1/teams/gamma/providers/gitlab', { token: BOT_TOKEN })).status, 200);
  const project = await w.host.api('POST', '/api/v1/teams/gamma/projects', { name: 'Widget' });
  assert.equal(project.status, 201);
  const projectId = project.json.project.id;

  // The tokens page, from the team's tabs.
  await clickText(page, 'API tokens', 'nav a');
  await waitForText(page, 'No API tokens yet.');
  await typeInto(page, 'Token name', 'visual-tests');
  // The project select: choose "only Widget".
  await (await fieldByLabel(page, 'Project')).select(String(projectId));
  await clickText(page, 'Make token');
  await waitForText(page, 'it is shown only this once');
  const secret = await (await fieldByLabel(page, 'New token')).evaluate((el) => el.value);
  assert.match(secret, /^flt_[0-9a-f]{80}$/);
  await waitForText(page, 'only Widget');
  await waitForText(page, 'never used');
  await assertAccessible(assert, page, 'tokens page with a new token');
  await screenshot(page, 'tokens-created');

  // The service records a build with it (no admin token anywhere).
  const post = await fetch(`${w.origin}/api/v1/projects/${projectId}/builds`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ commit_sha: 'a'.repeat(40), branch: 'main', state: 'queued' }),
  });
  assert.equal(post.status, 202, await post.text());
  const settings = await fetch(`${w.origin}/api/v1/teams/gamma/providers/gitlab`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${secret}` },
  });
  assert.equal(settings.status, 403, 'a reporter token changes no setting');

  // Shown once: after a reload the secret is gone, the last use is there.
  await page.reload({ waitUntil: 'networkidle0' });
  await waitForText(page, 'last used');
  assert.ok(!(await bodyText(page)).includes(secret.slice(4)), 'the secret is never shown again');
  assert.ok(!(await page.content()).includes(secret.slice(4)));

  // Revoke, with a confirmation; the token is refused from then on.
  await clickText(page, 'Revoke', 'button');
  await waitForText(page, 'It stops working at once.');
  await clickText(page, 'Yes, revoke');
  await waitForText(page, 'No API tokens yet.');
  const refused = await fetch(`${w.origin}/api/v1/projects/${projectId}/builds`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(refused.status, 401);

  // The audit log: both changes, by alice, from this machine; the secret nowhere.
  await clickText(page, 'Audit log', 'nav a');
  await waitForText(page, 'alice revoked API token visual-tests');
  await waitForText(page, 'alice made API token visual-tests');
  await waitForText(page, 'alice created the team');
  await waitForText(page, 'from 127.0.0.1');
  assert.ok(!(await bodyText(page)).includes(secret.slice(4)));
  await assertAccessible(assert, page, 'audit log');
  await screenshot(page, 'audit-log');
  assertCleanConsole(assert, page);

  // A member sees no tokens and is told who manages them; the audit log is readable.
  const bobContext = await w.browser.createBrowserContext();
  const bob = await newPage(w.browser, { context: bobContext });
  await signIn(bob, w.origin, 'GitHub');
  await waitForText(bob, 'Your teams');
  const bobId = await bob.evaluate(() => fetch('/api/v1/session').then((r) => r.json()).then((s) => s.user.id));
  assert.equal((await w.host.api('POST', '/api/v1/teams/gamma/members', { user_id: bobId, role: 'member' })).status, 201);
  await bob.goto(`${w.origin}/teams/gamma/tokens`, { waitUntil: 'networkidle0' });
  await waitForText(bob, 'Only team owners can see and manage');
  assert.equal(await bob.$('main form'), null);
  await bob.goto(`${w.origin}/teams/gamma/audit`, { waitUntil: 'networkidle0' });
  await waitForText(bob, 'added member');
  assertCleanConsole(assert, bob);
});
