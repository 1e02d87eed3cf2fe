import { describe, expect, it } from 'vitest';
import { bannerMessage, canReportTo, describeDelivery, relativeTime, slugify, tokenHealth } from './format';
import type { Delivery, ProviderSettings } from './types';

const settings = (over: Partial<ProviderSettings>): ProviderSettings => ({
  provider: 'gitlab',
  base_url: 'https://gitlab.com',
  instance: 'gitlab.com',
  kind: 'personal',
  identity: { id: '3', username: 'bot' },
  scopes: ['api'],
  expires_at: null,
  days_left: null,
  warnings: [],
  status: 'active',
  token_last4: 'abcd',
  ...over,
});

describe('tokenHealth and the team banner', () => {
  it('says nothing for a valid token far from expiry', () => {
    expect(tokenHealth(settings({ days_left: 31, expires_at: '2030-01-01' }))).toEqual({ level: 'ok' });
    expect(bannerMessage(settings({ days_left: 31 }))).toBeNull();
  });
  it('warns from 30 days left down to the last day', () => {
    expect(tokenHealth(settings({ days_left: 30 }))).toEqual({ level: 'expiring', days: 30 });
    expect(bannerMessage(settings({ days_left: 1 }))).toBe(
      'The GitLab token expires in 1 day. Replace it in Settings → GitLab before feedback stops.',
    );
    expect(bannerMessage(settings({ days_left: 0 }))).toContain('expires today');
  });
  it('an expired or invalid token says feedback is paused and what to do', () => {
    expect(tokenHealth(settings({ days_left: -2 }))).toEqual({ level: 'expired' });
    const invalid = settings({ provider: 'github', status: 'invalid', invalid_reason: 'token_revoked: the token was revoked' });
    expect(bannerMessage(invalid)).toBe(
      'The GitHub token no longer works (token_revoked: the token was revoked): feedback is paused. Save a new token in Settings → GitHub.',
    );
  });
});

describe("the host's health, when it sends one", () => {
  it('wins over the raw fields', () => {
    const fix = { message: 'Create a new token', url: 'https://gitlab.example.com/-/user_settings/personal_access_tokens?scopes=api' };
    expect(tokenHealth(settings({ days_left: 200, health: { state: 'expiring', reason: null, days_left: 3, fix } }))).toEqual({
      level: 'expiring',
      days: 3,
    });
    expect(
      tokenHealth(settings({ status: 'active', health: { state: 'invalid', reason: 'feedback is paused: 401', days_left: null, fix } })),
    ).toEqual({ level: 'invalid', reason: 'feedback is paused: 401' });
    expect(tokenHealth(settings({ days_left: 2, health: { state: 'valid', reason: null, days_left: 2, fix: null } }))).toEqual({
      level: 'ok',
    });
  });
});

const delivery = (over: Partial<Delivery>): Delivery => ({
  id: 1,
  kind: 'status',
  provider: 'gitlab',
  repository_id: '100',
  state: 'pending',
  attempts: 0,
  last_error: null,
  ...over,
});

describe('describeDelivery', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  it('done, pending and failed with the reason', () => {
    expect(describeDelivery(delivery({ state: 'done', attempts: 1 }), now)).toEqual({ label: 'Done', tone: 'done', detail: null });
    expect(describeDelivery(delivery({}), now).label).toBe('Pending');
    expect(describeDelivery(delivery({ state: 'failed', last_error: '403 Forbidden: needs Developer' }), now)).toEqual({
      label: 'Failed',
      tone: 'failed',
      detail: '403 Forbidden: needs Developer',
    });
  });
  it('superseded by a newer build, with the reason the host gives', () => {
    expect(describeDelivery(delivery({ state: 'superseded', last_error: 'superseded by build 2 before it was delivered' }), now)).toEqual({
      label: 'Superseded',
      tone: 'paused',
      detail: 'superseded by build 2 before it was delivered',
    });
  });
  it('a pending delivery that was tried is retrying, with its next attempt', () => {
    const view = describeDelivery(
      delivery({ attempts: 2, last_error: '503 from the forge', next_attempt_at: '2026-12-06T12:02:00Z' }),
      now,
    );
    expect(view.label).toBe('Retrying');
    expect(view.detail).toBe('next attempt in 2 minutes (2 attempts so far; last: 503 from the forge)');
    const overdue = describeDelivery(delivery({ attempts: 1, next_attempt_at: '2026-12-06T11:59:58Z' }), now);
    expect(overdue.detail).toBe('next attempt due now (1 attempt so far)');
  });
});

describe('helpers', () => {
  it('relativeTime in both directions', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(relativeTime('2026-12-06T11:00:00Z', now)).toBe('1 hour ago');
    expect(relativeTime('2026-12-09T12:00:00Z', now)).toBe('in 3 days');
    expect(relativeTime('not a date', now)).toBe('not a date');
    expect(relativeTime('2026-12-06T12:00:01Z', now)).toBe('just now');
    expect(relativeTime('2026-12-06T11:59:57Z', now)).toBe('just now');
    expect(relativeTime('2026-12-06T12:00:10Z', now)).toBe('in 10 seconds');
  });
  it('canReportTo needs write or more', () => {
    expect(canReportTo('read')).toBe(false);
    expect(canReportTo('triage')).toBe(false);
    expect(canReportTo('none')).toBe(false);
    expect(canReportTo('write')).toBe(true);
    expect(canReportTo('admin')).toBe(true);
  });
  it('slugify makes what the API accepts', () => {
    expect(slugify('  ACME Web — Front!  ')).toBe('acme-web-front');
    expect(slugify('x'.repeat(80))).toHaveLength(63);
    expect(slugify('Ünïcode')).toBe('unicode');
    expect(/^[a-z0-9][a-z0-9-]{0,62}$/.test(slugify('a-' + 'b'.repeat(70)))).toBe(true);
  });
});
