// Prism's verdicts on recorded exchanges, minus the exceptions listed (and justified) in
// ../EXCEPTIONS.md. An exception matches one method, one path pattern, one violation location and
// one message; an exception that matched nothing is itself a failure, so the list cannot go stale
// or grow broader than what the run needs.
import { check } from './harness.mjs';

function locationOf(v) {
  return Array.isArray(v.location) ? v.location.join('.') : String(v.location ?? '');
}

export function describe(v) {
  return `[${v.severity ?? '?'}] ${locationOf(v)}${v.code !== undefined ? ` (${v.code})` : ''}: ${v.message}`;
}

// The simulator's value at a violation's location, e.g. response.body.3.avatar_url.
function valueAt(exchange, violation) {
  const loc = Array.isArray(violation.location) ? violation.location : [];
  if (loc[0] !== 'response' || loc[1] !== 'body') return undefined;
  let v;
  try { v = JSON.parse(exchange.body); } catch { return undefined; }
  for (const k of loc.slice(2)) {
    if (v === null || typeof v !== 'object' || !(k in v)) return undefined;
    v = v[k];
  }
  return v;
}

const valueForms = {
  null: (v) => v === null,
  date: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
  array: (v) => Array.isArray(v),
  integer: (v) => Number.isInteger(v),
  'not-string': (v) => v !== null && v !== undefined && typeof v !== 'string',
};

function matches(exception, exchange, violation) {
  return exception.method === exchange.method &&
         exception.path.test(exchange.path) &&
         (exception.status === undefined || exception.status === exchange.status) &&
         exception.location.test(locationOf(violation)) &&
         exception.message.test(String(violation.message ?? '')) &&
         (exception.value === undefined || valueForms[exception.value](valueAt(exchange, violation)));
}

// Checks every exchange of `recorder`; `exceptions` are the entries that apply to this spec.
export function assertNoViolations(label, exchanges, exceptions) {
  const key = (e) => [e.id, e.method, e.path, e.location, e.message, e.value, e.status].join(' ');
  const used = new Map(exceptions.map((e) => [key(e), 0]));
  let unexplained = 0;
  for (const ex of exchanges) {
    const left = [];
    for (const v of ex.violations) {
      const hit = exceptions.find((e) => matches(e, ex, v));
      if (hit) used.set(key(hit), used.get(key(hit)) + 1);
      else left.push(v);
    }
    if (left.length > 0) {
      unexplained += left.length;
      check(false, `${label}: ${ex.method} ${ex.url} -> ${ex.status}: ${left.map(describe).join(' | ')}`);
    }
  }
  check(unexplained === 0, `${label}: ${exchanges.length} exchanges, no violation outside EXCEPTIONS.md`);
  for (const e of exceptions) {
    check(used.get(key(e)) > 0, `${label}: exception ${e.id} (${e.method} ${e.path} ${e.location}) was needed by this run`);
  }
}
