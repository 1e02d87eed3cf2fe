// Several credentials per forge (issue 17): team settings → GitLab lists every credential with
// name, kind, scope, health and what it serves; another is added and takes over the repository
// it is more specific for; the project's settings say which credential serves its repository;
// removing the last credential that reaches a repository warns first, naming it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { assertCleanConsole, clickSelector, clickText, newPage, screenshot, signIn, typeInto, waitForText, world } from './harness.mjs';
import { BOT_TOKEN, GROUP_TOKEN, world as scenario } from './scenarios.mjs';

let w;
before(async () => {
  const extraTokens = `    - {value: ${GROUP_TOKEN}, kind: group, group: acme, access_level: 30, scopes: [api], name: acme-ci}\n`;
  w = await world('credentials', (origin) => scenario(origin, { extraTokens }), { oauth: { gitlab: 'gl-app' } });
});
after(async () => w?.close());

// The row's cells, each trimmed, joined with " | ".
const rowText = (page, name) =>
  page.$eval(`tr[data-credential="${name}"]`, (el) => [...el.children].map((c) => c.innerText.trim()).join(' | '));

test('a forge with two credentials: listed, added, serving, removed after a warning', async () => {
  const page = await newPage(w.browser);
  await signIn(page, w.origin, 'GitLab', '/');
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Creds');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/creds/settings/'));
  await clickText(page, 'GitLab', 'nav a');
  await waitForText(page, 'Connect GitLab');
  await typeInto(page, 'Access token', BOT_TOKEN);
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');

  // The list: 'default', the bot's personal token, serving nothing yet.
  await page.waitForSelector('table.credential-list tr[data-credential="default"]');
  let row = await rowText(page, 'default');
  assert.match(row, /personal/, row);
  assert.match(row, /valid/, row);
  assert.match(row, /no repository/, row);

  const made = await w.host.api('POST', '/api/v1/teams/creds/projects', {
    name: 'Widget',
    repository: { provider: 'gitlab', path: 'acme/tools/widget' },
  });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.equal(made.json.project.repository.credential, 'default');

  // Another credential: the group token of acme, which is more specific for widget.
  await clickText(page, 'Add another credential');
  await typeInto(page, 'Name', 'acme-group');
  await typeInto(page, 'Access token', GROUP_TOKEN);
  await clickText(page, 'Check and add');
  await waitForText(page, 'Credential acme-group saved. It serves acme/tools/widget from now on.');
  await page.waitForFunction(() => /acme\/tools\/widget/.test(document.querySelector('tr[data-credential="acme-group"]')?.innerText ?? ''));
  row = await rowText(page, 'acme-group');
  assert.match(row, /\| group \|/, row);
  assert.match(row, /group acme/, row);
  assert.match(row, /valid/, row);
  assert.match(row, /acme\/tools\/widget \(project widget\)/, row);
  assert.match(await rowText(page, 'default'), /no repository/);
  const names = await page.$$eval('table.credential-list tbody th', (els) => els.map((e) => e.innerText.trim()));
  assert.deepEqual(names, ['default', 'acme-group']);
  // The short cells are laid out on one line each: the table once gave the headings and the
  // health badges a letter's width ("Healt|h", "vali|d") to make room for the long paths.
  const broken = await page.$$eval('table.credential-list thead th, table.credential-list td[data-label="Kind"], table.credential-list td[data-label="Health"]', (els) =>
    els
      .filter((el) => !el.querySelector('.sr-only'))
      .filter((el) => {
        // A text node laid out on two lines has boxes at two heights.
        const texts = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = texts.nextNode(); node; node = texts.nextNode()) {
          const range = document.createRange();
          range.selectNodeContents(node);
          if (new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1) return true;
        }
        return false;
      })
      .map((el) => el.innerText),
  );
  assert.deepEqual(broken, [], 'cells laid out on more than one line');
  await screenshot(page, 'credentials-list');

  // The project's settings say which credential serves the repository, as does its report.
  await page.goto(`${w.origin}/teams/creds/projects/${made.json.project.id}`, { waitUntil: 'networkidle0' });
  await waitForText(page, "with the team's credential acme-group");
  await waitForText(page, 'Served by');
  await waitForText(page, 'credential acme-group (group token of group acme)');

  // 'default' goes without a word (it serves nothing); the group token is then the last that
  // reaches widget: removing it warns, naming the repository, and only "Remove anyway" does it.
  await page.goto(`${w.origin}/teams/creds/settings/gitlab`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('tr[data-credential="default"]');
  await clickSelector(page, 'button[aria-label="Remove credential default"]');
  await clickText(page, 'Yes, remove default');
  await waitForText(page, 'Credential default removed.');
  await waitForText(page, 'This team has no GitLab credential named “default”');
  await clickSelector(page, 'button[aria-label="Remove credential acme-group"]');
  await clickText(page, 'Yes, remove acme-group');
  await waitForText(page, 'Removing acme-group would stop feedback to acme/tools/widget (project widget)');
  assert.ok(await page.$('tr[data-credential="acme-group"]'), 'nothing removed before the confirmation');
  await clickText(page, 'Remove anyway');
  await waitForText(page, 'No feedback for acme/tools/widget (project widget) until a credential reaches them.');
  await page.waitForFunction(() => !document.querySelector('tr[data-credential="acme-group"]'));
  const left = await w.host.api('GET', '/api/v1/teams/creds/providers');
  assert.deepEqual(left.json.items, []);
  assertCleanConsole(assert, page);
});

