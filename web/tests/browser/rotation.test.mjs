// Token rotation (issue 17) in the console: team settings → GitLab shows the rotation card; the
// setting is saved and then shown in the token's details; "Rotate now" rotates the bot's personal
// token through GitLab's self-rotate API: the forge then refuses the old token and accepts the
// new one, which the host stores (sealed) and keeps using; the notice "Token rotated" is listed.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { assertCleanConsole, clickText, newPage, screenshot, signIn, typeInto, waitForText, world } from './harness.mjs';
import { BOT_TOKEN, world as scenario } from './scenarios.mjs';

let w;
before(async () => {
  w = await world('rotation', (origin) => scenario(origin), { oauth: { gitlab: 'gl-app' }, notifications: true });
});
after(async () => w?.close());

// What the forge says of a token: the status of GET /api/v4/user with it.
async function forgeAccepts(token) {
  const res = await fetch(`${w.sim.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': token } });
  return res.status;
}

test('rotation: the setting saved and shown, "Rotate now" replaces the token at the forge and in the host', async () => {
  assert.equal(await forgeAccepts(BOT_TOKEN), 200, 'the bot token works before the rotation');
  const page = await newPage(w.browser);
  await signIn(page, w.origin, 'GitLab', '/');
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Rot');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/rot/settings/'));
  await clickText(page, 'GitLab', 'nav a');
  await waitForText(page, 'Connect GitLab');
  await typeInto(page, 'Access token', BOT_TOKEN);
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');

  // The setting: off until saved, then shown in the token's details.
  await waitForText(page, 'Rotation before expiry');
  const before = await w.host.api('GET', '/api/v1/teams/rot/providers/gitlab');
  assert.equal(before.status, 200, JSON.stringify(before.json));
  assert.equal(before.json.settings.rotate.enabled, false, JSON.stringify(before.json.settings.rotate));
  await clickText(page, 'Rotate the token through the forge before it expires');
  await typeInto(page, 'Days before expiry', '21');
  await typeInto(page, "New token's lifetime (days)", '90');
  await clickText(page, 'Save rotation setting');
  await waitForText(page, 'Rotation setting saved.');
  await waitForText(page, '21 days before expiry, for 90 days');
  const saved = await w.host.api('GET', '/api/v1/teams/rot/providers/gitlab');
  assert.deepEqual(
    [saved.json.settings.rotate.enabled, saved.json.settings.rotate.days_before_expiry, saved.json.settings.rotate.new_lifetime_days],
    [true, 21, 90],
  );
  const hintBefore = saved.json.settings.token_last4;

  // Rotate now: the forge answers with a new token and revokes the old one at once.
  await clickText(page, 'Rotate now');
  await waitForText(page, 'Last rotated');
  const after = await w.host.api('GET', '/api/v1/teams/rot/providers/gitlab');
  assert.equal(after.status, 200);
  const s = after.json.settings;
  assert.ok(s.rotate.last_rotated_at, JSON.stringify(s.rotate));
  assert.notEqual(s.token_last4, hintBefore, 'the stored token changed');
  assert.equal(JSON.stringify(after.json).includes(BOT_TOKEN), false, 'no token in the answer');
  assert.equal(await forgeAccepts(BOT_TOKEN), 401, 'the forge refuses the old token after the rotation');
  await screenshot(page, 'rotation-done');

  // The host works with the new token: listing the namespaces it reaches asks the forge with it.
  const listed = await w.host.api('GET', '/api/v1/teams/rot/providers/gitlab/namespaces');
  assert.equal(listed.status, 200, JSON.stringify(listed.json));
  assert.ok(listed.json.items.length > 0, JSON.stringify(listed.json));
  const audit = await w.host.api('GET', '/api/v1/teams/rot/audit');
  assert.ok(audit.json.items.some((e) => e.action === 'provider_token.rotated'), JSON.stringify(audit.json.items.map((e) => e.action)));

  // The team's notices list the rotation.
  await page.goto(`${w.origin}/teams/rot/settings/notifications`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Token rotated');
  assertCleanConsole(assert, page);
});
