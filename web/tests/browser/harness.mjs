// Browser tests' harness: a throwaway forge-sim and a real `forgelink serve` on free loopback
// ports (temp dirs), headless Debian chromium driven by puppeteer-core, screenshots under the
// build tree. Every process started here is stopped by stop()/close().
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import puppeteer from 'puppeteer-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (ctest sets it; see tests/web/CMakeLists.txt)`);
  return value;
};

export const FORGELINK_BIN = () => env('FORGELINK_BIN');
export const FORGE_SIM_BIN = () => env('FORGE_SIM_BIN');
export const CONSOLE_DIR = () => env('FORGELINK_CONSOLE_DIR');
export const SCREENSHOT_DIR = () => process.env.FORGELINK_SCREENSHOT_DIR ?? join(process.cwd(), 'web-screenshots');
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function startProcess(bin, args, { env: extra = {}, cwd } = {}) {
  const child = spawn(bin, args, { cwd, env: { ...process.env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { text: '' };
  child.stdout.on('data', (d) => (out.text += d.toString()));
  child.stderr.on('data', (d) => (out.text += d.toString()));
  return { child, out };
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** forge-sim on a free port with the scenario text (YAML). */
export async function startSim(dir, scenarioYaml) {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, scenarioYaml);
  const { child, out } = startProcess(FORGE_SIM_BIN(), ['--scenario', file, '--port', '0']);
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    const m = /forge-sim listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.text);
    if (m) {
      const url = m[1];
      return {
        url,
        child,
        out,
        async admin(method, path, body) {
          const raw = typeof body === 'string';
          const r = await fetch(url + path, {
            method,
            headers: body ? { 'Content-Type': raw ? 'application/yaml' : 'application/json' } : {},
            body: body ? (raw ? body : JSON.stringify(body)) : undefined,
          });
          const text = await r.text();
          return { status: r.status, json: text ? JSON.parse(text) : null };
        },
        stop: () => stopProcess(child),
      };
    }
    if (child.exitCode !== null) throw new Error(`forge-sim exited: ${out.text}`);
    await sleep(20);
  }
  await stopProcess(child);
  throw new Error(`forge-sim did not start: ${out.text}`);
}

/**
 * A real `forgelink serve` with a generated configuration: both providers at the simulator, OAuth
 * login through it (client secrets from the environment), the built console, an admin token.
 */
export async function startHost(dir, { port, simUrl, gitlab = true, github = true, oauth = {} }) {
  execFileSync(FORGELINK_BIN(), ['keygen', '--out', join(dir, 'secret.key')]);
  const adminToken = `web-admin-${Math.random().toString(16).slice(2)}${Date.now()}`;
  writeFileSync(join(dir, 'admin-tokens'), `${adminToken}\n`);
  const origin = `http://127.0.0.1:${port}`;
  let providers = 'providers:\n';
  if (gitlab) {
    // forge-sim is on loopback, which serve refuses to reach unless allowed_hosts lists it.
    providers += `  gitlab:\n    base_url: ${simUrl}\n    allowed_hosts: [127.0.0.1]\n`;
    if (oauth.gitlab)
      providers +=
        `    oauth:\n      client_id: ${oauth.gitlab}\n      client_secret: \${WEB_GITLAB_SECRET}\n` +
        `      redirect_uri: ${origin}/auth/gitlab/callback\n`;
  }
  if (github) {
    providers += `  github:\n    base_url: ${simUrl}/api/v3\n    allowed_hosts: [127.0.0.1]\n`;
    if (oauth.github)
      providers +=
        `    oauth:\n      client_id: ${oauth.github}\n      client_secret: \${WEB_GITHUB_SECRET}\n` +
        `      redirect_uri: ${origin}/auth/github/callback\n`;
  }
  const config =
    `server:\n  listen: 127.0.0.1:${port}\n  console_dir: ${JSON.stringify(CONSOLE_DIR())}\n` +
    // People sign in and create teams in these tests; admins only by default.
    `  allow_user_team_creation: true\n` +
    `store:\n  driver: sqlite\n  path: forgelink.db\n` +
    `secrets:\n  key_file: secret.key\n` +
    `plugins:\n  paths: []\n  required: [gitlab, github]\n` +
    providers +
    `feedback:\n  status_context: forgelink\n  comment: true\n` +
    `admin:\n  tokens_file: admin-tokens\n` +
    `logging:\n  level: warn\n`;
  writeFileSync(join(dir, 'forgelink.yaml'), config);
  const { child, out } = startProcess(FORGELINK_BIN(), ['serve', '--config', join(dir, 'forgelink.yaml')], {
    env: { WEB_GITLAB_SECRET: 'gl-app-secret', WEB_GITHUB_SECRET: 'gh-app-secret' },
  });
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`forgelink serve exited ${child.exitCode}:\n${out.text}`);
    try {
      const r = await fetch(`${origin}/healthz`);
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    await sleep(30);
  }
  const host = {
    origin,
    child,
    out,
    adminToken,
    async api(method, path, body) {
      const r = await fetch(`${origin}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${adminToken}`,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      return { status: r.status, json };
    },
    stop: () => stopProcess(child),
  };
  return host;
}

/** Headless chromium with a fresh profile; collects console errors (CSP violations among them). */
export async function launchBrowser(dir) {
  const profile = join(dir, 'chromium-profile');
  mkdirSync(profile, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
  return browser;
}

const openPages = [];

export async function newPage(browser, { width = 1200, height = 900, context } = {}) {
  const ctx = context ?? browser.defaultBrowserContext();
  const page = await ctx.newPage();
  openPages.push(page);
  await page.setViewport({ width, height });
  // Generous: CI runs these beside the whole suite on two cores.
  page.setDefaultTimeout(45000);
  page.consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => page.consoleErrors.push(String(err)));
  return page;
}

export async function screenshot(page, name) {
  const dir = SCREENSHOT_DIR();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until the page shows `text` (anywhere in the body's visible text). */
export async function waitForText(page, text, timeout = 45000) {
  try {
    await page.waitForFunction((t) => document.body && document.body.innerText.includes(t), { timeout }, text);
  } catch (e) {
    const body = await page.evaluate(() => document.body?.innerText ?? '');
    throw new Error(`page never showed "${text}"; it shows:\n${body.slice(0, 3000)}`);
  }
}

/** Clicks the button or link whose visible text is exactly `text` (trimmed). */
export async function clickText(page, text, selector = 'button, a, [role=option], label') {
  const handle = await page.waitForFunction(
    (sel, t) =>
      [...document.querySelectorAll(sel)].find(
        (el) => el.innerText.trim() === t && !el.disabled && el.getAttribute('aria-disabled') !== 'true',
      ),
    {},
    selector,
    text,
  );
  await handle.asElement().click();
}

/** The input whose <label> says `label`. */
export async function fieldByLabel(page, label) {
  const handle = await page.waitForFunction(
    (l) => {
      const lab = [...document.querySelectorAll('label')].find((el) => el.textContent.trim() === l);
      return lab ? document.getElementById(lab.htmlFor) : null;
    },
    {},
    label,
  );
  return handle.asElement();
}

export async function typeInto(page, label, text) {
  const input = await fieldByLabel(page, label);
  await input.click({ clickCount: 3 });
  await input.evaluate((el) => {
    el.value = '';
  });
  await input.type(text);
  return input;
}

/** A temp dir for one test, removed by the returned cleanup. */
export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `forgelink-web-${name}-`));
  return { dir, remove: () => existsSync(dir) && rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Everything a flow needs: a simulator with `scenario(hostOrigin)`, a host, a browser. close()
 * stops all of them; a failing test keeps the host's log in the error.
 */
export async function world(name, scenario, hostOptions = {}) {
  const tmp = tempDir(name);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const sim = await startSim(tmp.dir, scenario(origin));
  let host;
  let browser;
  try {
    host = await startHost(tmp.dir, { port, simUrl: sim.url, ...hostOptions });
    browser = await launchBrowser(tmp.dir);
  } catch (e) {
    await host?.stop();
    await sim.stop();
    tmp.remove();
    throw e;
  }
  return {
    sim,
    host,
    browser,
    origin,
    async close() {
      // Whatever each page shows at the end (after a failure: where it stopped).
      for (const [i, page] of openPages.entries()) {
        if (!page.isClosed()) await screenshot(page, `${name}-end-${i}`).catch(() => {});
      }
      await browser.close().catch(() => {});
      await host.stop();
      await sim.stop();
      tmp.remove();
    },
  };
}

/** Signs in through the sign-in page's "Continue with <Forge>" (OAuth code flow via the simulator). */
export async function signIn(page, origin, forge = 'GitLab', path = '/') {
  await page.goto(origin + path, { waitUntil: 'networkidle0' });
  await waitForText(page, 'Sign in to Forgelink');
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), clickText(page, `Continue with ${forge}`)]);
}

/** No CSP violation or script error while the page was used. */
export function assertCleanConsole(assert, page) {
  const relevant = page.consoleErrors.filter((e) => !/favicon|Failed to load resource: the server responded with a status of 4\d\d/.test(e));
  assert.deepEqual(relevant, [], `console errors:\n${relevant.join('\n')}`);
}

/** Clicks the repository option whose title is `fullPath` in the repository picker. */
export async function clickOption(page, fullPath) {
  const handle = await page.waitForFunction(
    (p) => [...document.querySelectorAll('[role=option]')].find((o) => o.querySelector('.vrow-title')?.firstChild?.textContent === p),
    {},
    fullPath,
  );
  await handle.asElement().click();
}
