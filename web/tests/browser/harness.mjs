// Browser tests' harness: a throwaway forge-sim and a real `forgelink serve` on free loopback
// ports (temp dirs), headless Debian chromium driven by puppeteer-core, screenshots under the
// build tree. Every process started here is stopped by stop()/close().
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  // Generous: a scenario of 20,000 projects on a loaded CI machine takes a while to build.
  const deadline = Date.now() + 60000;
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
 * The request limits are the defaults (60 login requests a minute per address: each sign-in is
 * two, and no test file signs in more than a few times) unless `limits` gives keys of
 * server.limits, each line indented ("    login_requests_per_minute: 4\n").
 */
export async function startHost(dir, { port, simUrl, gitlab = true, github = true, oauth = {}, forge = '', notifications = false, limits = '' }) {
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
    (limits ? `  limits:\n${limits}` : '') +
    `store:\n  driver: sqlite\n  path: forgelink.db\n` +
    `secrets:\n  key_file: secret.key\n` +
    `plugins:\n  paths: []\n  required: [gitlab, github]\n` +
    providers +
    `feedback:\n  status_context: forgelink\n  comment: true\n` +
    // Notices go to a webhook on loopback; a 4 s build timeout makes the maintenance pass (which
    // re-checks a token right after the forge's 401) run every second.
    (notifications ? `  build_timeout_seconds: 4\nnotifications:\n  allowed_hosts: [127.0.0.1]\n` : '') +
    // `forge` adds keys of the forge section (small listing bounds, say), each line indented.
    (forge ? `forge:\n${forge}` : '') +
    `admin:\n  tokens_file: admin-tokens\n` +
    `logging:\n  level: warn\n`;
  writeFileSync(join(dir, 'forgelink.yaml'), config);
  const { child, out } = startProcess(FORGELINK_BIN(), ['serve', '--config', join(dir, 'forgelink.yaml')], {
    env: { WEB_GITLAB_SECRET: 'gl-app-secret', WEB_GITHUB_SECRET: 'gh-app-secret' },
  });
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`forgelink serve exited ${child.exitCode}:\n${out.text}`);
    try {
      const r = await fetch(`${origin}/healthz`);
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`forgelink serve did not answer /healthz within 60 s:\n${out.text}`);
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
  // Headless chromium paints only the tab in front: a screenshot of a page behind another one
  // waits for a frame that never comes, until puppeteer's protocol timeout (180 s).
  await page.bringToFront();
  await withTimeout(page.screenshot({ path: file, fullPage: true }), 20000, `screenshot ${name}`);
  return file;
}

/** `promise`, or a rejection naming `what` after `ms`. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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

/**
 * Clicks the element `selector` finds; a list re-rendered between finding and clicking it (a
 * quiet reload after a save) replaces the node, so it is found again rather than failing.
 */
export async function clickSelector(page, selector) {
  for (let attempt = 1; ; attempt++) {
    const handle = await page.waitForSelector(selector);
    try {
      await handle.click();
      return;
    } catch (e) {
      if (attempt >= 3 || !/detached|not clickable|not visible/i.test(String(e))) throw e;
    }
  }
}

/** Clicks the button or link whose visible text is exactly `text` (trimmed). */
export async function clickText(page, text, selector = 'button, a, [role=option], label') {
  // A list re-rendered between finding the element and clicking it (a refresh, a search answer)
  // replaces the node: find it again rather than fail on the detached one.
  for (let attempt = 1; ; attempt++) {
    let handle;
    try {
      handle = await page.waitForFunction(
        (sel, t) =>
          [...document.querySelectorAll(sel)].find(
            (el) => el.innerText.trim() === t && !el.disabled && el.getAttribute('aria-disabled') !== 'true',
          ),
        {},
        selector,
        text,
      );
    } catch (e) {
      // Say whether the control was there but disabled, and what the page showed instead.
      const seen = await page.evaluate(
        (sel) =>
          [...document.querySelectorAll(sel)]
            .map((el) => `${JSON.stringify(el.innerText.trim())}${el.disabled || el.getAttribute('aria-disabled') === 'true' ? ' (disabled)' : ''}`)
            .join(', '),
        selector,
      );
      const body = await page.evaluate(() => document.body?.innerText ?? '');
      throw new Error(`no enabled "${text}" in ${selector}; the page has ${seen || 'none'}; it shows:\n${body.slice(0, 3000)}`, { cause: e });
    }
    try {
      await handle.asElement().click();
      return;
    } catch (e) {
      if (attempt >= 3 || !/detached|not clickable|not visible/i.test(String(e))) throw e;
    }
  }
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
        if (!page.isClosed()) await screenshot(page, `${name}-end-${i}`).catch((e) => console.error(e.message));
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

// ---- Keyboard only: Tab / Shift+Tab / Enter / Space / arrows, no mouse and no element.click() ----

/**
 * What has the focus: its tag, role, accessible-ish name, and whether the focus is drawn: an
 * outline of at least 2 px or a box-shadow (the console's :focus-visible styles), on an element
 * that is on screen.
 */
export async function focusInfo(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return { none: true, name: '', visible: false };
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && !/rgba\(.*,\s*0\)$/.test(s.outlineColor);
    const shadow = !!s.boxShadow && s.boxShadow !== 'none';
    const r = el.getBoundingClientRect();
    const onScreen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    const labelled = el.getAttribute('aria-labelledby');
    const name = (
      el.getAttribute('aria-label') ||
      (labelled ? labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ') : '') ||
      (el.labels && el.labels[0] ? el.labels[0].innerText : '') ||
      el.innerText ||
      el.value ||
      ''
    ).trim();
    return {
      none: false,
      tag: el.tagName.toLowerCase(),
      type: el.getAttribute('type'),
      role: el.getAttribute('role'),
      name,
      focusVisible: el.matches(':focus-visible'),
      outline: `${s.outlineStyle} ${s.outlineWidth}`,
      shadow: s.boxShadow,
      visible: (outline || shadow) && onScreen,
    };
  });
}

