// Pure formatting and classification the pages share (unit-tested in format.test.ts).
import type { Delivery, ProviderSettings } from './types';

export const EXPIRY_WARNING_DAYS = 30;

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "in 3 minutes", "5 hours ago"; now is injectable for tests. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((at - now) / 1000);
  const abs = Math.abs(seconds);
  // The host's times have whole seconds and its clock is not the browser's: a moment ago may
  // read as a second ahead.
  if (abs < 5) return 'just now';
  let text: string;
  if (abs < 45) text = plural(Math.max(abs, 1), 'second');
  else if (abs < 45 * 60) text = plural(Math.round(abs / 60), 'minute');
  else if (abs < 36 * 3600) text = plural(Math.round(abs / 3600), 'hour');
  else text = plural(Math.round(abs / 86400), 'day');
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

export type TokenHealth =
  | { level: 'ok' }
  | { level: 'expiring'; days: number }
  | { level: 'expired' }
  | { level: 'invalid'; reason: string };

/** What the team banner says about one provider's token (the host's `health` when it sends one). */
export function tokenHealth(settings: ProviderSettings): TokenHealth {
  const health = settings.health;
  if (health) {
    if (health.state === 'invalid') {
      if (health.days_left !== null && health.days_left < 0 && !health.reason) return { level: 'expired' };
      return { level: 'invalid', reason: health.reason || settings.invalid_reason || 'the forge refused the token' };
    }
    if (health.state === 'expiring') return { level: 'expiring', days: health.days_left ?? settings.days_left ?? 0 };
    return { level: 'ok' };
  }
  if (settings.status === 'invalid') {
    return { level: 'invalid', reason: settings.invalid_reason || 'the forge refused the token' };
  }
  if (settings.days_left !== null && settings.days_left !== undefined) {
    if (settings.days_left < 0) return { level: 'expired' };
    if (settings.days_left <= EXPIRY_WARNING_DAYS) return { level: 'expiring', days: settings.days_left };
  }
  return { level: 'ok' };
}

export function providerLabel(name: string): string {
  const known: Record<string, string> = { gitlab: 'GitLab', github: 'GitHub' };
  return known[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
}

export function bannerMessage(settings: ProviderSettings): string | null {
  const health = tokenHealth(settings);
  // A named credential says its name: "The GitLab token 'group-a' expires ...".
  const named = settings.name && settings.name !== 'default' ? ` '${settings.name}'` : '';
  const forge = providerLabel(settings.provider);
  switch (health.level) {
    case 'ok':
      return null;
    case 'expiring':
      return health.days === 0
        ? `The ${forge} token${named} expires today. Replace it in Settings → ${forge} before feedback stops.`
        : `The ${forge} token${named} expires in ${plural(health.days, 'day')}. Replace it in Settings → ${forge} before feedback stops.`;
    case 'expired':
      return `The ${forge} token${named} has expired: commit statuses and comments are paused. Save a new token in Settings → ${forge}.`;
    case 'invalid':
      return `The ${forge} token${named} no longer works (${health.reason}): feedback is paused. Save a new token in Settings → ${forge}.`;
  }
}

export type DeliveryView = { label: string; tone: 'done' | 'pending' | 'retrying' | 'failed' | 'paused'; detail: string | null };

/** done / pending / retrying with next attempt / failed with the forge's reason. */
export function describeDelivery(d: Delivery, now: number = Date.now()): DeliveryView {
  switch (d.state) {
    case 'done':
      return { label: 'Done', tone: 'done', detail: d.attempts > 1 ? `after ${plural(d.attempts, 'attempt')}` : null };
    case 'failed':
      return { label: 'Failed', tone: 'failed', detail: d.last_error || 'the forge refused it' };
    case 'paused':
      return { label: 'Paused', tone: 'paused', detail: d.last_error || 'the team token needs attention' };
    case 'superseded':
      // A newer build's feedback for the same commit (or merge request) replaced this one.
      return { label: 'Superseded', tone: 'paused', detail: d.last_error || "a newer build's feedback replaced it" };
    case 'in_flight':
      return { label: 'Sending', tone: 'pending', detail: null };
    case 'pending':
      if (d.attempts > 0) {
        const due = d.next_attempt_at ? Date.parse(d.next_attempt_at) : NaN;
        const next =
          Number.isNaN(due) || due <= now ? 'next attempt due now' : `next attempt ${relativeTime(d.next_attempt_at!, now)}`;
        return {
          label: 'Retrying',
          tone: 'retrying',
          detail: `${next} (${plural(d.attempts, 'attempt')} so far${d.last_error ? `; last: ${d.last_error}` : ''})`,
        };
      }
      return { label: 'Pending', tone: 'pending', detail: null };
  }
  return { label: d.state, tone: 'pending', detail: null };
}

export function buildStateLabel(state: string): string {
  const labels: Record<string, string> = {
    queued: 'Queued',
    in_progress: 'In progress',
    no_changes: 'No changes',
    changes_detected: 'Changes detected',
    accepted: 'Accepted',
    rejected: 'Rejected',
    skipped: 'Skipped',
    errored: 'Errored',
    aborted: 'Aborted',
  };
  return labels[state] ?? state;
}

const ROLE_RANK: Record<string, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

/** A repository can receive statuses when the token has at least write (Developer / push). */
export function canReportTo(role: string | undefined): boolean {
  return role === undefined || (ROLE_RANK[role] ?? 0) >= ROLE_RANK['write'];
}

/** A slug the API accepts (^[a-z0-9][a-z0-9-]{0,62}$) made from a name. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return slug;
}

export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 8) : '';
}

/** A message from the API as a sentence: capital first letter. */
export function sentence(text: string): string {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}
