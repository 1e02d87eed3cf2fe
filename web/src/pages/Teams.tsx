import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, ApiError } from '../lib/api';
import type { Team } from '../lib/types';
import { slugify } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session';
import { Button, ErrorBox, Field, Progress } from '../components/ui';

export function Teams() {
  const { session, reload } = useSession();
  const navigate = useNavigate();
  const teams = useLoad((signal) => api.get<{ items: Team[] }>('/api/v1/teams', undefined, signal), []);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const canCreate = session?.can_create_teams !== false;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.post<{ team: Team }>('/api/v1/teams', { slug: slug || slugify(name), name: name || undefined });
      await reload();
      navigate(`/teams/${created.team.slug}/settings`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (field: string) =>
    error instanceof ApiError && (error.field === field || (field === 'slug' && error.status === 409)) ? error.message : undefined;
  const generalError = error instanceof ApiError && ((error.field && ['slug', 'name'].includes(error.field)) || error.status === 409) ? null : error;

  return (
    <section>
      <h1>Your teams</h1>
      {teams.loading && <Progress>Loading teams…</Progress>}
      <ErrorBox error={teams.error} />
      {teams.data && teams.data.items.length === 0 && <p>You are not in any team yet.{canCreate && ' Create one below.'}</p>}
      {teams.data && teams.data.items.length > 0 && (
        <ul className="list">
          {teams.data.items.map((t) => (
            <li key={t.id} className="list-row">
              <Link to={`/teams/${t.slug}`} className="list-title">
                {t.name}
              </Link>
              <span className="muted">{t.slug}</span>
              {t.role && <span className={`badge badge-${t.role}`}>{t.role}</span>}
            </li>
          ))}
        </ul>
      )}
      {canCreate && (
        <form className="card" onSubmit={submit} aria-labelledby="create-team-title">
          <h2 id="create-team-title">Create a team</h2>
          <Field
            label="Team name"
            value={name}
            required
            maxLength={200}
            onChange={(e) => {
              setName(e.target.value);
              if (!slugEdited) setSlug(slugify(e.target.value));
            }}
            error={fieldError('name')}
          />
          <Field
            label="Slug"
            value={slug}
            required
            pattern="[a-z0-9][a-z0-9\-]{0,62}"
            hint="Lower-case letters, digits and dashes; used in addresses."
            onChange={(e) => {
              setSlug(e.target.value);
              setSlugEdited(true);
            }}
            error={fieldError('slug')}
          />
          <ErrorBox error={generalError} />
          <Button type="submit" busy={busy}>
            {busy ? 'Creating…' : 'Create team'}
          </Button>
        </form>
      )}
    </section>
  );
}
