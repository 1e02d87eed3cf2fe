// Accessibility audit of every page of the console, and of the states people meet on them
// (a refusal, a confirmation, the repository picker, builds with deliveries, the expiry banner),
// at 360 px wide and at desktop width: axe-core (pinned in web/package-lock.json, run inside the
// page, nothing fetched) finds no serious or critical violation, every control has a label, and
// nothing is wider than the screen.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAccessible, assertCleanConsole, clickOption, clickText, newPage, screenshot, signIn, typeInto, waitForText, world,
} from './harness.mjs';
import { BOT_TOKEN, READONLY_GROUP, READONLY_PROJECTS, REVOKED_TOKEN, world as scenario } from './scenarios.mjs';

const FEATURE_SHA = 'af5b13261899fb2c0db30abdd0af8b07cb44fdc5';
const WIDTHS = [
  { width: 1280, height: 900 },
  { width: 360, height: 780 },
];

let w;
before(async () => {
  w = await world('a11y', (origin) => scenario(origin, { botExpiresInDays: 12, groups: READONLY_GROUP, generate: READONLY_PROJECTS }), {
    oauth: { gitlab: 'gl-app', github: 'gh-app' },
  });
});
after(async () => w?.close());

const audited = [];

/** The page as it is now, at both widths: axe, labels, no horizontal overflow. */
async function audit(page, where) {
  for (const size of WIDTHS) {
    await page.setViewport(size);
    // Let layout settle at the new width before measuring.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await assertAccessible(assert, page, `${where} at ${size.width}px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) {
      await screenshot(page, `a11y-overflow-${size.width}`);
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('main *')]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(-3)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.innerText?.slice(0, 80)}`),
      );
      assert.fail(`${where} at ${size.width}px: the page is ${overflow}px wider than the screen: ${wide.join(' | ')}`);
    }
  }
  await page.setViewport(WIDTHS[0]);
  audited.push(where);
}

test('every page and state passes the audit at 360 px and on a desktop', async () => {
  const page = await newPage(w.browser, WIDTHS[0]);
  await page.goto(`${w.origin}/teams/x`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Continue with GitHub');
  await audit(page, 'sign-in');

  await signIn(page, w.origin, 'GitLab', '/signin');
  await waitForText(page, 'Your teams');
  await waitForText(page, 'You are not in any team yet');
  await audit(page, 'teams (none yet)');
  await typeInto(page, 'Team name', 'Audit');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/audit/settings/'));
  await clickText(page, 'GitLab', 'nav a');
  await waitForText(page, 'Connect GitLab');
  await audit(page, 'team settings (no token)');

  await typeInto(page, 'Access token', REVOKED_TOKEN);
  await clickText(page, 'Check and save');
  await page.waitForSelector('.field-invalid .field-error');
  await audit(page, 'team settings (refused token)');
  await typeInto(page, 'Access token', BOT_TOKEN);
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');
  await page.waitForSelector('.banner');
  await audit(page, 'team settings (token saved, expiry banner)');
  await clickText(page, 'Remove token');
  await waitForText(page, 'Yes, remove');
  await audit(page, 'team settings (confirm removal)');
  await clickText(page, 'Cancel');
  await clickText(page, 'Replace token');
  await waitForText(page, 'Replace the GitLab token');
  await audit(page, 'team settings (replace form)');
  await clickText(page, 'GitHub', 'nav a');
  await waitForText(page, 'Connect GitHub');
  await audit(page, 'team settings GitHub');

  await clickText(page, 'Members', 'nav a');
  await waitForText(page, 'Add a member');
  await audit(page, 'members');

  await clickText(page, 'Projects', 'nav a');
  await waitForText(page, 'No projects yet');
  await audit(page, 'projects (none)');
  await clickText(page, 'Create a new project');
  await clickText(page, 'Continue with GitLab');
  await page.waitForFunction(() => [...document.querySelectorAll('.radio-row')].some((r) => r.innerText.startsWith('acme\n')));
  await audit(page, 'new project (namespaces)');
  // Repositories the token cannot report to: disabled, with the permission report's reason.
  await clickText(page, 'big\ngroup', 'label');
  await page.waitForFunction(() => document.querySelectorAll('[role=option][aria-disabled=true]').length === 3);
  await page.waitForFunction(() => /needs at least Developer/.test(document.querySelector('[role=option][aria-disabled=true] .vrow-detail')?.innerText ?? ''));
  await audit(page, 'new project (repositories, some disabled)');
  await clickText(page, 'acme\ngroup', 'label');
  await page.waitForFunction(() => [...document.querySelectorAll('[role=option]')].some((o) => o.innerText.includes('acme/tools/widget')));
  await clickOption(page, 'acme/tools/widget');
  await waitForText(page, 'can post');
  await audit(page, 'new project (repository chosen, permission report)');
  await clickText(page, 'Create project from acme/tools/widget');
  await waitForText(page, 'Project created and linked to acme/tools/widget');
  await waitForText(page, 'can comment');
  await audit(page, 'project (linked, no builds)');
  const id = Number(new URL(page.url()).pathname.split('/').pop());

  // Builds: one done on the merge request (status + comment), one retrying while the forge fails.
  const build = await w.host.api('POST', `/api/v1/projects/${id}/builds`, {
    commit_sha: FEATURE_SHA, branch: 'feature', merge_request: 1, state: 'changes_detected',
    stats: { changed: 1 }, url: 'https://visual.example.com/builds/1',
  });
  assert.equal(build.status, 202, JSON.stringify(build.json));
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelectorAll('.deliveries .badge-done').length === 2, { timeout: 90000 });
  await audit(page, 'project (builds with deliveries)');
  await clickText(page, 'Disconnect');
  await waitForText(page, 'Yes, disconnect');
  await audit(page, 'project (confirm disconnect)');
  await clickText(page, 'Yes, disconnect');
  await waitForText(page, 'Not linked');
  await clickText(page, 'Connect Git repository');
  await waitForText(page, 'Continue with GitLab');
  await audit(page, 'project (connect)');

  await clickText(page, 'Projects', 'nav a');
  await page.waitForSelector('ul[aria-label=Projects]');
  await audit(page, 'projects (one)');

  await page.goto(`${w.origin}/account`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Linked forge accounts');
  await audit(page, 'account');
  await page.goto(`${w.origin}/teams/nobody-here`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Team not found');
  await audit(page, 'team not found');
  await page.goto(`${w.origin}/no/such/page`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Page not found');
  await audit(page, 'page not found');
  await page.goto(`${w.origin}/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('main .list-row');
  await audit(page, 'teams (one)');

  assertCleanConsole(assert, page);
  await screenshot(page, 'a11y-end');
  console.log(`audited: ${audited.join('; ')}`);
});
