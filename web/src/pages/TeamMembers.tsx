import { useState, type FormEvent } from 'react';
import { api, ApiError, enc } from '../lib/api';
import type { Member, Role } from '../lib/types';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session';
import { Button, ErrorBox, Field, Progress, SelectField } from '../components/ui';
import { useTeam } from './TeamLayout';

export function TeamMembers() {
  const { team, isOwner } = useTeam();
  const { session } = useSession();
  const members = useLoad(
    (signal) => api.get<{ items: Member[] }>(`/api/v1/teams/${enc(team.slug)}/members`, undefined, signal),
    [team.slug],
  );
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [rowError, setRowError] = useState<{ id: number; error: unknown } | null>(null);
  // A role chosen in a row's select is applied by its "Save role" button, not on change: with the
  // keyboard, arrowing through a select changes its value, which must not change a person's role.
  const [drafts, setDrafts] = useState<Record<number, Role>>({});

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('add');
    setError(null);
    try {
      await api.post(`/api/v1/teams/${enc(team.slug)}/members`, { user_id: Number(userId), role });
      setUserId('');
      await members.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const change = async (m: Member, action: 'role' | 'remove', newRole?: Role) => {
    setBusy(`${action}-${m.user_id}`);
    setRowError(null);
    try {
      if (action === 'role') await api.patch(`/api/v1/teams/${enc(team.slug)}/members/${m.user_id}`, { role: newRole });
      else await api.del(`/api/v1/teams/${enc(team.slug)}/members/${m.user_id}`);
      await members.reload();
      setDrafts(({ [m.user_id]: _done, ...rest }) => rest);
    } catch (err) {
      setRowError({ id: m.user_id, error: err });
    } finally {
      setBusy(null);
    }
  };
  const userIdError =
    error instanceof ApiError && (error.field === 'user_id' || error.status === 404 || error.status === 409 || error.status === 422)
      ? error.message
      : undefined;

  return (
    <section>
      <h1>Members</h1>
      <p className="muted">Owners change the team's settings, members and projects; members see them.</p>
      {members.loading && <Progress>Loading members…</Progress>}
      <ErrorBox error={members.error} />
      {members.data && (
        <ul className="list">
          {members.data.items.map((m) => (
            <li key={m.user_id} className="list-row">
              <span className="list-title">{m.name || m.username}</span>
              <span className="muted">
                {m.username} · id {m.user_id}
                {session?.user?.id === m.user_id ? ' · you' : ''}
              </span>
              {isOwner ? (
                <span className="row-actions">
                  <SelectField
                    label={`Role of ${m.username}`}
                    value={drafts[m.user_id] ?? m.role}
                    disabled={busy !== null}
                    onChange={(e) => setDrafts((d) => ({ ...d, [m.user_id]: e.target.value as Role }))}
                  >
                    <option value="owner">owner</option>
                    <option value="member">member</option>
                  </SelectField>
                  {drafts[m.user_id] && drafts[m.user_id] !== m.role && (
                    <Button busy={busy === `role-${m.user_id}`} onClick={() => void change(m, 'role', drafts[m.user_id])}>
                      Save role
                    </Button>
                  )}
                  <Button variant="secondary" busy={busy === `remove-${m.user_id}`} onClick={() => void change(m, 'remove')}>
                    Remove
                  </Button>
                </span>
              ) : (
                <span className={`badge badge-${m.role}`}>{m.role}</span>
              )}
              {rowError?.id === m.user_id && (
                <div className="row-error">
                  <ErrorBox error={rowError.error} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {isOwner && (
        <form className="card" onSubmit={add} aria-labelledby="add-member-title">
          <h2 id="add-member-title">Add a member</h2>
          <Field
            label="User id"
            inputMode="numeric"
            pattern="[0-9]+"
            required
            value={userId}
            onChange={(e) => setUserId(e.target.value.trim())}
            hint="The person signs in once, then finds their user id on their account page."
            error={userIdError}
          />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="member">member (read-only)</option>
            <option value="owner">owner</option>
          </SelectField>
          {!userIdError && <ErrorBox error={error} />}
          <Button type="submit" busy={busy === 'add'} disabled={!/^[0-9]+$/.test(userId)}>
            Add member
          </Button>
        </form>
      )}
    </section>
  );
}
