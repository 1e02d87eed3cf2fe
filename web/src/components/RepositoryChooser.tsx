// "Continue with GitLab / GitHub" → namespace → repository → its permission report. Shared by
// project creation and "Connect Git repository" in a project's settings.
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import type { Namespace, PermissionReport, ProviderSettings, Repository } from '../lib/types';
import { providerLabel } from '../lib/format';
import { Button, ErrorBox, Progress } from './ui';
import { NamespacePicker, PermissionReportView, RepositoryPicker, usePermissionReport } from './RepoPicker';

export interface Choice {
  provider: string;
  repository: Repository;
  report: PermissionReport | null;
}

export function RepositoryChooser({
  team,
  settings,
  onChoice,
  focusFirst = false,
}: {
  team: string;
  settings: ProviderSettings[];
  onChoice: (choice: Choice | null) => void;
  /** Opened by a button the person used: the focus starts on the first forge's button. */
  focusFirst?: boolean;
}) {
  const [provider, setProvider] = useState<string | null>(null);
  const [namespace, setNamespace] = useState<Namespace | null>(null);
  const [repository, setRepository] = useState<Repository | null>(null);
  const [backToForges, setBackToForges] = useState(false);
  const permission = usePermissionReport(team, provider, repository?.id ?? null);

  const chooseRepository = (repo: Repository) => {
    setRepository(repo);
    onChoice(provider ? { provider, repository: repo, report: null } : null);
  };
  // The report, once it arrives, travels with the choice.
  const report = permission.report;
  useEffect(() => {
    if (provider && repository && report) onChoice({ provider, repository, report });
  }, [report]);

  if (settings.length === 0) {
    return (
      <p>
        This team has no forge token yet. <Link to={`/teams/${team}/settings`}>Connect GitLab or GitHub in Settings</Link>{' '}
        first.
      </p>
    );
  }
  if (!provider) {
    return (
      <div className="actions">
        {/* One button per forge, however many credentials the team holds for it. */}
        {[...new Set(settings.map((s) => s.provider))].map((name, i) => (
          <Button key={name} variant="secondary" autoFocus={(focusFirst || backToForges) && i === 0} onClick={() => setProvider(name)}>
            Continue with {providerLabel(name)}
          </Button>
        ))}
      </div>
    );
  }
  return (
    <div className="chooser">
      <p>
        Using the team's {providerLabel(provider)} credentials.{' '}
        <Button
          variant="secondary"
          onClick={() => {
            setProvider(null);
            setNamespace(null);
            setRepository(null);
            setBackToForges(true);
            onChoice(null);
          }}
        >
          Choose another forge
        </Button>
      </p>
      <ol className="steps">
        <li>
          <NamespacePicker
            autoFocus
            team={team}
            provider={provider}
            value={namespace}
            onChange={(ns) => {
              setNamespace(ns);
              setRepository(null);
              onChoice(null);
            }}
          />
        </li>
        {namespace && (
          <li>
            <RepositoryPicker
              team={team}
              provider={provider}
              namespace={namespace.full_path}
              value={repository}
              onChange={chooseRepository}
            />
          </li>
        )}
      </ol>
      {repository && (
        <section className="card" aria-labelledby="chosen-title">
          <h2 id="chosen-title">{repository.full_path}</h2>
          {permission.loading && <Progress>Checking what the token may do on {repository.full_path}…</Progress>}
          <ErrorBox error={permission.error} title="The permission report could not be read." />
          {permission.report && <PermissionReportView report={permission.report} />}
        </section>
      )}
    </div>
  );
}
