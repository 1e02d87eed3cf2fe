// A repository listing longer than the host's bound (forge.max_listing_items, here 150): the
// repository picker shows the server's listing_too_long message (how far it got, how to narrow
// it), keeps the repositories it had shown, and loads nothing past the bound. Narrowing the
// listing with a search works again.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { assertCleanConsole, clickText, newPage, screenshot, signIn, typeInto, waitForText, world } from './harness.mjs';
import { BOT_TOKEN, world as scenario } from './scenarios.mjs';

const generate = `  generate:
    - {projects: 250, namespace: big, path_prefix: proj-, start_id: 100000, member: forgelink-bot, access_level: 30}
`;
const groups = `    - {id: 20, path: big, name: Big, visibility: private, members: {forgelink-bot: 10}}
`;

let w;
before(async () => {
  w = await world('listing-bounds', (origin) => scenario(origin, { generate, groups }), {
    oauth: { gitlab: 'gl-app' },
    forge: '  max_listing_items: 150\n',
  });
});
after(async () => w?.close());

const loadedCount = (page) =>
  page.$eval('.repo-count', (el) => Number(el.innerText.replace(/,/g, '').match(/\d+/)?.[0] ?? 0));

test('a repository listing past forge.max_listing_items shows listing_too_long and keeps what it showed', async () => {
  const page = await newPage(w.browser);
  await signIn(page, w.origin);
  await waitForText(page, 'Your teams');
  await typeInto(page, 'Team name', 'Bounded');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/bounded/settings'));
  const saved = await w.host.api('PUT', '/api/v1/teams/bounded/providers/gitlab', { token: BOT_TOKEN });
  assert.equal(saved.status, 200, JSON.stringify(saved.json));

  await page.goto(`${w.origin}/teams/bounded`, { waitUntil: 'networkidle0' });
  await clickText(page, 'Create a new project');
  await clickText(page, 'Continue with GitLab');
  await typeInto(page, 'Search namespaces', 'big');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('.radio-row')];
    return rows.length > 0 && rows.every((r) => r.innerText.includes('big'));
  });
  await clickText(page, 'big\ngroup', 'label');
  await page.waitForSelector('[role=listbox] [role=option]');
  const listbox = await page.$('[role=listbox]');

  // Scroll to the end until the next page is refused.
  const started = Date.now();
  while (Date.now() - started < 60000) {
    await listbox.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await new Promise((r) => setTimeout(r, 100));
    if (await page.$('.picker [role=alert]')) break;
  }
  const alert = await page.$eval('.picker [role=alert]', (el) => el.innerText);
  assert.match(alert, /the repository listing of provider gitlab has more than 150 items \(forge\.max_listing_items\)/);
  assert.match(alert, /it stopped there, after 1 page and 100 items/);
  assert.match(alert, /Narrow it/);
  assert.match(alert, /raise the bound in the configuration/);
  // What was shown stays shown; nothing past the bound was added, and no more pages are offered.
  assert.equal(await loadedCount(page), 100);
  assert.ok((await page.$$('[role=option]')).length > 0);
  await page.waitForFunction(() => ![...document.querySelectorAll('button')].some((b) => b.innerText === 'Load more repositories'));
  await waitForText(page, 'Try again');
  await screenshot(page, 'listing-too-long');

  // A search narrows the listing under the bound: the picker works again.
  await typeInto(page, 'Search repositories', 'proj-249');
  await page.waitForFunction(() => {
    const opts = [...document.querySelectorAll('[role=option]')];
    return opts.length >= 1 && opts.every((o) => o.innerText.includes('proj-249'));
  });
  assert.equal(await page.$('.picker [role=alert]'), null);
  assertCleanConsole(assert, page);
});
