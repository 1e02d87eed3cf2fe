// The console's sign-in under the login rate limit (server.limits.login_requests_per_minute, issue
// 19). A budget of 4 login requests holds two sign-ins (each is two: the start and the forge's
// callback) with a sign-out between; pressing "Continue with GitLab" once more shows the
// sign-in-failed page (429) naming the limit and when to retry, before the forge is asked.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { clickText, newPage, screenshot, signIn, waitForText, world } from './harness.mjs';
import { world as scenario } from './scenarios.mjs';

let w;
before(async () => {
  w = await world('login-limit', (origin) => scenario(origin), {
    oauth: { gitlab: 'gl-app' },
    limits: '    login_requests_per_minute: 4\n',
  });
});
after(async () => w?.close());

test('two sign-ins fit a budget of 4 login requests; one more start is refused on a readable page', async () => {
  const page = await newPage(w.browser);
  for (let round = 1; round <= 2; round += 1) {
    await signIn(page, w.origin, 'GitLab', '/signin');
    await waitForText(page, 'Your teams');
    await waitForText(page, 'Alice Owner');
    await clickText(page, 'Sign out');
    await waitForText(page, 'Sign in to Forgelink');
  }
  await page.goto(`${w.origin}/signin`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Continue with GitLab');
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'networkidle0' }),
    clickText(page, 'Continue with GitLab'),
  ]);
  assert.equal(response.status(), 429);
  assert.match(response.headers()['retry-after'] ?? '', /^[1-9]\d*$/);
  assert.equal(new URL(page.url()).origin, w.origin, 'refused by the host, not sent on to the forge');
  await waitForText(page, 'Sign-in failed');
  const text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /at most 4 a minute on the login routes \(server\.limits\.login_requests_per_minute\); retry in \d+ s/);
  // The page wears the console's look: its inline style is allowed by the hash in its own CSP
  // (a style the CSP refused would leave the browser's defaults).
  const look = await page.evaluate(() => {
    const button = document.querySelector('a.button');
    return {
      button: button && getComputedStyle(button).backgroundColor,
      body: getComputedStyle(document.body).backgroundColor,
      back: button && button.getAttribute('href'),
    };
  });
  assert.deepEqual(look, { button: 'rgb(47, 84, 235)', body: 'rgb(246, 248, 250)', back: '/' });
  assert.match(response.headers()['content-security-policy'] ?? '', /style-src 'sha256-[A-Za-z0-9+/]{43}='/);
  assert.doesNotMatch(response.headers()['content-security-policy'] ?? '', /unsafe-inline|script-src/);
  await screenshot(page, 'login-limit');
});
