// A team's scoped API tokens: owners make them (the secret is shown once, here), see when each
// was last used, and revoke them. Members are told who can.
import { useState, type FormEvent } from 'react';
import { api, ApiError, enc } from '../lib/api';
import type { ApiToken, ApiTokenRole, Project } from '../lib/types';
import { relativeTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { Button, ErrorBox, Field, Notice, Progress, SelectField, useFocusAfter } from '../components/ui';
import { useTeam } from './TeamLayout';

function TokenRows({ tokens, projects, onRevoke, busy }: {
  tokens: ApiToken[];
  projects: Project[];
  onRevoke: (t: ApiToken) => void;
  busy: number | null;
}) {
  const [confirm, setConfirm] = useState<number | null>(null);
  if (!tokens.length) return <p className="muted">No API tokens yet.</p>;
  const projectName = (id: number) => projects.find((p) => p.id === id)?.name ?? `project ${id}`;
  return (
    <ul className="list" aria-label="API tokens">
      {tokens.map((t) => (
        <li key={t.id} className="list-row">
          <span className="list-title">{t.name}</span>
          <span className="muted">
            <span className={`badge badge-${t.role === 'admin' ? 'owner' : 'member'}`}>{t.role}</span>{' '}
            {t.project_id ? `only ${projectName(t.project_id)}` : 'whole team'} · <code>{t.hint}</code> · made by{' '}
            {t.created_by} <time dateTime={t.created_at}>{relativeTime(t.created_at)}</time> ·{' '}
            {t.last_used_at ? (
              <>
                last used <time dateTime={t.last_used_at}>{relativeTime(t.last_used_at)}</time>
              </>
            ) : (
              'never used'
            )}
            {t.expires_at && (
              <>
                {' '}
                · expires <time dateTime={t.expires_at}>{relativeTime(t.expires_at)}</time>
              </>
            )}
          </span>
          <span className="row-actions">
            {confirm === t.id ? (
              <span className="confirm" role="group" aria-label={`Confirm revoking ${t.name}`}>
                <span>Revoke {t.name}? It stops working at once.</span>
                <Button variant="danger" busy={busy === t.id} onClick={() => onRevoke(t)}>
                  Yes, revoke
                </Button>
                <Button variant="secondary" autoFocus onClick={() => setConfirm(null)}>
                  Cancel
                </Button>
              </span>
            ) : (
              <Button variant="secondary" aria-label={`Revoke ${t.name}`} onClick={() => setConfirm(t.id)}>
                Revoke
              </Button>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function TeamTokens() {
  const { team, isOwner } = useTeam();
  const base = `/api/v1/teams/${enc(team.slug)}`;
  const tokens = useLoad(
    (signal) =>
      isOwner ? api.get<{ items: ApiToken[] }>(`${base}/tokens`, undefined, signal) : Promise.resolve({ items: [] }),
    [team.slug, isOwner],
  );
  const projects = useLoad((signal) => api.get<{ items: Project[] }>(`${base}/projects`, undefined, signal), [team.slug]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<ApiTokenRole>('reporter');
  const [project, setProject] = useState('');
  const [days, setDays] = useState('');
  const [busy, setBusy] = useState<string | number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ token: ApiToken; secret: string } | null>(null);
  const createdFocus = useFocusAfter<HTMLDivElement>();

  if (!isOwner)
    return (
      <section>
        <h1>API tokens</h1>
        <Notice tone="info">Only team owners can see and manage the team's API tokens.</Notice>
      </section>
    );

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('create');
    setError(null);
    setCreated(null);
    try {
      const body: Record<string, unknown> = { name: name.trim(), role };
      if (project) body.project_id = Number(project);
      if (days) body.expires_in_days = Number(days);
      const result = await api.post<{ token: ApiToken; secret: string }>(`${base}/tokens`, body);
      setCreated(result);
      setName('');
      setDays('');
      createdFocus.request();
      await tokens.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const revoke = async (t: ApiToken) => {
    setBusy(t.id);
    setError(null);
    try {
      await api.del(`${base}/tokens/${t.id}`);
      if (created?.token.id === t.id) setCreated(null);
      await tokens.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const nameError = error instanceof ApiError && (error.field === 'name' || error.status === 409) ? error.message : undefined;

  return (
    <section>
      <h1>API tokens</h1>
      <p className="muted">
        A token lets a service act for this team without an admin token: a <strong>reporter</strong> records and reads
        builds (what a visual-testing service needs); an <strong>admin</strong> also changes the team's settings.
        Send it as <code>Authorization: Bearer flt_…</code>.
      </p>
      {created && (
        <Notice tone="success" ref={createdFocus.ref}>
          <strong>Token {created.token.name} was made. Copy it now: it is shown only this once.</strong>
          <Field label="New token" readOnly value={created.secret} onFocus={(e) => e.target.select()} spellCheck={false} />
        </Notice>
      )}
      {tokens.loading && <Progress>Loading tokens…</Progress>}
      <ErrorBox error={tokens.error} />
      {tokens.data && (
        <TokenRows
          tokens={tokens.data.items}
          projects={projects.data?.items ?? []}
          onRevoke={(t) => void revoke(t)}
          busy={typeof busy === 'number' ? busy : null}
        />
      )}
      <form className="card" onSubmit={create} aria-labelledby="new-token-title" noValidate>
        <h2 id="new-token-title">Make a token</h2>
        <Field
          label="Token name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="Unique in the team: the service that will use it, such as visual-tests."
          error={nameError}
        />
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as ApiTokenRole)}>
          <option value="reporter">reporter (records builds)</option>
          <option value="admin">admin (also changes settings)</option>
        </SelectField>
        <SelectField label="Project" value={project} onChange={(e) => setProject(e.target.value)}>
          <option value="">every project of the team</option>
          {(projects.data?.items ?? []).map((p) => (
            <option key={p.id} value={String(p.id)}>
              only {p.name}
            </option>
          ))}
        </SelectField>
        <Field
          label="Expires after (days)"
          inputMode="numeric"
          pattern="[0-9]*"
          value={days}
          onChange={(e) => setDays(e.target.value.trim())}
          hint="Leave empty for a token that does not expire."
        />
        {!nameError && <ErrorBox error={error} />}
        <Button type="submit" busy={busy === 'create'} disabled={!name.trim() || (days !== '' && !/^[0-9]+$/.test(days))}>
          Make token
        </Button>
      </form>
    </section>
  );
}
