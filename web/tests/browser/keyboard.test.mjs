// Every flow with the keyboard alone: Tab / Shift+Tab to reach a control (every stop on the way
// must show a visible focus), Enter / Space / arrow keys to use it, typing into fields. No mouse,
// no element.click(). Sign in with GitLab, team settings (refused token, a good one against a slow
// forge, replace, remove), create a project from a repository, disconnect / connect it, its builds'
// links, link the GitHub account, sign out, sign in with GitHub, unlink, sign out.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  activate, assertCleanConsole, assertFocus, focusInfo, newPage, pressAndNavigate, screenshot, tabTo, typeHere,
  waitEnabled, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, READONLY_GROUP, READONLY_PROJECTS, REVOKED_TOKEN, world as scenario } from './scenarios.mjs';

const FEATURE_SHA = 'af5b13261899fb2c0db30abdd0af8b07cb44fdc5';

let w;
let page;
before(async () => {
  // Both OAuth apps approve as alice (her GitLab and her GitHub account); the bot token expires
  // in 12 days, so the team's pages carry the banner.
  const extra = { groups: READONLY_GROUP, generate: READONLY_PROJECTS };
  w = await world('keyboard', (origin) => scenario(origin, { githubUser: 'alice', botExpiresInDays: 12, ...extra }), {
    oauth: { gitlab: 'gl-app', github: 'gh-app' },
  });
  page = await newPage(w.browser, { width: 1200, height: 900 });
});
after(async () => w?.close());

/** The element with the focus, read by the page (its href, its state). */
const focused = (fn) => page.evaluate(fn);

/**
 * Presses an arrow key until the focus is on `name` (within a radio group the arrows move the
 * focus and check each radio they reach), checking the focus is visible at every step.
 */
async function arrowTo(name, key = 'ArrowDown', max = 10) {
  for (let i = 0; i <= max; i++) {
    const f = await focusInfo(page);
    if (name.test(f.name)) return assertFocus(page, name);
    if (!f.visible) throw new Error(`no visible focus on ${f.tag} “${f.name}”`);
    await page.keyboard.press(key);
  }
  throw new Error(`${key} never reached ${name}; focus is on “${(await focusInfo(page)).name}”`);
}

