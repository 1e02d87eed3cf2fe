// The team's audit log: every change of its settings, newest first, with who, when and from where.
import { useState } from 'react';
import { api, enc } from '../lib/api';
import type { AuditEvent } from '../lib/types';
import { relativeTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { Button, ErrorBox, Progress } from '../components/ui';
import { useTeam } from './TeamLayout';

const ACTIONS: Record<string, string> = {
  'team.created': 'created the team',
  'provider_token.saved': 'saved the token of',
  'provider_token.replaced': 'replaced the token of',
  'provider_token.removed': 'removed the token of',
  'provider_token.rotated': 'rotated the token of',
  'provider_token.rotation_set': 'changed the rotation setting of',
  'member.added': 'added member',
  'member.role_changed': 'changed the role of',
  'member.removed': 'removed member',
  'project.created': 'created project',
  'project.deleted': 'deleted project',
  'project.linked': 'linked project',
  'project.unlinked': 'unlinked project',
  'api_token.created': 'made API token',
  'api_token.revoked': 'revoked API token',
  'notification_webhook.set': 'set the notification',
  'notification_webhook.removed': 'removed the notification',
};

function detailText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

type Page = { items: AuditEvent[]; next_before: number | null };

export function TeamAudit() {
  const { team } = useTeam();
  const base = `/api/v1/teams/${enc(team.slug)}/audit`;
  const first = useLoad((signal) => api.get<Page>(base, { limit: '50' }, signal), [team.slug]);
  const [older, setOlder] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<number | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const cursor = next === undefined ? first.data?.next_before ?? null : next;

  const more = async () => {
    if (cursor === null) return;
    setBusy(true);
    setError(null);
    try {
      const page = await api.get<Page>(base, { limit: '50', before: String(cursor) });
      setOlder((o) => [...o, ...page.items]);
      setNext(page.next_before);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const events = [...(first.data?.items ?? []), ...older];

  return (
    <section>
      <h1>Audit log</h1>
      <p className="muted">Every change of this team's settings: who made it, when, from where and what changed.</p>
      {first.loading && <Progress>Loading the audit log…</Progress>}
      <ErrorBox error={first.error} />
      {first.data && !events.length && <p className="muted">Nothing recorded yet.</p>}
      {events.length > 0 && (
        <ol className="list" aria-label="Audit events">
          {events.map((e) => (
            <li key={e.id} className="list-row">
              <span className="list-title">
                {e.actor.name} {ACTIONS[e.action] ?? e.action} {e.action === 'team.created' ? '' : e.target}
              </span>
              <span className="muted">
                <time dateTime={e.at}>{relativeTime(e.at)}</time>
                {e.client_address ? ` · from ${e.client_address}` : ''}
                {e.actor.kind === 'token' ? ' · with an API token' : ''}
                {Object.keys(e.details).length ? ` · ${detailText(e.details)}` : ''}
              </span>
            </li>
          ))}
        </ol>
      )}
      <ErrorBox error={error} />
      {cursor !== null && first.data && (
        <Button variant="secondary" busy={busy} onClick={() => void more()}>
          Show older events
        </Button>
      )}
    </section>
  );
}
