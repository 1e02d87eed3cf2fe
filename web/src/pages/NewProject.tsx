import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, enc } from '../lib/api';
import type { Project, Warning } from '../lib/types';
import { providerLabel, slugify } from '../lib/format';
import { Button, ErrorBox, Field, Notice } from '../components/ui';
import { RepositoryChooser, type Choice } from '../components/RepositoryChooser';
import { useTeam } from './TeamLayout';

export function NewProject() {
  const { team, isOwner, settings } = useTeam();
  const navigate = useNavigate();
  const [choice, setChoice] = useState<Choice | null>(null);
  const [name, setName] = useState('');
  const [nameEdited, setNameEdited] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [warnings, setWarnings] = useState<Warning[]>([]);

  if (!isOwner) {
    return (
      <section>
        <h1>Create a new project</h1>
        <Notice tone="info">Only team owners can create projects.</Notice>
      </section>
    );
  }
  const effectiveName = nameEdited ? name : (choice?.repository.name ?? name);
  const blocked = choice?.report ? !choice.report.post_status.allowed : false;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { name: effectiveName, slug: slugify(effectiveName) || undefined };
      if (choice) body.repository = { provider: choice.provider, id: choice.repository.id };
      const created = await api.post<{ project: Project; warnings: Warning[] }>(
        `/api/v1/teams/${enc(team.slug)}/projects`,
        body,
      );
      setWarnings(created.warnings);
      navigate(`/teams/${team.slug}/projects/${created.project.id}`, {
        state: { created: true, warnings: created.warnings },
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const nameError =
    error instanceof ApiError && (error.field === 'name' || error.field === 'slug' || error.status === 409)
      ? error.message
      : undefined;

  return (
    <section>
      <h1>Create a new project</h1>
      <p className="lead">Pick the repository whose commits and merge requests get the project's feedback.</p>
      <RepositoryChooser team={team.slug} settings={settings} onChoice={setChoice} />
      <form className="card" onSubmit={submit} aria-labelledby="create-project-title">
        <h2 id="create-project-title">Project</h2>
        <Field
          label="Project name"
          required
          maxLength={200}
          value={effectiveName}
          onChange={(e) => {
            setName(e.target.value);
            setNameEdited(true);
          }}
          hint={choice ? `Linked to ${providerLabel(choice.provider)} ${choice.repository.full_path}.` : 'Not linked to a repository yet: you can connect one later.'}
          error={nameError}
        />
        {!nameError && <ErrorBox error={error} title="The project was not created." />}
        {warnings.map((w) => (
          <Notice key={w.code} tone="warning">
            {w.message}
          </Notice>
        ))}
        <Button type="submit" busy={busy} disabled={!effectiveName || blocked}>
          {busy ? 'Creating…' : choice ? `Create project from ${choice.repository.full_path}` : 'Create project'}
        </Button>
      </form>
    </section>
  );
}
