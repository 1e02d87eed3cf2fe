// Shared plumbing for the oracle tests: the simulator, Prism and a recording reverse proxy, each
// on a free loopback port, all torn down however the test ends. A missing tool is a failure with
// its reason, never a skip.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const oraclesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requireHere = createRequire(path.join(oraclesDir, 'package.json'));

// Prism needs 3 to 8 s to load a spec on an idle machine, but minutes on a loaded 2-core box.
const PRISM_START_MS = 240_000;
const TEST_LIMIT_MS = 420_000;

const children = new Set();
const servers = new Set();
const tempDirs = new Set();
let failures = 0;

function cleanup() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
  }
  children.clear();
  for (const server of servers) server.close();
  servers.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => { cleanup(); process.exit(1); });
}

export function die(message) {
  console.error(`FAIL: ${message}`);
  cleanup();
  process.exit(1);
}

// Runs the test body; any exception or recorded check failure makes the process exit 1.
export async function run(name, body) {
  const timer = setTimeout(() => die(`${name}: still running after ${TEST_LIMIT_MS / 1000} s`), TEST_LIMIT_MS);
  timer.unref();
  try {
    await body();
  } catch (e) {
    die(`${name}: ${e && e.stack ? e.stack : e}`);
  }
  cleanup();
  if (failures > 0) die(`${name}: ${failures} check(s) failed`);
  console.log(`PASS: ${name}`);
  process.exit(0);
}

export function check(condition, what) {
  if (condition) {
    console.log(`  ok   ${what}`);
  } else {
    failures += 1;
    console.error(`  FAIL ${what}`);
  }
  return condition;
}

export function checkEqual(actual, expected, what) {
  const same = JSON.stringify(actual) === JSON.stringify(expected);
  return check(same, same ? what : `${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

// Options come as --name value pairs (CMake passes the built binaries and the shared folder).
export function options(required) {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) die(`bad arguments ${JSON.stringify(argv)}: expected --name value pairs`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of required) {
    if (!out[name]) die(`missing --${name}`);
    if (name !== 'shared' && !existsSync(out[name])) die(`--${name} ${out[name]} does not exist (build it first)`);
  }
  if (out.shared && !existsSync(out.shared)) die(`--shared ${out.shared} does not exist: the shared folder with oracles/ and fixtures/ is needed`);
  return out;
}

// require() of an installed oracle package, failing with the reason when it is not installed.
export function need(pkg) {
  try {
    return requireHere(pkg);
  } catch (e) {
    die(`npm package ${pkg} is not usable from ${oraclesDir}/node_modules (${e.code || e.message}); run scripts/setup (npm ci in tests/oracles)`);
  }
}

export async function importPackage(pkg) {
  let resolved;
  try {
    resolved = requireHere.resolve(pkg);
  } catch (e) {
    die(`npm package ${pkg} is not installed in ${oraclesDir}/node_modules (${e.code}); run scripts/setup (npm ci in tests/oracles)`);
  }
  return import(resolved);
}

// With ORACLE_DUMP_DIR set, writes the recorded exchanges there (for writing EXCEPTIONS.md).
export function dumpExchanges(name, exchanges) {
  if (!process.env.ORACLE_DUMP_DIR) return;
  writeFileSync(path.join(process.env.ORACLE_DUMP_DIR, `${name}.json`), JSON.stringify(exchanges, null, 1));
}

export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function track(child, label, keepAll = false) {
  children.add(child);
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (!keepAll && output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', () => children.delete(child));
  return { child, label, output: () => output };
}

function waitForLine(proc, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${proc.label} did not print ${pattern} within ${timeoutMs} ms; output:\n${proc.output().slice(-3000)}`));
    }, timeoutMs);
    const look = () => {
      const m = proc.output().match(pattern);
      if (m) {
        clearTimeout(timer);
        proc.child.stdout.off('data', look);
        proc.child.stderr.off('data', look);
        proc.child.off('exit', exited);
        resolve(m);
      }
    };
    const exited = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${proc.label} exited (${code ?? signal}) before it was ready; output:\n${proc.output().slice(-3000)}`));
    };
    proc.child.stdout.on('data', look);
    proc.child.stderr.on('data', look);
    proc.child.once('exit', exited);
    look();
  });
}

export async function stopChild(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  await new Promise((resolve) => {
    proc.child.once('exit', resolve);
    proc.child.kill('SIGTERM');
    setTimeout(() => { if (proc.child.exitCode === null) proc.child.kill('SIGKILL'); }, 3000).unref();
  });
}

// forge-sim with a scenario file (or YAML text), on a port the kernel picks.
export async function startSim(simBin, scenario, extraArgs = []) {
  let file = scenario;
  if (!scenario.endsWith('.yaml') && !scenario.endsWith('.json')) {
    file = path.join(tempDir('forgelink-oracle-'), 'scenario.yaml');
    writeFileSync(file, scenario);
  }
  const child = spawn(simBin, ['--scenario', file, '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child, 'forge-sim');
  const m = await waitForLine(proc, /forge-sim listening on (http:\/\/127\.0\.0\.1:(\d+))/, 15_000);
  return { ...proc, url: m[1], port: Number(m[2]) };
}

// Prism in proxy mode in front of `upstream`. Prism cannot take port 0, so a free port is picked
// and the start is retried if another process grabbed it in between.
export async function startPrism(spec, upstream) {
  const bin = path.join(oraclesDir, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
  if (!existsSync(bin)) die(`Prism is not installed (${bin} missing); run scripts/setup (npm ci in tests/oracles)`);
  if (!existsSync(spec)) die(`OpenAPI document ${spec} does not exist`);
  let lastError;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'proxy', '-h', '127.0.0.1', '-p', String(port), spec, upstream],
                        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    const proc = track(child, `prism (${path.basename(spec)})`, true);
    try {
      await waitForLine(proc, /Prism is listening on http:\/\/127\.0\.0\.1:(\d+)/, PRISM_START_MS);
      return { ...proc, url: `http://127.0.0.1:${port}`, port };
    } catch (e) {
      lastError = e;
      await stopChild(proc);
      if (!/EADDRINUSE/.test(proc.output())) break;
    }
  }
  throw lastError;
}