test('sign in with GitLab and create a team, keyboard only', async () => {
  await page.goto(`${w.origin}/signin`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Continue with GitLab');
  // The first Tab stop is "Skip to content"; Enter on it takes the focus into the page.
  await tabTo(page, 'Skip to content', { max: 1 });
  await page.keyboard.press('Enter');
  await tabTo(page, 'Continue with GitHub', { max: 2 });
  // Signed out, any address leads to the sign-in page, with the focus on its heading.
  await page.goto(`${w.origin}/teams/keys`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Continue with GitLab');
  await page.waitForFunction(() => document.activeElement?.innerText === 'Sign in to Forgelink');
  await tabTo(page, 'Continue with GitLab');
  await pressAndNavigate(page, 'Enter');
  // Back where the person was going: the team does not exist yet.
  await waitForText(page, 'Team not found');
  await waitForText(page, 'Alice Owner');
  await activate(page, 'Your teams');
  await waitForText(page, 'Create a team');

  await tabTo(page, 'Team name');
  await page.keyboard.type('Keys');
  await tabTo(page, 'Create team');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/keys/settings/'));
  // After a page change the focus is on the new page's heading (drawn, as the keyboard was
  // used), so Tab goes on from there.
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  await assertFocus(page, 'Settings');
  await activate(page, 'GitLab');
  await page.waitForFunction(() => location.pathname === '/teams/keys/settings/gitlab');
  await waitForText(page, 'Connect GitLab');
});

test('team settings: a refused token, a good one on a slow forge, replace, remove, keyboard only', async () => {
  await tabTo(page, 'Access token');
  await page.keyboard.type(REVOKED_TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.field-invalid .field-error');
  assert.match(await page.$eval('.field-invalid', (el) => el.innerText), /revoked/i);
  // The focus is on the field the refusal concerns, which names its error.
  await assertFocus(page, 'Access token');
  assert.equal(await focused(() => document.activeElement.getAttribute('aria-invalid')), 'true');
  const description = await focused(() =>
    (document.activeElement.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => document.getElementById(id)?.innerText ?? '')
      .join(' '),
  );
  assert.match(description, /revoked/i);

  // A slow forge: the progress shows while the check runs; the button says so and is not pressable.
  const slow = await w.sim.admin('POST', '/_sim/faults', { route: 'GET /api/v4/personal_access_tokens/self', latency_ms: 1500 });
  assert.equal(slow.status, 201);
  await typeHere(page, BOT_TOKEN);
  await tabTo(page, 'Check and save');
  await page.keyboard.press('Space');
  await waitForText(page, 'Checking the token with GitLab…');
  await waitForText(page, 'Saved. The token works');
  await w.sim.admin('DELETE', '/_sim/faults');
  // The form closed: the focus is on the message saying what happened, visibly.
  await assertFocus(page, /^Saved\. The token works/);
  assert.match(await page.$eval('dl.facts', (el) => el.innerText), /••••aBcD/);
  assert.match(await page.$eval('.banner', (el) => el.innerText), /expires in 12 days/);

  // Replace (Space on the button): the form opens with the focus in the token field; a new token
  // and Enter replace it. Opened again, Cancel gives the focus back to "Replace token".
  await w.sim.admin('DELETE', '/_sim/requests');
  await tabTo(page, 'Replace token');
  await page.keyboard.press('Space');
  await waitForText(page, 'Replace the GitLab token');
  await assertFocus(page, 'Access token');
  await page.keyboard.type(BOT_TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('form h2'));
  await assertFocus(page, /^Saved\. The token works/);
  // The replacement was checked with the forge before it was saved.
  const checks = (await w.sim.admin('GET', '/_sim/requests')).json.filter((r) => r.path === '/api/v4/personal_access_tokens/self');
  assert.ok(checks.length >= 1, 'the new token was checked with GitLab');
  await tabTo(page, 'Replace token');
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Access token');
  await tabTo(page, 'Cancel');
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Replace token');

  // Remove asks first with the focus on Cancel (Enter twice removes nothing); Cancel returns to
  // "Remove token"; then Shift+Tab from Cancel reaches "Yes, remove".
  await tabTo(page, 'Remove token');
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Cancel');
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Remove token');
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Cancel');
  await tabTo(page, 'Yes, remove', { back: true, max: 1 });
  await page.keyboard.press('Enter');
  await waitForText(page, 'This team has no GitLab token yet');
  await assertFocus(page, 'The GitLab token was removed.');
  assert.deepEqual((await w.host.api('GET', '/api/v1/teams/keys/providers')).json.items, []);

  // Saved again for what follows.
  await tabTo(page, 'Access token');
  await page.keyboard.type(BOT_TOKEN);
  await page.keyboard.press('Enter');
  await waitForText(page, 'Saved. The token works');
  await screenshot(page, 'keyboard-team-settings');
});

test('create a project: Continue with GitLab, namespace, repository search, create, keyboard only', async () => {
  // The team's tabs come before the heading: Shift+Tab reaches "Projects".
  await activate(page, 'Projects', { back: true });
  await page.waitForFunction(() => location.pathname === '/teams/keys');
  await activate(page, 'Create a new project');
  await page.waitForFunction(() => location.pathname === '/teams/keys/projects/new');
  // A slow forge: while a listing loads, the page says so (a live status line), for the
  // namespaces and then for the repositories.
  const slow = await w.sim.admin('POST', '/_sim/faults', { route: 'GET /api/v4/(namespaces|groups|projects|users)', latency_ms: 1500 });
  assert.equal(slow.status, 201);
  await activate(page, 'Continue with GitLab');
  await page.waitForFunction(() => document.querySelector('.picker [role=status]')?.innerText === 'Loading namespaces…');
  // The forge chosen, the focus is in the namespace search.
  await assertFocus(page, 'Search namespaces');
  await page.waitForFunction(() => document.querySelectorAll('.radio-row').length > 0, { timeout: 60000 });
  await page.keyboard.type('b');
  // The list answers the search (every row matches), not the listing from before it.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('.radio-row')];
    return rows.some((r) => r.innerText.startsWith('big\n')) && rows.every((r) => r.innerText.includes('b'));
  });
  // The radio group is one Tab stop; the arrow keys move in it and choose the namespace.
  const radio = await tabTo(page, /\s(user|group)$/);
  assert.equal(radio.type, 'radio');
  await arrowTo(/^big\s+group$/);
  assert.equal(await focused(() => document.activeElement.checked), true);
  await page.waitForFunction(() => [...document.querySelectorAll('legend')].some((l) => l.innerText === 'Repository in big'));
  await page.waitForFunction(() =>
    document.querySelector('[role=listbox][aria-busy=true]') &&
    [...document.querySelectorAll('.picker [role=status]')].some((p) => p.innerText === 'Loading repositories…'),
  );
  await page.waitForSelector('[role=listbox][aria-busy=false] [role=option]', { timeout: 60000 });
  await w.sim.admin('DELETE', '/_sim/faults');

  // A repository the token cannot report to: arrows reach it, Enter does not choose it.
  await tabTo(page, 'Search repositories');
  await page.keyboard.type('readonly');
  await page.waitForFunction(() => {
    const opts = [...document.querySelectorAll('[role=option]')];
    return opts.length === 3 && opts.every((o) => o.getAttribute('aria-disabled') === 'true');
  });
  await tabTo(page, 'Repositories');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /cannot be chosen/.test(document.querySelector('.active-detail')?.innerText ?? ''));
  assert.equal(await page.$('#chosen-title'), null);

  // Back to the namespaces (Shift+Tab), all of them, and the arrow keys move to acme.
  await tabTo(page, 'Search namespaces', { back: true });
  await typeHere(page, '');
  await page.waitForFunction(() => [...document.querySelectorAll('.radio-row')].some((r) => r.innerText.startsWith('acme\n')));
  // The Tab stop of the group is its checked radio (big); ArrowUp moves up to acme.
  await tabTo(page, /^big\s+group$/);
  await arrowTo(/^acme\s+group$/, 'ArrowUp');
  assert.equal(await focused(() => document.activeElement.checked), true);
  await page.waitForFunction(() => [...document.querySelectorAll('legend')].some((l) => l.innerText === 'Repository in acme'));

  // Search as you type, arrow down into the list, Enter chooses.
  await tabTo(page, 'Search repositories');
  await typeHere(page, 'widget');
  await page.waitForFunction(() => {
    const opts = [...document.querySelectorAll('[role=option]')];
    return opts.length === 1 && opts[0].innerText.includes('acme/tools/widget');
  });
  await tabTo(page, 'Repositories');
  // The list shows which option is active (box-shadow on the row, aria-activedescendant).
  await page.keyboard.press('ArrowDown');
  const active = await page.$eval('[role=listbox]', (el) => {
    const opt = document.getElementById(el.getAttribute('aria-activedescendant'));
    return { text: opt?.innerText ?? '', shadow: opt ? getComputedStyle(opt).boxShadow : 'none' };
  });
  assert.match(active.text, /acme\/tools\/widget/);
  assert.notEqual(active.shadow, 'none');
  await page.keyboard.press('Enter');
  await waitForText(page, 'can post');
  assert.equal(await page.$eval('[role=option][aria-selected=true]', (el) => el.innerText.split('\n')[0]), 'acme/tools/widget');

  await tabTo(page, 'Project name');
  assert.equal(await focused(() => document.activeElement.value), 'Widget');
  await activate(page, 'Create project from acme/tools/widget');
  await waitForText(page, 'Project created and linked to acme/tools/widget');
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  await assertFocus(page, 'Widget');
  await screenshot(page, 'keyboard-project-created');
});

