// Sign in with GitLab (OAuth through forge-sim), create a team, save a refused token and see the
// refusal next to the field, save a good one and see what the check found, the banner of a token
// that expires within 30 days, the token shown by its last 4 characters, replace / remove, sign out.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertCleanConsole, clickText, newPage, screenshot, signIn, typeInto, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, READ_USER_TOKEN, REVOKED_TOKEN, world as scenario } from './scenarios.mjs';

let w;
before(async () => {
  w = await world('settings', (origin) => scenario(origin, { botExpiresInDays: 12 }), { oauth: { gitlab: 'gl-app', github: 'gh-app' } });
});
after(async () => w?.close());

test('sign in with GitLab, team settings with refusals and findings, sign out', async () => {
  const page = await newPage(w.browser);
  // Signed out: every page leads to the sign-in page, which offers both forges.
  await page.goto(`${w.origin}/teams/anything`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Sign in to Forgelink');
  assert.match(page.url(), /\/signin\?redirect=%2Fteams%2Fanything$/);
  await waitForText(page, 'Continue with GitLab');
  await waitForText(page, 'Continue with GitHub');
  // The buttons start the login and bring the person back where they were going.
  const hrefs = await page.$$eval('.signin-buttons a', (els) => els.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs.sort(), ['/auth/github/login?redirect=%2Fteams%2Fanything', '/auth/gitlab/login?redirect=%2Fteams%2Fanything']);
  await screenshot(page, 'sign-in');
  await page.goto(`${w.origin}/signin`, { waitUntil: 'networkidle0' });
  await signIn(page, w.origin, 'GitLab', '/signin');
  await waitForText(page, 'Your teams');
  await waitForText(page, 'Alice Owner');
  // Keyboard: the first Tab reaches "Skip to content", and focus is visible (an outline).
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { text: el.innerText, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.equal(focused.text, 'Skip to content');
  assert.notEqual(focused.outline, 'none');
  assert.ok(focused.width >= 2, `outline ${focused.width}px`);

  // The host refuses a state change from this session without its CSRF token, so everything
  // the console changes below proves it sends the token.
  const bare = await page.evaluate(() =>
    fetch('/api/v1/teams', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"slug":"nope"}' }).then(
      async (r) => ({ status: r.status, body: await r.json() }),
    ),
  );
  assert.equal(bare.status, 403);
  assert.equal(bare.body.error.code, 'csrf_token_missing');

  // Create a team: lands in its settings.
  await typeInto(page, 'Team name', 'Web Team');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/web-team/settings/'));
  await clickText(page, 'GitLab', 'nav a');
  await waitForText(page, 'Connect GitLab');

  // A revoked token: refused, with the plugin's message next to the token field.
  await typeInto(page, 'Access token', REVOKED_TOKEN);
  await clickText(page, 'Check and save');
  await page.waitForSelector('.field-invalid .field-error');
  const refusal = await page.$eval('.field-invalid', (el) => el.innerText);
  assert.match(refusal, /Access token/);
  assert.match(refusal, /revoked/i, refusal);
  const fieldIsInvalid = await page.$eval('input[type=password]', (el) => el.getAttribute('aria-invalid'));
  assert.equal(fieldIsInvalid, 'true');

  // A token without the api scope: refused, naming the missing scope.
  await typeInto(page, 'Access token', READ_USER_TOKEN);
  await clickText(page, 'Check and save');
  await page.waitForFunction(() => /api/.test(document.querySelector('.field-invalid .field-error')?.innerText ?? '') && /scope/i.test(document.querySelector('.field-invalid .field-error')?.innerText ?? ''));
  const scopeRefusal = await page.$eval('.field-invalid .field-error', (el) => el.innerText);
  assert.match(scopeRefusal, /scope/i);

  // The good token, against a slow forge: progress shows while the check runs. Then saved, what
  // the check found, last 4 only, and the expiry banner. Keyboard only: Enter submits the form.
  const slow = await w.sim.admin('POST', '/_sim/faults', { route: 'GET /api/v4/personal_access_tokens/self', latency_ms: 1500 });
  assert.equal(slow.status, 201);
  const token = await typeInto(page, 'Access token', BOT_TOKEN);
  await token.press('Enter');
  await waitForText(page, 'Checking the token with GitLab…');
  assert.equal(await page.$eval('button[type=submit]', (b) => b.disabled), true, 'no second save while checking');
  await waitForText(page, 'Saved. The token works');
  await w.sim.admin('DELETE', '/_sim/faults');
  await page.waitForSelector('dl.facts');
  await page.waitForSelector('.banner');
  const facts = await page.$eval('dl.facts', (el) => el.innerText);
  assert.match(facts, /personal token/);
  assert.match(facts, /forgelink-bot/);
  assert.match(facts, /\bapi\b/);
  assert.match(facts, /12 days left/);
  assert.match(facts, /••••aBcD/);
  const body = await page.evaluate(() => document.body.innerText);
  assert.ok(!body.includes(BOT_TOKEN), 'the token itself is never shown again');
  const banner = await page.$eval('.banner', (el) => el.innerText);
  assert.match(banner, /The GitLab token expires in 12 days/);
  // The banner is on every page of the team.
  await clickText(page, 'Projects', 'nav a');
  await waitForText(page, 'No projects yet');
  assert.match(await page.$eval('.banner', (el) => el.innerText), /expires in 12 days/);
  await clickText(page, 'Settings', 'nav a');
  await clickText(page, 'GitLab', 'nav a');
  await waitForText(page, 'Replace token');
  await screenshot(page, 'team-settings');

  // Replace: the form comes back; remove: asks first, then the team has no GitLab token.
  await clickText(page, 'Replace token');
  await waitForText(page, 'Replace the GitLab token');
  await clickText(page, 'Cancel');
  await clickText(page, 'Remove token');
  await clickText(page, 'Yes, remove');
  await waitForText(page, 'The GitLab token was removed.');
  await waitForText(page, 'This team has no GitLab token yet');
  await page.waitForFunction(() => !document.querySelector('.banner'));
  const settings = await w.host.api('GET', '/api/v1/teams/web-team/providers');
  assert.deepEqual(settings.json.items, []);

  // A saved token that the forge later revokes: the next forge call marks it invalid, and the
  // banner says so on every page of the team, with what to do.
  await typeInto(page, 'Access token', BOT_TOKEN);
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');
  const revoked = await w.sim.admin('POST', '/_sim/scenario', scenario(w.origin, { botExpiresInDays: 12, botRevoked: true }));
  assert.equal(revoked.status, 200, JSON.stringify(revoked.json));
  await clickText(page, 'Projects', 'nav a');
  await clickText(page, 'Create a new project');
  await clickText(page, 'Continue with GitLab');
  await page.waitForSelector('.picker .alert-error');
  assert.match(await page.$eval('.picker .alert-error', (el) => el.innerText), /revoked|401|unauthori[sz]ed/i);
  await clickText(page, 'Projects', 'nav a');
  await page.waitForFunction(() => /no longer works/.test(document.querySelector('.banner')?.innerText ?? ''));
  const invalid = await page.$eval('.banner', (el) => el.innerText);
  assert.match(invalid, /The GitLab token no longer works .*feedback is paused\. Save a new token in Settings → GitLab\./s);
  await screenshot(page, 'team-banner-invalid');
  await clickText(page, 'Open GitLab settings');
  await waitForText(page, 'invalid');

  assertCleanConsole(assert, page);
  // Sign out: back to the sign-in page, and the API no longer knows the browser.
  await clickText(page, 'Sign out');
  await waitForText(page, 'Sign in to Forgelink');
  const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status));
  assert.equal(session, 401);
  await screenshot(page, 'signed-out');
});
