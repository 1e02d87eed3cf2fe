// Team settings → Notifications in the browser: an owner sets the team's webhook (shown back only
// as a hint), the forge revokes the team's token, and the host tells the team exactly once: one
// POST at the webhook (a loopback receiver) with a Slack-compatible text, and the notice listed
// in the console as sent.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import {
  assertCleanConsole, clickText, newPage, screenshot, signIn, typeInto, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, world as scenario } from './scenarios.mjs';

let w;
let receiver;
const received = [];
before(async () => {
  w = await world('notices', (origin) => scenario(origin, { botExpiresInDays: 400 }), {
    oauth: { gitlab: 'gl-app', github: 'gh-app' },
    notifications: true,
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await w?.close();
});

const until = async (what, check, ms = 45000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

test('a revoked token reaches the team webhook once and is listed as sent', async () => {
  const page = await newPage(w.browser);
  await signIn(page, w.origin, 'GitLab');
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Alpha');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.includes('/settings'));
  assert.equal((await w.host.api('PUT', '/api/v1/teams/alpha/providers/gitlab', { token: BOT_TOKEN })).status, 200);

  // Settings → Notifications: no webhook yet, no notices.
  await clickText(page, 'Notifications');
  await waitForText(page, 'No notices yet.');
  await waitForText(page, 'none: notices are only listed here');
  const hook = `http://127.0.0.1:${receiver.address().port}/services/T0/B0/BrowserHookSecret99`;
  await typeInto(page, 'Webhook URL', hook);
  await clickText(page, 'Save webhook');
  await waitForText(page, 'Saved. Notices from now on are sent to this webhook.');
  await waitForText(page, '/…et99');
  assert.ok(!(await page.evaluate(() => document.body.innerText)).includes('BrowserHookSecret'), 'the URL is never shown back');
  const stored = await w.host.api('GET', '/api/v1/teams/alpha/notifications');
  assert.ok(!JSON.stringify(stored.json).includes('BrowserHookSecret'));

  // The forge revokes the token; the host's next call with it gets a 401, and the token is
  // re-checked at the next maintenance pass.
  const revoked = await fetch(`${w.sim.url}/api/v4/personal_access_tokens/self`, {
    method: 'DELETE',
    headers: { 'PRIVATE-TOKEN': BOT_TOKEN },
  });
  assert.equal(revoked.status, 204);
  const browse = await w.host.api('GET', '/api/v1/teams/alpha/providers/gitlab/namespaces');
  assert.equal(Math.floor(browse.status / 100), 4);

  await until('the webhook POST', () => received.length >= 1);
  // Several more maintenance passes and sender polls: still one.
  await new Promise((r) => setTimeout(r, 5000));
  assert.equal(received.length, 1, JSON.stringify(received));
  const [post] = received;
  assert.equal(post.method, 'POST');
  assert.equal(post.url, '/services/T0/B0/BrowserHookSecret99');
  assert.equal(post.headers['content-type'], 'application/json');
  const body = JSON.parse(post.body);
  assert.match(body.text, /team alpha's GitLab credential 'default' at .* is no longer accepted/);
  assert.equal(body.notice.kind, 'token_invalid');
  assert.equal(body.notice.team, 'alpha');
  assert.equal(post.headers['x-forgelink-notice-id'], String(body.notice.id));
  assert.ok(!post.body.includes(BOT_TOKEN), 'a notice never contains the token');

  await page.reload({ waitUntil: 'networkidle0' });
  await waitForText(page, 'Token invalid');
  await waitForText(page, 'Webhook: sent');
  await waitForText(page, 'is no longer accepted');
  assert.ok(!(await page.evaluate(() => document.body.innerText)).includes(BOT_TOKEN));
  await screenshot(page, 'team-notifications');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);

  // Removing the webhook: the page says so, and the notice stays listed.
  await clickText(page, 'Remove webhook');
  await waitForText(page, 'The webhook was removed.');
  await waitForText(page, 'none: notices are only listed here');
  await waitForText(page, 'Token invalid');
  assertCleanConsole(assert, page);
});