// An OAuth token of the host's GitLab app, as an admin gets it: authorized on the forge (the
// simulator approves as alice) and the code exchanged for the access and refresh token.
async function oauthPair() {
  const redirect = `${w.origin}/auth/gitlab/callback`;
  const authorize = await fetch(
    `${w.sim.url}/oauth/authorize?client_id=gl-app&redirect_uri=${encodeURIComponent(redirect)}&response_type=code&state=s&scope=api`,
    { redirect: 'manual' },
  );
  const code = new URL(authorize.headers.get('location')).searchParams.get('code');
  assert.ok(code, `no code in ${authorize.status} ${authorize.headers.get('location')}`);
  const exchanged = await fetch(`${w.sim.url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'gl-app', client_secret: 'gl-app-secret', redirect_uri: redirect, code }),
  });
  assert.equal(exchanged.status, 200);
  const pair = await exchanged.json();
  assert.ok(pair.access_token && pair.refresh_token, JSON.stringify(Object.keys(pair)));
  return pair;
}

test('an OAuth token saved with its refresh token is renewed by Forgelink; a refresh token with an access token is refused at its field', async () => {
  // Signed in already: the browser keeps the first test's session.
  const page = await newPage(w.browser);
  await page.goto(`${w.origin}/`, { waitUntil: 'networkidle0' });
  await typeInto(page, 'Team name', 'Renew');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/renew/settings/'));
  await clickText(page, 'GitLab', 'nav a');
  await waitForText(page, 'Connect GitLab');

  // A personal access token is not renewed by refreshing: the refusal is shown at the field.
  await typeInto(page, 'Access token', BOT_TOKEN);
  await typeInto(page, 'Refresh token (optional)', 'not-for-this-token');
  await clickText(page, 'Check and save');
  await waitForText(page, 'goes with an OAuth token');
  const refusedAt = await page.$eval('.field-invalid label', (el) => el.textContent.trim());
  assert.equal(refusedAt, 'Refresh token (optional)');
  assert.equal((await w.host.api('GET', '/api/v1/teams/renew/providers/gitlab')).status, 404, 'nothing was saved');

  const pair = await oauthPair();
  await typeInto(page, 'Access token', pair.access_token);
  await typeInto(page, 'Refresh token (optional)', pair.refresh_token);
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');
  await waitForText(page, 'Renewed by Forgelink with its refresh token before it expires.');
  // It lives two hours, but Forgelink renews it: no "expires today" banner, no warning.
  assert.equal(await page.$$eval('.banner', (els) => els.length), 0, 'no banner for a token Forgelink renews');
  assert.equal((await page.evaluate(() => document.body.innerText)).includes('expires today'), false);
  const saved = await w.host.api('GET', '/api/v1/teams/renew/providers/gitlab');
  assert.equal(saved.json.settings.kind, 'oauth', JSON.stringify(saved.json.settings));
  assert.equal(saved.json.settings.refreshed_by_forgelink, true);
  for (const secret of [pair.access_token, pair.refresh_token]) {
    assert.equal(JSON.stringify(saved.json).includes(secret), false, 'no secret in the answer');
    assert.equal((await page.evaluate(() => document.body.innerHTML)).includes(secret), false, 'no secret on the page');
  }
  await screenshot(page, 'credentials-renewed');

  // Saved again without it: no longer renewed, and the page says nothing of renewal.
  await clickText(page, 'Replace token');
  await typeInto(page, 'Access token', pair.access_token);
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');
  await page.waitForFunction(() => !document.body.innerText.includes('Renewed by Forgelink'));
  // Its expiry is two hours away: today, or tomorrow when the test runs after 22:00 UTC (days
  // are calendar days in UTC, as the forge's expiry dates are).
  const unrenewed = (await w.host.api('GET', '/api/v1/teams/renew/providers/gitlab')).json.settings;
  assert.equal(unrenewed.refreshed_by_forgelink, false);
  assert.ok(unrenewed.days_left === 0 || unrenewed.days_left === 1, JSON.stringify(unrenewed));
  await waitForText(page, unrenewed.days_left === 0 ? 'The GitLab token expires today.' : 'The GitLab token expires in 1 day.');
  assertCleanConsole(assert, page);
});
