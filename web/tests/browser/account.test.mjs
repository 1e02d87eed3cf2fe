// Account linking: signed in with GitLab, link the GitHub account from the account page, sign out,
// sign in with GitHub and be the same person (same teams); unlink it again; the last account
// cannot be unlinked.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { assertCleanConsole, clickText, newPage, screenshot, signIn, typeInto, waitForText, world } from './harness.mjs';
import { world as scenario } from './scenarios.mjs';

let w;
before(async () => {
  // Both OAuth apps approve as alice: her GitLab and her GitHub account.
  w = await world('account', (origin) => scenario(origin, { githubUser: 'alice' }), {
    oauth: { gitlab: 'gl-app', github: 'gh-app' },
  });
});
after(async () => w?.close());

test('link a second forge account, sign in with it, unlink it', async () => {
  const page = await newPage(w.browser);
  await signIn(page, w.origin, 'GitLab');
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Linked');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/linked/settings'));

  await page.goto(`${w.origin}/account`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Linked forge accounts');
  const before = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()));
  assert.deepEqual(before.user.identities.map((i) => i.provider), ['gitlab']);
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), clickText(page, 'Link a GitHub account')]);
  assert.equal(new URL(page.url()).pathname, '/account');
  await page.waitForFunction(() => document.querySelectorAll('main .list-row').length === 2);
  const rows = await page.$$eval('main .list-row', (els) => els.map((e) => e.innerText));
  assert.match(rows[0], /GitLab[\s\S]*alice/);
  assert.match(rows[1], /GitHub[\s\S]*alice/);
  await screenshot(page, 'account-linked');

  // Signing in with GitHub now gives the same user: the same team is there.
  await clickText(page, 'Sign out');
  await waitForText(page, 'Sign in to Forgelink');
  await signIn(page, w.origin, 'GitHub', '/signin');
  await waitForText(page, 'Your teams');
  await waitForText(page, 'Linked');
  const after = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()));
  assert.equal(after.user.id, before.user.id);

  // Unlink GitHub; the last account has no unlink button and the API refuses it.
  await page.goto(`${w.origin}/account`, { waitUntil: 'networkidle0' });
  await clickText(page, 'Unlink GitHub');
  await page.waitForFunction(() => document.querySelectorAll('main .list-row').length === 1);
  assert.equal(await page.$('main .list-row button'), null);
  const last = await page.evaluate(async () => {
    const s = await fetch('/api/v1/session').then((r) => r.json());
    const r = await fetch('/api/v1/session/identities/gitlab', { method: 'DELETE', headers: { 'X-CSRF-Token': s.csrf_token } });
    return r.status;
  });
  assert.equal(last, 409);
  assertCleanConsole(assert, page);
  await screenshot(page, 'account');
});