// A reverse proxy that records every exchange and the violations Prism reported for it.
//   target:      where to forward (Prism)
//   rewrite:     [from, to] origins rewritten in Link and Location answers, so that a client
//                following them stays behind Prism (a proxy_redirect, as any reverse proxy does)
//   stripPrefix: a base path (e.g. /api/v3 of GitHub Enterprise) removed before forwarding, because
//                the OpenAPI document's paths are relative to its server URL and Prism matches paths only
//   prism:       the Prism process; Prism cuts `sl-violations` at 8 KB ("Too many violations!"), so
//                the full list is then read from its log. Requests are passed on one at a time, which
//                makes the log segment between two "Request received" lines belong to one exchange.
export async function startRecorder({ target, stripPrefix = '', prism = null }) {
  const exchanges = [];
  const state = { rewrite: null };
  let queue = Promise.resolve();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { queue = queue.then(() => new Promise((done) => {
      res.on('close', done);
      const body = Buffer.concat(chunks);
      let forwardPath = req.url;
      if (stripPrefix && (forwardPath === stripPrefix || forwardPath.startsWith(`${stripPrefix}/`) || forwardPath.startsWith(`${stripPrefix}?`))) {
        forwardPath = forwardPath.slice(stripPrefix.length) || '/';
      }
      const headers = { ...req.headers };
      delete headers.host;
      const upstream = new URL(forwardPath, target);
      const out = http.request(upstream, { method: req.method, headers }, (up) => {
        const answer = [];
        up.on('data', (c) => answer.push(c));
        up.on('end', () => {
          const responseBody = Buffer.concat(answer);
          const outHeaders = { ...up.headers };
          if (state.rewrite) {
            for (const name of ['link', 'location']) {
              if (typeof outHeaders[name] === 'string') outHeaders[name] = outHeaders[name].split(state.rewrite[0]).join(state.rewrite[1]);
            }
          }
          let violations = [];
          let truncated = false;
          const raw = up.headers['sl-violations'];
          if (raw && raw.startsWith('Too many violations!')) {
            truncated = true;
          } else if (raw) {
            try {
              violations = JSON.parse(raw);
            } catch {
              violations = [{ location: ['header'], severity: 'Error', message: `unparsable sl-violations: ${raw.slice(0, 300)}` }];
            }
          }
          exchanges.push({
            seq: exchanges.length,
            truncated,
            method: req.method,
            path: req.url.split('?')[0],
            url: req.url,
            requestHeaders: req.headers,
            requestBody: body.toString(),
            status: up.statusCode,
            headers: up.headers,
            body: responseBody.toString(),
            violations,
          });
          delete outHeaders['content-length'];
          delete outHeaders['transfer-encoding'];
          res.writeHead(up.statusCode, outHeaders);
          res.end(responseBody);
        });
      });
      out.on('error', (e) => {
        exchanges.push({ method: req.method, path: req.url.split('?')[0], url: req.url, status: 0, violations: [{ location: ['proxy'], severity: 'Error', message: `upstream error: ${e.message}` }] });
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recorder: upstream ${target} failed: ${e.message}`);
      });
      out.end(body);
    })); });
  });
  servers.add(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    exchanges,
    rewriteOrigin(from, to) { state.rewrite = [from, to]; },
    // Fills in the violations of exchanges whose header Prism truncated, from Prism's log.
    async completeFromLog() {
      if (!exchanges.some((e) => e.truncated)) return;
      if (!prism) throw new Error('Prism truncated sl-violations and no Prism log was given to read them from');
      await new Promise((r) => setTimeout(r, 1000));  // let the last log lines arrive
      const segments = [];
      for (const line of prism.output().split('\n')) {
        if (/Request received/.test(line)) segments.push([]);
        const m = line.match(/(error|warning|info)\s+Violation: (\S*) (.*)$/);
        if (m && segments.length > 0) {
          segments[segments.length - 1].push({ location: m[2].split('.'), severity: m[1] === 'error' ? 'Error' : m[1] === 'warning' ? 'Warning' : 'Information', message: m[3].trim(), fromLog: true });
        }
      }
      if (segments.length !== exchanges.length) {
        throw new Error(`Prism logged ${segments.length} requests but the recorder passed ${exchanges.length}: cannot attribute the truncated violations`);
      }
      for (const e of exchanges) if (e.truncated) e.violations = segments[e.seq];
    },
    close: () => new Promise((resolve) => { servers.delete(server); server.close(resolve); }),
  };
}

// Runs a program to completion; never throws for a non-zero exit (the caller asserts on it).
export function runProgram(bin, args, { env = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal ? 128 : -1), signal, stdout, stderr });
    });
  });
}

export function parseJsonOutput(result, what) {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`${what}: stdout is not JSON (exit ${result.code}); stdout: ${result.stdout.slice(0, 2000)} stderr: ${result.stderr.slice(0, 2000)}`);
  }
}
