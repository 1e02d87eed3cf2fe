// "Create a new project → Continue with GitLab" over a group of 20,000 repositories: pick the
// namespace, search as you type, load every page by scrolling (the list stays small in the DOM),
// repositories the token cannot report to are disabled with the permission report's reason, and
// the created project appears in the team's list, linked.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertCleanConsole, clickText, newPage, screenshot, signIn, typeInto, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, world as scenario } from './scenarios.mjs';

const GENERATED = 20000;
const generate = `  generate:
    - {projects: ${GENERATED}, namespace: big, path_prefix: proj-, start_id: 100000, member: forgelink-bot, access_level: 30}
    - {projects: 12, namespace: big, path_prefix: readonly-, start_id: 200000, member: forgelink-bot, access_level: 20}
`;

// The bot is a Guest of the group (so GitLab lists it as a namespace), Developer of proj-* and
// Reporter of readonly-* through direct project membership.
const groups = `    - {id: 20, path: big, name: Big, visibility: private, members: {forgelink-bot: 10}}
`;

let w;
before(async () => {
  w = await world('picker', (origin) => scenario(origin, { generate, groups }), { oauth: { gitlab: 'gl-app' } });
});
after(async () => w?.close());

const loadedCount = (page) =>
  page.$eval('.repo-count', (el) => Number(el.innerText.replace(/,/g, '').match(/\d+/)?.[0] ?? 0));

test('create a project from one of 20,000 repositories', async () => {
  const page = await newPage(w.browser);
  await signIn(page, w.origin);
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Picker');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/picker/settings'));
  const saved = await w.host.api('PUT', '/api/v1/teams/picker/providers/gitlab', { token: BOT_TOKEN });
  assert.equal(saved.status, 200, JSON.stringify(saved.json));

  await page.goto(`${w.origin}/teams/picker`, { waitUntil: 'networkidle0' });
  await clickText(page, 'Create a new project');
  await clickText(page, 'Continue with GitLab');
  // The namespace, found by searching.
  await typeInto(page, 'Search namespaces', 'big');
  // The list answers the search (every row matches), not the listing from before it.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('.radio-row')];
    return rows.length > 0 && rows.every((r) => r.innerText.includes('big'));
  });
  await clickText(page, 'big\ngroup', 'label');
  // The first page of repositories arrives; the list renders a window of rows, not all of them.
  await page.waitForSelector('[role=listbox] [role=option]');
  const listbox = await page.$('[role=listbox]');

  // Scroll to the end again and again: every page loads, up to the last repository.
  const started = Date.now();
  let last = 0;
  while (Date.now() - started < 150000) {
    await listbox.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await new Promise((r) => setTimeout(r, 60));
    const done = await page.evaluate(() => !document.querySelector('[aria-busy=true]') && ![...document.querySelectorAll('button')].some((b) => b.innerText === 'Load more repositories') && !document.querySelector('.progress'));
    last = await loadedCount(page);
    if (done && last >= GENERATED) break;
  }
  const rows = await page.$$eval('[role=option]', (els) => els.length);
  assert.equal(last, GENERATED + 12, `every repository is reachable (loaded ${last})`);
  assert.ok(rows < 60, `the list renders a window, not ${rows} rows`);
  const seconds = (Date.now() - started) / 1000;
  // Responsive while holding 20,012 repositories: a keystroke in the search box paints quickly.
  const inputs = await page.$$('input[type=search]');
  const repoSearch = inputs[inputs.length - 1];
  const typed = await repoSearch.evaluate(async (el) => {
    el.focus();
    const t0 = performance.now();
    el.value = 'x';
    el.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - t0;
  });
  assert.ok(typed < 250, `a keystroke took ${typed} ms to paint`);
  console.log(`loaded ${last} repositories in ${seconds.toFixed(1)} s; keystroke ${typed.toFixed(0)} ms`);

  // Search as you type: repositories the token cannot report to are disabled, with the reason.
  // Typing is debounced: the forge is asked for the whole word, not for every prefix of it.
  assert.equal((await w.sim.admin('DELETE', '/_sim/requests')).status < 300, true);
  await typeInto(page, 'Search repositories', 'readonly-');
  await page.waitForFunction(() => {
    const opts = [...document.querySelectorAll('[role=option]')];
    return opts.length === 12 && opts.every((o) => o.innerText.includes('readonly-'));
  });
  const log = (await w.sim.admin('GET', '/_sim/requests')).json;
  const searches = log.filter((r) => /projects/.test(r.path) && /search=/.test(r.query ?? '')).map((r) => new URLSearchParams(r.query).get('search'));
  assert.ok(searches.length >= 1, JSON.stringify(log.slice(0, 5)));
  assert.deepEqual([...new Set(searches)], ['readonly-']);
  await page.waitForFunction(() => /Developer/.test(document.querySelector('[role=option][aria-disabled=true]')?.innerText ?? ''));
  const disabled = await page.$$eval('[role=option][aria-disabled=true]', (els) => els.length);
  assert.equal(disabled, 12);
  const reason = await page.$eval('[role=option][aria-disabled=true] .vrow-detail', (el) => el.innerText);
  assert.match(reason, /Reporter/);
  assert.match(reason, /needs at least Developer/);
  // Clicking a disabled one chooses nothing.
  await page.click('[role=option][aria-disabled=true]');
  assert.equal(await page.$('#chosen-title'), null);

  // Keyboard only: search, move into the list, choose with Enter.
  await typeInto(page, 'Search repositories', 'proj-19999');
  await page.waitForFunction(() => {
    const opts = [...document.querySelectorAll('[role=option]')];
    return opts.length >= 1 && opts.every((o) => o.innerText.includes('proj-19999'));
  });
  await page.focus('[role=listbox]');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await waitForText(page, 'can post');
  const report = await page.$eval('.permission-report', (el) => el.innerText);
  assert.match(report, /Developer/);
  await screenshot(page, 'project-creation');
  // The same page at 360 px: nothing wider than the screen.
  await page.setViewport({ width: 360, height: 780 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than 360`);
  await screenshot(page, 'project-creation-360px');
  await page.setViewport({ width: 1200, height: 900 });
  const name = await page.$eval('input[required][maxlength="200"]', (el) => el.value);
  assert.equal(name, 'proj-19999');
  await clickText(page, 'Create project from big/proj-19999');
  await waitForText(page, 'Project created and linked to big/proj-19999');
  await clickText(page, 'Projects', 'nav a');
  await page.waitForSelector('ul[aria-label=Projects]');
  const row = await page.$eval('ul[aria-label=Projects]', (el) => el.innerText);
  assert.match(row, /proj-19999\s+linked\s+GitLab · big\/proj-19999/);
  assertCleanConsole(assert, page);
  await screenshot(page, 'project-created');
});