test('project settings: disconnect and connect, builds and their links, keyboard only', async () => {
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  assert.ok(Number.isInteger(id), page.url());
  await waitForText(page, 'can comment');

  // Disconnect: the confirmation has the focus on Cancel; Shift+Tab reaches "Yes, disconnect".
  await activate(page, 'Disconnect');
  await assertFocus(page, 'Cancel');
  await tabTo(page, 'Yes, disconnect', { back: true, max: 1 });
  await page.keyboard.press('Enter');
  await waitForText(page, 'Not linked');
  // The focus is on "Connect Git repository", which replaced the link.
  await assertFocus(page, 'Connect Git repository');
  assert.equal((await w.host.api('GET', `/api/v1/projects/${id}`)).json.project.repository, null);

  // Connect: the first forge's button has the focus, then the namespace search.
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Continue with GitLab');
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Search namespaces');
  await page.waitForFunction(() => [...document.querySelectorAll('.radio-row')].some((r) => r.innerText.startsWith('acme\n')));
  // Nothing checked yet: Tab reaches the first radio, Space checks it, arrows move to acme.
  await tabTo(page, /\s(user|group)$/);
  await page.keyboard.press('Space');
  await arrowTo(/^acme\s+group$/);
  await page.waitForFunction(() => [...document.querySelectorAll('[role=option]')].some((o) => o.innerText.includes('acme/tools/gadget')));
  await tabTo(page, 'Repositories');
  // Arrow keys move the active option (End, then up until gadget), Enter chooses it.
  const activeText = () =>
    page.$eval('[role=listbox]', (el) => document.getElementById(el.getAttribute('aria-activedescendant'))?.innerText ?? '');
  await page.keyboard.press('End');
  for (let i = 0; i < 5 && !(await activeText()).includes('acme/tools/gadget'); i++) await page.keyboard.press('ArrowUp');
  assert.match(await activeText(), /acme\/tools\/gadget/);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /acme\/tools\/gadget/.test(document.querySelector('#chosen-title')?.innerText ?? ''));
  await waitForText(page, 'can post');
  await activate(page, 'Connect acme/tools/gadget');
  await waitForText(page, 'Linked to GitLab acme/tools/gadget');
  await assertFocus(page, 'Connected to acme/tools/gadget.');
  assert.equal((await w.host.api('GET', `/api/v1/projects/${id}`)).json.project.repository.full_path, 'acme/tools/gadget');

  // Back to widget (it has the merge request) through the API, then a build on its merge request.
  const relinked = await w.host.api('PUT', `/api/v1/projects/${id}/repository`, { provider: 'gitlab', repository: '100' });
  assert.equal(relinked.status, 200, JSON.stringify(relinked.json));
  const build = await w.host.api('POST', `/api/v1/projects/${id}/builds`, {
    commit_sha: FEATURE_SHA, branch: 'feature', merge_request: 1, state: 'changes_detected',
    stats: { changed: 2 }, url: 'https://visual.example.com/builds/7',
  });
  assert.equal(build.status, 202, JSON.stringify(build.json));
  // Refresh by keyboard until both deliveries are done (the page also refreshes itself).
  await activate(page, 'Refresh');
  await page.waitForFunction(() => document.querySelectorAll('.deliveries .badge-done').length === 2, { timeout: 90000 });
  // Each link of the build is a Tab stop with visible focus, in reading order.
  await tabTo(page, 'build page');
  assert.equal(await focused(() => document.activeElement.href), 'https://visual.example.com/builds/7');
  await tabTo(page, 'status link');
  assert.equal(await focused(() => document.activeElement.href), 'https://visual.example.com/builds/7');
  await tabTo(page, 'open comment');
  assert.match(await focused(() => document.activeElement.href), /merge_requests\/1#note_\d+$/);
  await screenshot(page, 'keyboard-builds');
});

