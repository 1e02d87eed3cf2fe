import { useState, type FormEvent } from 'react';
import { Navigate, NavLink, useParams } from 'react-router';
import { api, ApiError, enc } from '../lib/api';
import type { ProviderSettings } from '../lib/types';
import { plural, providerLabel, relativeTime, sentence, tokenHealth } from '../lib/format';
import { Button, ErrorText, Field, Notice, Progress, useFocusAfter } from '../components/ui';
import { useTeam } from './TeamLayout';

function Findings({ s }: { s: ProviderSettings }) {
  const health = tokenHealth(s);
  return (
    <dl className="facts">
      <dt>Status</dt>
      <dd>
        {health.level === 'ok' && <span className="badge badge-ok">valid</span>}
        {health.level === 'expiring' && <span className="badge badge-warn">expires in {plural(health.days, 'day')}</span>}
        {health.level === 'expired' && <span className="badge badge-bad">expired</span>}
        {health.level === 'invalid' && (
          <>
            <span className="badge badge-bad">invalid</span> {health.reason}
          </>
        )}
        {s.health?.fix && health.level !== 'ok' && (
          <p className="fix">
            {s.health.fix.url ? (
              <a href={s.health.fix.url} target="_blank" rel="noreferrer noopener">
                {sentence(s.health.fix.message)}
              </a>
            ) : (
              sentence(s.health.fix.message)
            )}
          </p>
        )}
      </dd>
      <dt>Token</dt>
      <dd>
        <code>••••{s.token_last4}</code> <span className="sr-only">(only its last 4 characters are shown)</span>
      </dd>
      <dt>Base URL</dt>
      <dd>{s.base_url}</dd>
      <dt>Kind</dt>
      <dd>{s.kind} token{s.bound_to ? ` of ${s.bound_to.kind} ${s.bound_to.full_path}` : ''}</dd>
      <dt>Acts as</dt>
      <dd>
        {s.identity.web_url ? <a href={s.identity.web_url}>{s.identity.username}</a> : s.identity.username}
        {s.identity.name && s.identity.name !== s.identity.username ? ` (${s.identity.name})` : ''}
        {s.identity.bot && <span className="badge">bot</span>}
      </dd>
      <dt>Scopes</dt>
      <dd>{s.scopes.length ? s.scopes.join(', ') : <span className="muted">none reported</span>}</dd>
      {(s.role_label || s.role) && (
        <>
          <dt>Role</dt>
          <dd>{s.role_label || s.role}</dd>
        </>
      )}
      <dt>Expires</dt>
      <dd>
        {s.expires_at ? (
          <>
            {s.expires_at}
            {s.days_left !== null && (
              <span className="muted">
                {' '}
                ({s.days_left >= 0 ? `${plural(s.days_left, 'day')} left` : `${plural(-s.days_left, 'day')} ago`})
              </span>
            )}
          </>
        ) : (
          'never'
        )}
      </dd>
      {s.checked_at && (
        <>
          <dt>Checked with the forge</dt>
          <dd>
            <time dateTime={s.checked_at}>{relativeTime(s.checked_at)}</time>
            {s.next_check_at && (
              <span className="muted">
                {' '}
                (next: <time dateTime={s.next_check_at}>{s.next_check_at.slice(0, 16).replace('T', ' ')} UTC</time>)
              </span>
            )}
          </dd>
        </>
      )}
      {s.feedback_paused && (
        <>
          <dt>Feedback</dt>
          <dd>paused: {s.feedback_paused}</dd>
        </>
      )}
      {s.warnings.length > 0 && (
        <>
          <dt>Warnings</dt>
          <dd>
            <ul className="warnings">
              {s.warnings.map((w) => (
                <li key={w.code}>{w.message}</li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

function ProviderForm({
  provider,
  current,
  onSaved,
}: {
  provider: string;
  current: ProviderSettings | undefined;
  onSaved: (s: ProviderSettings | null) => void;
}) {
  const { team, reloadSettings, providers } = useTeam();
  const info = providers.find((p) => p.name === provider);
  const forge = info?.display_name ?? providerLabel(provider);
  const defaultBaseUrl = info?.default_base_url ?? null;
  const [baseUrl, setBaseUrl] = useState(current?.base_url ?? defaultBaseUrl ?? '');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<ProviderSettings | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [removed, setRemoved] = useState(false);
  const [editing, setEditing] = useState(!current);
  // Keyboard focus follows what replaces the control just used (see useFocusAfter).
  const savedFocus = useFocusAfter<HTMLDivElement>();
  const removedFocus = useFocusAfter<HTMLDivElement>();
  const tokenFocus = useFocusAfter<HTMLInputElement>();
  const baseUrlFocus = useFocusAfter<HTMLInputElement>();
  const replaceFocus = useFocusAfter<HTMLButtonElement>();
  const removeFocus = useFocusAfter<HTMLButtonElement>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const body: Record<string, string> = { token };
      if (baseUrl.trim()) body.base_url = baseUrl.trim();
      const result = await api.put<{ settings: ProviderSettings }>(
        `/api/v1/teams/${enc(team.slug)}/providers/${enc(provider)}`,
        body,
      );
      setSaved(result.settings);
      onSaved(result.settings);
      setToken('');
      setEditing(false);
      savedFocus.request();
      await reloadSettings();
    } catch (err) {
      setError(err);
      // The refusal is shown next to its field: the focus goes there (the busy button lost it).
      if (err instanceof ApiError && err.field === 'base_url') baseUrlFocus.request();
      else tokenFocus.request();
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(`/api/v1/teams/${enc(team.slug)}/providers/${enc(provider)}`);
      setConfirmRemove(false);
      setSaved(null);
      setRemoved(true);
      onSaved(null);
      setEditing(true);
      removedFocus.request();
      await reloadSettings();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const baseUrlError = error instanceof ApiError && error.field === 'base_url' ? <ErrorText error={error} /> : undefined;
  // Every other refusal (revoked, expired, missing scope, wrong token...) concerns the token.
  const tokenError = error && !baseUrlError ? <ErrorText error={error} /> : undefined;

  return (
    <>
      {saved && (
        <Notice tone="success" ref={savedFocus.ref}>
          <strong>Saved. The token works; what the check found is below.</strong>
          {saved.resumed_deliveries ? ` ${plural(saved.resumed_deliveries, 'paused delivery', 'paused deliveries')} resumed.` : ''}
        </Notice>
      )}
      {removed && (
        <Notice tone="info" ref={removedFocus.ref}>
          The {forge} token was removed.
        </Notice>
      )}
      {current && !editing && (
        <div className="actions">
          <Button
            ref={replaceFocus.ref}
            variant="secondary"
            onClick={() => {
              setEditing(true);
              setSaved(null);
              tokenFocus.request();
            }}
          >
            Replace token
          </Button>
          {!confirmRemove ? (
            <Button ref={removeFocus.ref} variant="danger" onClick={() => setConfirmRemove(true)}>
              Remove token
            </Button>
          ) : (
            <span className="confirm" role="group" aria-label="Confirm removal">
              <span>Remove the {forge} token? Feedback to {forge} stops.</span>
              <Button variant="danger" busy={busy} onClick={() => void remove()}>
                Yes, remove
              </Button>
              {/* The safe choice has the focus: Enter twice does not remove the token. */}
              <Button
                variant="secondary"
                autoFocus
                onClick={() => {
                  setConfirmRemove(false);
                  removeFocus.request();
                }}
              >
                Cancel
              </Button>
            </span>
          )}
        </div>
      )}
      {editing && (
        <form className="card" onSubmit={submit} aria-labelledby={`${provider}-form-title`} noValidate>
          <h2 id={`${provider}-form-title`}>{current ? `Replace the ${forge} token` : `Connect ${forge}`}</h2>
          <Field
            ref={baseUrlFocus.ref}
            label="Base URL"
            type="url"
            inputMode="url"
            placeholder={provider === 'github' ? 'https://api.github.com' : 'https://gitlab.com'}
            value={baseUrl}
            onChange={(e) => setBaseUrl(e.target.value)}
            hint={
              defaultBaseUrl
                ? `This host's default is ${defaultBaseUrl}. For a self-managed instance enter its address, sub-path included (https://git.example.com/gitlab).`
                : `Leave empty for the host's default. For a self-managed instance enter its address, sub-path included (https://git.example.com/gitlab).`
            }
            error={baseUrlError}
          />
          <Field
            ref={tokenFocus.ref}
            label="Access token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            value={token}
            onChange={(e) => setToken(e.target.value)}
            hint={
              provider === 'github'
                ? 'A fine-grained or classic token that can write commit statuses and comment on pull requests.'
                : 'A personal, project or group access token with the api scope, of a user with at least Developer.'
            }
            error={tokenError}
          />
          {busy && <Progress>Checking the token with {forge}…</Progress>}
          <div className="actions">
            <Button type="submit" busy={busy} disabled={!token}>
              {busy ? 'Checking…' : 'Check and save'}
            </Button>
            {current && (
              <Button
                variant="secondary"
                type="button"
                onClick={() => {
                  setEditing(false);
                  setError(null);
                  replaceFocus.request();
                }}
              >
                Cancel
              </Button>
            )}
          </div>
        </form>
      )}
      {!editing && error ? (
        <div className="alert alert-error" role="alert">
          <ErrorText error={error} />
        </div>
      ) : null}
    </>
  );
}

export function TeamSettings() {
  const { provider } = useParams();
  const { team, isOwner, settings, plugins, providers } = useTeam();
  const [lastSaved, setLastSaved] = useState<ProviderSettings | null>(null);
  if (!provider) {
    const first = plugins[0];
    if (!first) return <Progress>Loading providers…</Progress>;
    return <Navigate to={`/teams/${team.slug}/settings/${first}`} replace />;
  }
  const current = settings.find((s) => s.provider === provider);
  // The answer of a save carries what only the check knows (role, what the token is bound to).
  const shown = lastSaved && lastSaved.provider === provider ? { ...current, ...lastSaved } : current;
  const forge = providers.find((p) => p.name === provider)?.display_name ?? providerLabel(provider);
  return (
    <section>
      <h1>Settings</h1>
      <nav aria-label="Forges" className="subtabs">
        {plugins.map((p) => (
          <NavLink key={p} to={`/teams/${team.slug}/settings/${p}`}>
            {providers.find((x) => x.name === p)?.display_name ?? providerLabel(p)}
          </NavLink>
        ))}
      </nav>
      <h2>{forge}</h2>
      {shown ? (
        <Findings s={shown} />
      ) : (
        <p>This team has no {forge} token yet: projects cannot be linked to {forge} repositories.</p>
      )}
      {isOwner ? (
        <ProviderForm key={provider} provider={provider} current={current} onSaved={setLastSaved} />
      ) : (
        <Notice tone="info">Only team owners can change these settings. You can see them as a member.</Notice>
      )}
    </section>
  );
}
