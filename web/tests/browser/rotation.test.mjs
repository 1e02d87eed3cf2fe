// Token rotation (issue 17) in the console: team settings → GitLab shows the rotation card; the
// setting is saved and then shown in the token's details; "Rotate now" rotates the bot's personal
// token through GitLab's self-rotate API: the forge then refuses the old token and accepts the
// new one, which the host stores (sealed) and keeps using; the notice "Token rotated" is listed.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { assertCleanConsole, clickSelector, clickText, newPage, screenshot, signIn, typeInto, waitForText, world } from './harness.mjs';
import { BOT_TOKEN, GROUP_TOKEN, world as scenario } from './scenarios.mjs';

// A second personal token of the bot (a named credential rotates on its own) and a group token
// (GitLab 17.5, the simulator's version, cannot rotate group tokens: that needs 17.9).
const SECOND_TOKEN = 'glpat-web-bot-second-0000';

let w;
before(async () => {
  const extraTokens =
    `    - {value: ${SECOND_TOKEN}, user: forgelink-bot, scopes: [api], name: forgelink-two}\n` +
    `    - {value: ${GROUP_TOKEN}, kind: group, group: acme, access_level: 30, scopes: [api], name: acme-ci}\n`;
  w = await world('rotation', (origin) => scenario(origin, { extraTokens }), { oauth: { gitlab: 'gl-app' }, notifications: true });
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

test('rotation of a named credential: its own setting and "Rotate now" from the credentials list', async () => {
  // Signed in already: the browser keeps the first test's session.
  const page = await newPage(w.browser);
  await page.goto(`${w.origin}/teams/rot/settings/gitlab`, { waitUntil: 'networkidle0' });
  for (const [name, token] of [['second', SECOND_TOKEN], ['acme-group', GROUP_TOKEN]]) {
    await clickText(page, 'Add another credential');
    await typeInto(page, 'Name', name);
    await typeInto(page, 'Access token', token);
    await clickText(page, 'Check and add');
    await waitForText(page, `Credential ${name} saved.`);
    await page.waitForSelector(`tr[data-credential="${name}"]`);
  }
  const credential = (name) => w.host.api('GET', `/api/v1/teams/rot/providers/gitlab/credentials/${name}`);
  const before = (await credential('second')).json.settings;
  assert.equal(before.rotate.enabled, false, JSON.stringify(before.rotate));
  const defaultBefore = (await w.host.api('GET', '/api/v1/teams/rot/providers/gitlab')).json.settings;

  const form = 'tr.credential-detail';
  // The group token: enabling its rotation is saved, and its form says why it cannot rotate on
  // this GitLab (checked with the forge on save).
  await clickSelector(page, 'button[aria-label="Rotation of acme-group"]');
  await waitForText(page, 'Rotation of acme-group');
  await clickSelector(page, `${form} input[type=checkbox]`);
  await clickText(page, 'Save rotation setting', `${form} button`);
  await waitForText(page, 'Cannot rotate here: GitLab 17.5.0-ee');
  await waitForText(page, 'cannot rotate a group access token by itself');
  const group = (await credential('acme-group')).json.settings;
  assert.deepEqual([group.rotate.enabled, group.rotate.available], [true, false], JSON.stringify(group.rotate));
  await clickSelector(page, 'button[aria-label="Rotation of acme-group"]');
  await page.waitForFunction((sel) => !document.querySelector(sel), {}, form);

  // The second token: its own setting, saved on it alone.
  const toggle = await page.waitForSelector('button[aria-label="Rotation of second"]');
  assert.equal(await toggle.evaluate((b) => b.getAttribute('aria-expanded')), 'false');
  await toggle.click();
  await waitForText(page, 'Rotation of second');
  await clickSelector(page, `${form} input[type=checkbox]`);
  // The page holds two rotation forms (the default credential's above): this one's field.
  const days = await page.waitForSelector(`${form} input[type=number]`);
  await days.click({ clickCount: 3 });
  await days.evaluate((el) => {
    el.value = '';
  });
  await days.type('10');
  await clickText(page, 'Save rotation setting', `${form} button`);
  await waitForText(page, 'Rotation setting saved.');
  const saved = (await credential('second')).json.settings;
  assert.deepEqual([saved.rotate.enabled, saved.rotate.days_before_expiry], [true, 10], JSON.stringify(saved.rotate));
  const defaultAfterSave = (await w.host.api('GET', '/api/v1/teams/rot/providers/gitlab')).json.settings;
  assert.equal(defaultAfterSave.rotate.days_before_expiry, defaultBefore.rotate.days_before_expiry, 'the default credential is untouched');

  // Rotate now: the forge refuses the second token's old value; the default credential is untouched.
  assert.equal(await forgeAccepts(SECOND_TOKEN), 200);
  await clickText(page, 'Rotate now', `${form} button`);
  await page.waitForFunction((sel) => /Last rotated/.test(document.querySelector(sel)?.innerText ?? ''), {}, form);
  const after = (await credential('second')).json.settings;
  assert.ok(after.rotate.last_rotated_at, JSON.stringify(after.rotate));
  assert.notEqual(after.token_last4, before.token_last4, 'the stored token changed');
  assert.equal(await forgeAccepts(SECOND_TOKEN), 401, 'the forge refuses the old token after the rotation');
  const defaultAfter = (await w.host.api('GET', '/api/v1/teams/rot/providers/gitlab')).json.settings;
  assert.equal(defaultAfter.token_last4, defaultBefore.token_last4, 'the default credential was not rotated');
  await screenshot(page, 'rotation-named');
  assertCleanConsole(assert, page);
});
