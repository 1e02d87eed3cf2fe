// `scripts/run --demo` as a new user runs it, as a script: it starts forge-sim and the host (here on
// free ports, with the binaries this build made, in a copy of the repository's files so its var/
// is a temp dir), the console at the printed address does what the README's "Try it without a
// forge" says (sign in with GitLab, create a team, paste the bot token, create a project from
// acme/tools/widget, a build's deliveries), and Ctrl-C stops both processes.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  FORGELINK_BIN, assertCleanConsole, clickOption, clickText, freePort, launchBrowser, newPage, screenshot, signIn,
  tempDir, typeInto, waitForText,
} from './harness.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FILES = ['scripts/run', 'config/demo.yaml', 'tests/sim/scenarios/demo.yaml'];

let tmp;
let script;
let output = '';
let browser;
let hostPort;
let simPort;

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port) {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

const exited = () =>
  new Promise((done) => {
    if (script.exitCode !== null || script.signalCode !== null) done({ code: script.exitCode, signal: script.signalCode });
    else script.once('exit', (code, signal) => done({ code, signal }));
  });

before(async () => {
  tmp = tempDir('demo-script');
  for (const file of FILES) {
    mkdirSync(dirname(join(tmp.dir, file)), { recursive: true });
    cpSync(join(repo, file), join(tmp.dir, file));
  }
  hostPort = await freePort();
  simPort = await freePort();
  // Its own process group, as a terminal's foreground job: Ctrl-C is SIGINT to the whole group.
  script = spawn('bash', [join(tmp.dir, 'scripts/run'), '--demo'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      FORGELINK_BIN_DIR: dirname(FORGELINK_BIN()),
      FORGELINK_DEMO_PORT: String(hostPort),
      FORGELINK_DEMO_FORGE_PORT: String(simPort),
    },
  });
  script.stdout.on('data', (d) => (output += d.toString()));
  script.stderr.on('data', (d) => (output += d.toString()));
  const deadline = Date.now() + 60000;
  for (;;) {
    if (script.exitCode !== null) throw new Error(`scripts/run --demo exited ${script.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`scripts/run --demo did not start the console:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${hostPort}/healthz`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  browser = await launchBrowser(tmp.dir);
});

after(async () => {
  await browser?.close().catch(() => {});
  if (script && script.exitCode === null && script.signalCode === null) {
    try {
      process.kill(-script.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  tmp?.remove();
});

test('scripts/run --demo: the README walkthrough in the browser, then Ctrl-C stops both', async () => {
  const origin = `http://127.0.0.1:${hostPort}`;
  assert.match(output, new RegExp(`console on ${origin}/`));
  assert.match(output, /glpat-demo-bot-0000000000/);

  const page = await newPage(browser);
  await page.goto(`${origin}/`, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Continue with GitHub');
  await signIn(page, origin, 'GitLab');
  await waitForText(page, 'Your teams');
  await waitForText(page, 'Alice Owner');
  await typeInto(page, 'Team name', 'Demo team');
  await clickText(page, 'Create team');
  await page.waitForFunction(() => location.pathname.startsWith('/teams/demo-team/settings/'));
  await clickText(page, 'GitLab', 'nav a');
  await waitForText(page, 'Connect GitLab');
  await typeInto(page, 'Access token', 'glpat-demo-bot-0000000000');
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');

  await clickText(page, 'Projects', 'nav a');
  await clickText(page, 'Create a new project');
  await clickText(page, 'Continue with GitLab');
  await page.waitForFunction(() => [...document.querySelectorAll('.radio-row')].some((r) => r.innerText.startsWith('acme\n')));
  await clickText(page, 'acme\ngroup', 'label');
  await typeInto(page, 'Search repositories', 'widget');
  await clickOption(page, 'acme/tools/widget');
  await waitForText(page, 'can post');
  await clickText(page, 'Create project from acme/tools/widget');
  await waitForText(page, 'Project created and linked to acme/tools/widget');
  const id = Number(new URL(page.url()).pathname.split('/').pop());

  // A build for merge request !1, posted with the README's command (the admin token the script
  // created in var/admin-tokens).
  const admin = readFileSync(join(tmp.dir, 'var/admin-tokens'), 'utf8').trim();
  const posted = execFileSync(
    FORGELINK_BIN(),
    ['admin', 'builds', 'create', '--project', String(id), '--commit', 'af5b13261899fb2c0db30abdd0af8b07cb44fdc5',
      '--branch', 'feature', '--mr', '1', '--state', 'changes_detected', '--changed', '3'],
    { env: { ...process.env, FORGELINK_ADMIN_TOKEN: admin, FORGELINK_HOST: origin }, encoding: 'utf8' },
  );
  assert.match(posted, /\S/);
  await page.waitForFunction(() => document.querySelectorAll('.deliveries .badge-done').length === 2, { timeout: 90000 });

  // GitHub: the bot token, then the project moves to acme/widget, found by typing its name. GitHub
  // lists an organization's repositories without a search, so the match is on a later page (the
  // demo's 500 service-* repositories come first): the picker keeps loading until it appears.
  await clickText(page, 'Settings', 'nav a');
  await clickText(page, 'GitHub', 'nav a');
  await typeInto(page, 'Access token', 'ghp_demoBot000000000000000000000000000');
  await clickText(page, 'Check and save');
  await waitForText(page, 'Saved. The token works');
  await page.goto(`${origin}/teams/demo-team/projects/${id}`, { waitUntil: 'networkidle0' });
  await clickText(page, 'Disconnect');
  await clickText(page, 'Yes, disconnect');
  await clickText(page, 'Connect Git repository');
  await clickText(page, 'Continue with GitHub');
  await page.waitForFunction(() => [...document.querySelectorAll('.radio-row')].some((r) => r.innerText.startsWith('acme\n')));
  await clickText(page, 'acme\norganization', 'label');
  await typeInto(page, 'Search repositories', 'widget');
  await clickOption(page, 'acme/widget');
  await waitForText(page, 'can post');
  await clickText(page, 'Connect acme/widget');
  await waitForText(page, 'Linked to GitHub acme/widget');
  assertCleanConsole(assert, page);
  await screenshot(page, 'demo-script');
  await page.close();

  // Ctrl-C: the host stops, and the script stops forge-sim on its way out.
  assert.equal(await listening(simPort), true);
  process.kill(-script.pid, 'SIGINT');
  const end = await Promise.race([exited(), sleep(30000).then(() => null)]);
  assert.ok(end, `scripts/run --demo did not stop on Ctrl-C:\n${output}`);
  assert.equal(await listening(hostPort), false, 'the host still listens');
  assert.equal(await listening(simPort), false, 'forge-sim still listens');
});
