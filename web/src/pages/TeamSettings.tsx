import { useEffect, useRef, useState, type FormEvent, type ReactNode, type Ref } from 'react';
import { Navigate, NavLink, useParams } from 'react-router';
import { api, ApiError, enc } from '../lib/api';
import type { ProviderSettings, ServedRepository } from '../lib/types';
import { useLoad } from '../lib/useLoad';
import { plural, providerLabel, relativeTime, sentence, tokenHealth } from '../lib/format';
import { Button, ErrorBox, ErrorText, Field, Notice, Progress, useFocusAfter } from '../components/ui';
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
        {s.refreshed_by_forgelink && <p className="muted">Renewed by Forgelink with its refresh token before it expires.</p>}
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
      {s.rotate && <RotationFacts rotate={s.rotate} />}
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
  const [refreshToken, setRefreshToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<ProviderSettings | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [removed, setRemoved] = useState(false);
  // The form is open while there is no token (never saved, or 'default' removed in the
  // credentials list below) or while the person replaces it: derived, so settings read after the
  // first render do not leave it open.
  const [replacing, setReplacing] = useState(false);
  const editing = !current || replacing;
  const setEditing = setReplacing;
  // Keyboard focus follows what replaces the control just used (see useFocusAfter).
  const savedFocus = useFocusAfter<HTMLDivElement>();
  const removedFocus = useFocusAfter<HTMLDivElement>();
  const tokenFocus = useFocusAfter<HTMLInputElement>();
  const baseUrlFocus = useFocusAfter<HTMLInputElement>();
  const refreshFocus = useFocusAfter<HTMLInputElement>();
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
      if (refreshToken) body.refresh_token = refreshToken;
      const result = await api.put<{ settings: ProviderSettings }>(
        `/api/v1/teams/${enc(team.slug)}/providers/${enc(provider)}`,
        body,
      );
      setSaved(result.settings);
      onSaved(result.settings);
      setToken('');
      setRefreshToken('');
      setEditing(false);
      savedFocus.request();
      await reloadSettings();
    } catch (err) {
      setError(err);
      // The refusal is shown next to its field: the focus goes there (the busy button lost it).
      if (err instanceof ApiError && err.field === 'base_url') baseUrlFocus.request();
      else if (err instanceof ApiError && err.field === 'refresh_token') refreshFocus.request();
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
  const refreshError = error instanceof ApiError && error.field === 'refresh_token' ? <ErrorText error={error} /> : undefined;
  // Every other refusal (revoked, expired, missing scope, wrong token...) concerns the token.
  const tokenError = error && !baseUrlError && !refreshError ? <ErrorText error={error} /> : undefined;

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
          {info?.login && (
            <RefreshTokenField
              ref={refreshFocus.ref}
              forge={forge}
              value={refreshToken}
              onChange={setRefreshToken}
              error={refreshError}
            />
          )}
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

/**
 * The optional refresh token of an OAuth token (or a GitHub App user token) issued to this host's
 * app of the forge: Forgelink then renews the token before it expires. Offered only where the host
 * has that app (people sign in with it); the host refuses it for any other token, saying why.
 */
function RefreshTokenField({
  forge,
  value,
  onChange,
  error,
  ref,
}: {
  forge: string;
  value: string;
  onChange: (value: string) => void;
  error?: ReactNode;
  ref?: Ref<HTMLInputElement>;
}) {
  return (
    <Field
      ref={ref}
      label="Refresh token (optional)"
      type="password"
      autoComplete="off"
      spellCheck={false}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      hint={`Only with an OAuth token issued to this Forgelink's ${forge} app: Forgelink then renews the token before it expires. Leave empty for an access token.`}
      error={error}
    />
  );
}

function servedList(rows: ServedRepository[] | undefined): string {
  return (rows ?? []).map((r) => `${r.full_path} (project ${r.project})`).join(', ');
}

/**
 * Team settings → forge: every credential the team holds for it (several per forge: one group
 * token per GitLab group, a bot's personal token...), with name, kind, scope, health and the
 * repositories each serves; owners add another, or remove one (told first which repositories
 * would lose their feedback).
 */
function Credentials({ provider, forge }: { provider: string; forge: string }) {
  const { team, isOwner, reloadSettings, providers } = useTeam();
  const path = `/api/v1/teams/${enc(team.slug)}/providers/${enc(provider)}/credentials`;
  const { settings } = useTeam();
  // Reloaded whenever the team's settings change (the form above saved or removed 'default').
  const signature = settings
    .filter((s) => s.provider === provider)
    .map((s) => `${s.name}:${s.updated_at}:${s.status}:${s.token_last4}`)
    .join(',');
  const list = useLoad((signal) => api.get<{ items: ProviderSettings[] }>(path, undefined, signal), [path]);
  // A quiet reload: the table stays as it is until the new answer replaces it.
  const seen = useRef(signature);
  useEffect(() => {
    if (seen.current === signature) return;
    seen.current = signature;
    void list.reload();
  }, [signature]);
  const defaultBaseUrl = providers.find((p) => p.name === provider)?.default_base_url ?? '';
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [token, setToken] = useState('');
  const [refreshToken, setRefreshToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  // The named credential whose rotation form is open ('default' has its own form above).
  const [rotating, setRotating] = useState<string | null>(null);
  const [inUse, setInUse] = useState<{ name: string; lost: ServedRepository[] } | null>(null);
  const doneFocus = useFocusAfter<HTMLDivElement>();
  const nameFocus = useFocusAfter<HTMLInputElement>();
  const items = list.data?.items ?? [];
  const refreshRefused = error instanceof ApiError && error.field === 'refresh_token';

  const refresh = async () => {
    await Promise.all([list.reload(), reloadSettings()]);
  };

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const body: Record<string, string> = { token };
      const url = baseUrl.trim() || items[0]?.base_url || '';
      if (url) body.base_url = url;
      if (refreshToken) body.refresh_token = refreshToken;
      const result = await api.put<{ settings: ProviderSettings }>(`${path}/${enc(name.trim())}`, body);
      const moved = result.settings.now_serves ?? [];
      setDone(
        `Credential ${result.settings.name} saved.` +
          (moved.length ? ` It serves ${moved.map((r) => r.full_path).join(', ')} from now on.` : ''),
      );
      setAdding(false);
      setName('');
      setToken('');
      setRefreshToken('');
      doneFocus.request();
      await refresh();
    } catch (err) {
      setError(err);
      nameFocus.request();
    } finally {
      setBusy(false);
    }
  };

  const remove = async (credential: string, force: boolean) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const result = await api.del<{ moved: (ServedRepository & { credential: string })[]; lost_feedback: ServedRepository[] }>(
        `${path}/${enc(credential)}${force ? '?force=true' : ''}`,
      );
      const moved = result?.moved ?? [];
      setDone(
        `Credential ${credential} removed.` +
          (moved.length ? ` ${moved.map((r) => `${r.full_path} is now served by ${r.credential}`).join('; ')}.` : '') +
          (result?.lost_feedback?.length ? ` No feedback for ${servedList(result.lost_feedback)} until a credential reaches them.` : ''),
      );
      setRemoving(null);
      setInUse(null);
      doneFocus.request();
      await refresh();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'credential_in_use') {
        setInUse({ name: credential, lost: (err.details.lost_feedback as ServedRepository[]) ?? [] });
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  };

  // A team without a token for this forge connects it with the form above first; the section
  // stays while it says what a removal did.
  if (items.length === 0 && !done && !inUse && !adding) return null;
  return (
    <section className="credentials" aria-labelledby={`${provider}-credentials-title`}>
      <h2 id={`${provider}-credentials-title`}>{forge} credentials</h2>
      <p className="muted">
        Each repository is served by the most specific credential that can report to it: a project token of that
        project, then a group token of its nearest group, then a personal token.
      </p>
      {done && (
        <Notice tone="success" ref={doneFocus.ref}>
          {done}
        </Notice>
      )}
      <ErrorBox error={list.error} title="The credentials could not be read." />
      {list.data && (
        <table className="credential-list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Scope</th>
              <th scope="col">Health</th>
              <th scope="col">Serves</th>
              {isOwner && <th scope="col"><span className="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {items.map((c) => {
              const health = tokenHealth(c);
              const credential = c.name ?? 'default';
              return [
                <tr key={credential} data-credential={credential}>
                  <th scope="row">{credential}</th>
                  <td data-label="Kind" className="fixed">{c.kind}</td>
                  <td data-label="Scope">{c.bound_to ? `${c.bound_to.kind} ${c.bound_to.full_path}` : `what ${c.identity.username} can reach`}</td>
                  <td data-label="Health" className="fixed">
                    {health.level === 'ok' && <span className="badge badge-ok">valid</span>}
                    {health.level === 'expiring' && <span className="badge badge-warn">expires in {plural(health.days, 'day')}</span>}
                    {health.level === 'expired' && <span className="badge badge-bad">expired</span>}
                    {health.level === 'invalid' && <span className="badge badge-bad">invalid</span>}
                  </td>
                  <td data-label="Serves">{c.serves && c.serves.length ? servedList(c.serves) : <span className="muted">no repository</span>}</td>
                  {isOwner && (
                    <td>
                      {removing === credential ? (
                        <span className="confirm" role="group" aria-label={`Confirm removal of ${credential}`}>
                          <Button variant="danger" busy={busy} onClick={() => void remove(credential, false)}>
                            Yes, remove {credential}
                          </Button>
                          <Button variant="secondary" autoFocus onClick={() => setRemoving(null)}>
                            Keep it
                          </Button>
                        </span>
                      ) : (
                        <span className="row-actions">
                          {c.rotate && credential !== 'default' && (
                            <Button
                              variant="secondary"
                              aria-expanded={rotating === credential}
                              aria-label={`Rotation of ${credential}`}
                              onClick={() => setRotating(rotating === credential ? null : credential)}
                            >
                              Rotation
                            </Button>
                          )}
                          <Button variant="secondary" aria-label={`Remove credential ${credential}`} onClick={() => setRemoving(credential)}>
                            Remove
                          </Button>
                        </span>
                      )}
                    </td>
                  )}
                </tr>,
                isOwner && rotating === credential && (
                  <tr key={`${credential}-rotation`} className="credential-detail">
                    <td colSpan={6}>
                      <RotationForm provider={provider} credential={credential} current={c} onSaved={() => void list.reload()} />
                    </td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
      )}
      {inUse && (
        <div className="alert alert-warning" role="alert">
          <p>
            Removing {inUse.name} would stop feedback to {servedList(inUse.lost)}: no other credential can report to{' '}
            {inUse.lost.length === 1 ? 'it' : 'them'}.
          </p>
          <div className="actions">
            <Button variant="danger" busy={busy} onClick={() => void remove(inUse.name, true)}>
              Remove anyway
            </Button>
            <Button variant="secondary" autoFocus onClick={() => { setInUse(null); setRemoving(null); }}>
              Keep it
            </Button>
          </div>
        </div>
      )}
      {isOwner && !adding && (
        <div className="actions">
          <Button
            variant="secondary"
            onClick={() => {
              setAdding(true);
              setDone(null);
              nameFocus.request();
            }}
          >
            Add another credential
          </Button>
        </div>
      )}
      {isOwner && adding && (
        <form className="card" onSubmit={add} aria-labelledby={`${provider}-add-title`} noValidate>
          <h3 id={`${provider}-add-title`}>Add a {forge} credential</h3>
          <Field
            ref={nameFocus.ref}
            label="Name"
            required
            spellCheck={false}
            value={name}
            onChange={(e) => setName(e.target.value)}
            hint="Lowercase letters, digits, '-', '_' and '.', e.g. group-acme or release-bot. Saving an existing name replaces its token."
            error={error && !refreshRefused ? <ErrorText error={error} /> : undefined}
          />
          <Field
            label="Base URL"
            type="url"
            inputMode="url"
            placeholder={items[0]?.base_url ?? defaultBaseUrl ?? ''}
            value={baseUrl}
            onChange={(e) => setBaseUrl(e.target.value)}
            hint="Leave empty for the same instance as the team's other credentials."
          />
          <Field
            label="Access token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            value={token}
            onChange={(e) => setToken(e.target.value)}
            hint="A project, group or personal access token; it is checked with the forge before it is saved."
          />
          {providers.find((p) => p.name === provider)?.login && (
            <RefreshTokenField
              forge={forge}
              value={refreshToken}
              onChange={setRefreshToken}
              error={refreshRefused ? <ErrorText error={error} /> : undefined}
            />
          )}
          {busy && <Progress>Checking the token with {forge}…</Progress>}
          <div className="actions">
            <Button type="submit" busy={busy} disabled={!token || !name.trim()}>
              {busy ? 'Checking…' : 'Check and add'}
            </Button>
            <Button
              variant="secondary"
              type="button"
              onClick={() => {
                setAdding(false);
                setError(null);
              }}
            >
              Cancel
            </Button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The rotation setting and its last outcome, as the facts list of a credential shows them. */
function RotationFacts({ rotate }: { rotate: NonNullable<ProviderSettings['rotate']> }) {
  return (
    <>
      <dt>Rotation</dt>
      <dd>
        {rotate.enabled ? (
          <>
            {rotate.days_before_expiry} days before expiry, for {plural(rotate.new_lifetime_days, 'day')}
            {rotate.due_on && <span className="muted"> (due {rotate.due_on})</span>}
          </>
        ) : (
          'off'
        )}
        {rotate.available === false && rotate.unavailable_reason && (
          <p className="fix">Cannot rotate here: {sentence(rotate.unavailable_reason)}</p>
        )}
        {rotate.state === 'rotating' && <p className="muted">A rotation is under way.</p>}
        {rotate.last_rotated_at && (
          <p className="muted">
            Last rotated <time dateTime={rotate.last_rotated_at}>{relativeTime(rotate.last_rotated_at)}</time>
          </p>
        )}
        {rotate.last_error && <p className="fix">Last attempt: {sentence(rotate.last_error)}</p>}
      </dd>
    </>
  );
}

// Rotation of the token through the forge before it expires (GitLab): the setting, and "rotate now".
// `credential`: a named credential's (PATCH/POST .../credentials/{credential}[/rotate]); otherwise the
// credential the routes without a name act on.
function RotationForm({
  provider,
  credential,
  current,
  onSaved,
}: {
  provider: string;
  credential?: string;
  current: ProviderSettings;
  onSaved: (s: ProviderSettings) => void;
}) {
  const { team, reloadSettings } = useTeam();
  const rotate = current.rotate;
  const [enabled, setEnabled] = useState(rotate?.enabled ?? false);
  const [daysBefore, setDaysBefore] = useState(String(rotate?.days_before_expiry ?? 14));
  const [lifetime, setLifetime] = useState(String(rotate?.new_lifetime_days ?? 365));
  const [busy, setBusy] = useState<'save' | 'rotate' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const path =
    `/api/v1/teams/${enc(team.slug)}/providers/${enc(provider)}` + (credential ? `/credentials/${enc(credential)}` : '');
  const titleId = `${provider}${credential ? `-${credential}` : ''}-rotation-title`;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    setDone(null);
    try {
      const result = await api.patch<{ settings: ProviderSettings }>(path, {
        rotate: { enabled, days_before_expiry: Number(daysBefore), new_lifetime_days: Number(lifetime) },
      });
      onSaved(result.settings);
      setDone('Rotation setting saved.');
      await reloadSettings();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const rotateNow = async () => {
    setBusy('rotate');
    setError(null);
    setDone(null);
    try {
      const result = await api.post<{ settings: ProviderSettings; rotation: { message: string } }>(`${path}/rotate`, {});
      onSaved(result.settings);
      setDone(sentence(result.rotation.message));
      await reloadSettings();
    } catch (err) {
      setError(err);
      await reloadSettings();
    } finally {
      setBusy(null);
    }
  };

  return (
    // A section holding the form (not a form with a heading): "a form with a heading" is how the
    // page shows the token form is open.
    <section className="card" aria-labelledby={titleId}>
      {credential ? (
        <>
          <h3 id={titleId}>Rotation of {credential}</h3>
          {current.rotate && (
            <dl className="facts">
              <RotationFacts rotate={current.rotate} />
            </dl>
          )}
        </>
      ) : (
        <h2 id={titleId}>Rotation before expiry</h2>
      )}
      <form onSubmit={save} aria-labelledby={titleId} noValidate>
        <label className="checkbox">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Rotate the token through
          the forge before it expires
        </label>
        <Field
          label="Days before expiry"
          type="number"
          inputMode="numeric"
          min={1}
          max={365}
          value={daysBefore}
          onChange={(e) => setDaysBefore(e.target.value)}
          hint="The token is rotated once it expires within this many days."
        />
        <Field
          label="New token's lifetime (days)"
          type="number"
          inputMode="numeric"
          min={1}
          max={365}
          value={lifetime}
          onChange={(e) => setLifetime(e.target.value)}
          hint="GitLab allows at most 365 days, or the instance's lower limit."
        />
        {done && <Notice tone="success">{done}</Notice>}
        {error ? (
          <div className="alert alert-error" role="alert">
            <ErrorText error={error} />
          </div>
        ) : null}
        <div className="actions">
          <Button type="submit" busy={busy === 'save'} disabled={busy !== null}>
            Save rotation setting
          </Button>
          <Button variant="secondary" busy={busy === 'rotate'} disabled={busy !== null} onClick={() => void rotateNow()}>
            Rotate now
          </Button>
        </div>
      </form>
    </section>
  );
}

/** The settings' sub-tabs: one per forge, then the team's notifications. */
export function SettingsTabs() {
  const { team, plugins, providers } = useTeam();
  return (
    <nav aria-label="Settings" className="subtabs">
      {plugins.map((p) => (
        <NavLink key={p} to={`/teams/${team.slug}/settings/${p}`}>
          {providers.find((x) => x.name === p)?.display_name ?? providerLabel(p)}
        </NavLink>
      ))}
      <NavLink to={`/teams/${team.slug}/settings/notifications`}>Notifications</NavLink>
    </nav>
  );
}

export function TeamSettings() {
  const { provider } = useParams();
  const { team, isOwner, settings, settingsLoaded, settingsError, plugins, providers } = useTeam();
  const [lastSaved, setLastSaved] = useState<ProviderSettings | null>(null);
  // Until the settings are read, "no token yet" would be a guess, and the forms would open empty.
  if (!settingsLoaded) {
    return settingsError ? (
      <ErrorBox error={settingsError} title="The team's settings could not be read." />
    ) : (
      <Progress>Loading the settings…</Progress>
    );
  }
  if (!provider) {
    const first = plugins[0];
    if (!first) return <Progress>Loading providers…</Progress>;
    return <Navigate to={`/teams/${team.slug}/settings/${first}`} replace />;
  }
  // The credential the routes without a name act on; the others are listed under Credentials.
  const current = settings.find((s) => s.provider === provider && (s.name ?? 'default') === 'default');
  const others = settings.filter((s) => s.provider === provider && (s.name ?? 'default') !== 'default');
  // The answer of a save carries what only the check knows (role, what the token is bound to).
  const shown = lastSaved && lastSaved.provider === provider ? { ...current, ...lastSaved } : current;
  const forge = providers.find((p) => p.name === provider)?.display_name ?? providerLabel(provider);
  return (
    <section>
      <h1>Settings</h1>
      <SettingsTabs />
      <h2>{forge}</h2>
      {shown ? (
        <Findings s={shown} />
      ) : others.length > 0 ? (
        <p>This team has no {forge} credential named “default”; its other credentials are listed below.</p>
      ) : (
        <p>This team has no {forge} token yet: projects cannot be linked to {forge} repositories.</p>
      )}
      {isOwner ? (
        <>
          <ProviderForm key={provider} provider={provider} current={current} onSaved={setLastSaved} />
          {current && <RotationForm key={`${provider}-rotation`} provider={provider} current={current} onSaved={setLastSaved} />}
        </>
      ) : (
        <Notice tone="info">Only team owners can change these settings. You can see them as a member.</Notice>
      )}
      <Credentials key={`${provider}-credentials`} provider={provider} forge={forge} />
    </section>
  );
}
