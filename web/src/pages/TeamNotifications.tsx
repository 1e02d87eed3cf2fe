// Team settings → Notifications: what the team's admins were told about its forge tokens (invalid,
// expiring within 30 / 7 / 1 days, rotated, rotation failed) and the webhook the notices go to.
import { useState, type FormEvent } from 'react';
import { api, enc } from '../lib/api';
import type { Notifications, TeamNotice } from '../lib/types';
import { providerLabel, relativeTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { Button, ErrorBox, ErrorText, Field, Notice, Progress, useFocusAfter } from '../components/ui';
import { useTeam } from './TeamLayout';
import { SettingsTabs } from './TeamSettings';

const PAGE = 20;

const KIND_LABELS: Record<TeamNotice['kind'], string> = {
  token_invalid: 'Token invalid',
  token_expiring: 'Token expiring',
  token_rotated: 'Token rotated',
  token_rotation_failed: 'Rotation failed',
};

const DELIVERY_LABELS: Record<TeamNotice['delivery']['state'], string> = {
  none: 'not sent (no webhook)',
  pending: 'waiting to be sent',
  in_flight: 'being sent',
  delivered: 'sent',
  failed: 'not sent',
};

function NoticeRow({ n }: { n: TeamNotice }) {
  const { providers } = useTeam();
  const forge = providers.find((p) => p.name === n.provider)?.display_name ?? providerLabel(n.provider);
  const bad = n.kind === 'token_invalid' || n.kind === 'token_rotation_failed';
  return (
    <li className="list-row notice-row">
      <span className={`badge ${bad ? 'badge-bad' : n.kind === 'token_expiring' ? 'badge-warn' : 'badge-ok'}`}>
        {KIND_LABELS[n.kind] ?? n.kind}
      </span>
      <span className="muted">
        {forge} · {n.credential}
      </span>
      <time className="muted" dateTime={n.created_at}>
        {relativeTime(n.created_at)}
      </time>
      <p className="notice-text">{n.text}</p>
      <p className="muted notice-delivery">
        Webhook: {DELIVERY_LABELS[n.delivery.state] ?? n.delivery.state}
        {n.delivery.last_error && n.delivery.state !== 'delivered' ? ` (${n.delivery.last_error})` : ''}
      </p>
    </li>
  );
}

function WebhookForm({ current, onChanged }: { current: Notifications; onChanged: (n: Notifications) => void }) {
  const { team } = useTeam();
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const doneFocus = useFocusAfter<HTMLDivElement>();
  const urlFocus = useFocusAfter<HTMLInputElement>();
  const path = `/api/v1/teams/${enc(team.slug)}/notifications`;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const result = await api.put<{ notifications: Notifications }>(path, { webhook_url: url.trim() });
      onChanged(result.notifications);
      setUrl('');
      setDone('Saved. Notices from now on are sent to this webhook.');
      doneFocus.request();
    } catch (err) {
      setError(err);
      urlFocus.request();
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await api.del(path);
      onChanged({ webhook: null });
      setDone('The webhook was removed. Notices are still listed here.');
      doneFocus.request();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {done && (
        <Notice tone="success" ref={doneFocus.ref}>
          {done}
        </Notice>
      )}
      <form className="card" onSubmit={save} aria-labelledby="webhook-form-title" noValidate>
        <h3 id="webhook-form-title">{current.webhook ? 'Replace the webhook' : 'Set a webhook'}</h3>
        <Field
          ref={urlFocus.ref}
          label="Webhook URL"
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="https://hooks.slack.com/services/…"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          hint="A Slack or Mattermost incoming webhook works as is (the JSON has a text field). The URL is kept sealed and never shown again in full."
          error={error ? <ErrorText error={error} /> : undefined}
        />
        <div className="actions">
          <Button type="submit" busy={busy} disabled={!url.trim()}>
            Save webhook
          </Button>
          {current.webhook && (
            <Button variant="danger" busy={busy} onClick={() => void remove()}>
              Remove webhook
            </Button>
          )}
        </div>
      </form>
    </>
  );
}

export function TeamNotifications() {
  const { team, isOwner } = useTeam();
  const base = `/api/v1/teams/${enc(team.slug)}`;
  const settings = useLoad((signal) => api.get<{ notifications: Notifications }>(`${base}/notifications`, undefined, signal), [team.slug]);
  const notices = useLoad((signal) => api.get<{ items: TeamNotice[] }>(`${base}/notices`, { limit: String(PAGE) }, signal), [team.slug]);
  const [older, setOlder] = useState<TeamNotice[]>([]);
  const [more, setMore] = useState<{ busy: boolean; done: boolean; error: unknown }>({ busy: false, done: false, error: null });

  const shown = [...(notices.data?.items ?? []), ...older];
  const loadOlder = async () => {
    const last = shown[shown.length - 1];
    if (!last) return;
    setMore({ busy: true, done: false, error: null });
    try {
      const page = await api.get<{ items: TeamNotice[] }>(`${base}/notices`, { limit: String(PAGE), before: String(last.id) });
      setOlder((o) => [...o, ...page.items]);
      setMore({ busy: false, done: page.items.length < PAGE, error: null });
    } catch (err) {
      setMore({ busy: false, done: false, error: err });
    }
  };
  const webhook = settings.data?.notifications;

  return (
    <section>
      <h1>Settings</h1>
      <SettingsTabs />
      <h2>Notifications</h2>
      <p className="lead">
        Forgelink tells the team's admins once when a forge token stops working, expires within 30, 7 or 1 days, or is rotated.
      </p>
      <h3>Webhook</h3>
      {settings.loading ? (
        <Progress>Loading the webhook…</Progress>
      ) : settings.error ? (
        <ErrorBox error={settings.error} />
      ) : (
        <>
          <dl className="facts">
            <dt>Posts to</dt>
            <dd>
              {webhook?.webhook ? (
                <>
                  <code>{webhook.webhook.url_hint}</code>{' '}
                  <span className="sr-only">(only its start and last characters are shown)</span>
                  <span className="muted">
                    {' '}
                    set <time dateTime={webhook.webhook.updated_at}>{relativeTime(webhook.webhook.updated_at)}</time>
                  </span>
                </>
              ) : (
                <span className="muted">none: notices are only listed here</span>
              )}
            </dd>
          </dl>
          {isOwner && webhook ? (
            <WebhookForm current={webhook} onChanged={(n) => settings.setData({ notifications: n })} />
          ) : (
            !isOwner && <Notice tone="info">Only team owners can change the webhook.</Notice>
          )}
        </>
      )}
      <h3>Notices</h3>
      {notices.loading ? (
        <Progress>Loading notices…</Progress>
      ) : notices.error ? (
        <ErrorBox error={notices.error} />
      ) : shown.length === 0 ? (
        <p className="muted">No notices yet.</p>
      ) : (
        <>
          <ul className="list" aria-label="Notices">
            {shown.map((n) => (
              <NoticeRow key={n.id} n={n} />
            ))}
          </ul>
          {more.error ? <ErrorBox error={more.error} /> : null}
          {(notices.data?.items.length ?? 0) >= PAGE && !more.done && (
            <Button variant="secondary" busy={more.busy} onClick={() => void loadOlder()}>
              Older notices
            </Button>
          )}
        </>
      )}
    </section>
  );
}