test('link the GitHub account, sign out, sign in with GitHub, unlink, sign out, keyboard only', async () => {
  // The header's account link (the person's name) is before the page: Shift+Tab reaches it.
  await activate(page, 'Alice Owner', { back: true, max: 80 });
  await page.waitForFunction(() => location.pathname === '/account');
  await waitForText(page, 'Linked forge accounts');
  await tabTo(page, 'Link a GitHub account');
  await pressAndNavigate(page, 'Enter');
  assert.equal(new URL(page.url()).pathname, '/account');
  await page.waitForFunction(() => document.querySelectorAll('main .list-row').length === 2);

  await activate(page, 'Sign out', { back: true });
  await waitForText(page, 'Sign in to Forgelink');
  assert.equal(await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status)), 401);
  await tabTo(page, 'Continue with GitHub');
  await pressAndNavigate(page, 'Enter');
  await waitForText(page, 'Your teams');
  await waitForText(page, 'Keys');

  // Unlink GitHub: the row goes, the focus moves to the message saying so.
  await activate(page, 'Alice Owner', { back: true });
  await page.waitForFunction(() => location.pathname === '/account');
  await activate(page, 'Unlink GitHub');
  await page.waitForFunction(() => document.querySelectorAll('main .list-row').length === 1);
  await assertFocus(page, 'Your GitHub account is no longer linked.');

  await activate(page, 'Sign out', { back: true });
  await waitForText(page, 'Sign in to Forgelink');
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  const f = await focusInfo(page);
  assert.equal(f.name, 'Sign in to Forgelink');
  assertCleanConsole(assert, page);
  await screenshot(page, 'keyboard-signed-out');
});
