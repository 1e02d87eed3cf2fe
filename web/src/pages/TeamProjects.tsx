import { Link } from 'react-router';
import { api, enc } from '../lib/api';
import type { Project } from '../lib/types';
import { providerLabel } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { ErrorBox, Progress } from '../components/ui';
import { useTeam } from './TeamLayout';

export function TeamProjects() {
  const { team, isOwner } = useTeam();
  const projects = useLoad(
    (signal) => api.get<{ items: Project[] }>(`/api/v1/teams/${enc(team.slug)}/projects`, undefined, signal),
    [team.slug],
  );
  return (
    <section>
      <div className="section-head">
        <h1>Projects</h1>
        {isOwner && (
          <Link className="btn btn-primary" to={`/teams/${team.slug}/projects/new`}>
            Create a new project
          </Link>
        )}
      </div>
      {projects.loading && <Progress>Loading projects…</Progress>}
      <ErrorBox error={projects.error} />
      {projects.data && projects.data.items.length === 0 && (
        <p>No projects yet.{isOwner ? ' Create one from a repository.' : ''}</p>
      )}
      {projects.data && projects.data.items.length > 0 && (
        <ul className="list" aria-label="Projects">
          {projects.data.items.map((p) => (
            <li key={p.id} className="list-row">
              <Link to={`/teams/${team.slug}/projects/${p.id}`} className="list-title">
                {p.name}
              </Link>
              {p.repository ? (
                <span>
                  <span className="badge badge-ok">linked</span> {providerLabel(p.repository.provider)} ·{' '}
                  {p.repository.full_path}
                </span>
              ) : (
                <span className="muted">no repository</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