function describeFocus(f) {
  return f.none ? '(nothing)' : `${f.tag}${f.role ? `[role=${f.role}]` : ''}${f.type ? `[type=${f.type}]` : ''} “${f.name.slice(0, 60)}”`;
}

/** The focus is on an element whose name is `name` (string: exact; RegExp: match), drawn visibly. */
export async function assertFocus(page, name) {
  const f = await focusInfo(page);
  const ok = typeof name === 'string' ? f.name === name : name.test(f.name);
  if (!ok) throw new Error(`focus is on ${describeFocus(f)}, expected “${name}”`);
  if (!f.visible) throw new Error(`focus on ${describeFocus(f)} is not visible (outline ${f.outline}, box-shadow ${f.shadow})`);
  return f;
}

/**
 * Presses Tab (Shift+Tab with back: true) until the focused element's name is `name` (string:
 * exact, RegExp: match), checking at every stop that the focus is drawn. Throws with the stops
 * visited when the element is not reached within `max` presses.
 */
export async function tabTo(page, name, { back = false, max = 60 } = {}) {
  const visited = [];
  for (let i = 0; i < max; i++) {
    if (back) {
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
    } else {
      await page.keyboard.press('Tab');
    }
    const f = await focusInfo(page);
    visited.push(describeFocus(f));
    if (!f.none && !f.visible) {
      throw new Error(`Tab stop ${describeFocus(f)} has no visible focus (outline ${f.outline}, box-shadow ${f.shadow}); stops: ${visited.join(' → ')}`);
    }
    if (!f.none && (typeof name === 'string' ? f.name === name : name.test(f.name))) return f;
  }
  throw new Error(`“${name}” not reached with ${back ? 'Shift+Tab' : 'Tab'} in ${max} presses; stops: ${visited.join(' → ')}`);
}

/** Waits until the control named `name` is enabled (e.g. a submit button while a form fills). */
export async function waitEnabled(page, name) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('button')].some((b) => b.innerText.trim() === t && !b.disabled),
    {},
    name,
  );
}

/** Tabs to the control `name` and activates it with `key` (Enter by default, or ' ' for Space). */
export async function activate(page, name, { key = 'Enter', back = false, max } = {}) {
  await tabTo(page, name, { back, max });
  await page.keyboard.press(key === ' ' ? 'Space' : key);
}

/** Replaces the focused text field's value by typing (Ctrl+A selects what is there). */
export async function typeHere(page, text) {
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  if (text) await page.keyboard.type(text);
}

/** Presses a key and waits for the full-page navigation it starts (links to /auth/...). */
export async function pressAndNavigate(page, key = 'Enter') {
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press(key)]);
}

// ---- Accessibility audit: axe-core (pinned in web/package-lock.json) run inside the page ----

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's violations on the page as it is now (evaluated through the DevTools protocol, so
 * the console's strict CSP stays on and nothing is fetched). Returns every violation, each with
 * its impact and the first nodes it concerns.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
}

/**
 * No serious or critical axe violation, and every control (button, link, field, option...) has
 * a name in the accessibility tree. `where` names the page state in the failure message.
 */
export async function assertAccessible(assert, page, where) {
  const violations = await axeViolations(page);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const lesser = violations.filter((v) => !bad.includes(v));
  if (lesser.length) console.log(`${where}: minor/moderate: ${lesser.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  assert.deepEqual(bad, [], `${where}: axe violations:\n${JSON.stringify(bad, null, 2)}`);
  const snapshot = await page.accessibility.snapshot({ interestingOnly: true });
  const controls = new Set(['button', 'link', 'textbox', 'searchbox', 'combobox', 'checkbox', 'radio', 'listbox', 'option', 'menuitem', 'tab', 'switch', 'slider', 'spinbutton']);
  const unnamed = [];
  const walk = (node) => {
    if (!node) return;
    if (controls.has(node.role) && !(node.name ?? '').trim()) unnamed.push(node.role);
    for (const child of node.children ?? []) walk(child);
  };
  walk(snapshot);
  assert.deepEqual(unnamed, [], `${where}: controls without a label`);
  return violations;
}
