import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { api, ApiError, enc } from '../lib/api';
import type { Build, Delivery, Project, Warning } from '../lib/types';
import { buildStateLabel, describeDelivery, providerLabel, relativeTime, shortSha } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { Button, ErrorBox, Notice, Progress, useFocusAfter } from '../components/ui';
import { RepositoryChooser, type Choice } from '../components/RepositoryChooser';
import { PermissionReportView, usePermissionReport } from '../components/RepoPicker';
import { useTeam } from './TeamLayout';

const PAGE = 20;
const REFRESH_MS = 3000;

function DeliveryRow({ d }: { d: Delivery }) {
  const view = describeDelivery(d);
  const what =
    d.kind === 'status'
      ? `Commit status${d.context ? ` “${d.context}”` : ''}${d.sha ? ` on ${shortSha(d.sha)}` : ''}`
      : `Merge request comment${d.merge_request ? ` on !${d.merge_request}` : ''}`;
  return (
    <li className={`delivery delivery-${view.tone}`}>
      <span className={`badge badge-${view.tone}`}>{view.label}</span> <span>{what}</span>
      {view.detail && <span className="muted"> · {view.detail}</span>}
      {d.target_url && (
        <>
          {' '}
          <a href={d.target_url}>status link</a>
        </>
      )}
      {d.comment_url && !(d.comments && d.comments.length > 1) && (
        <>
          {' '}
          <a href={d.comment_url}>open comment</a>
        </>
      )}
      {d.comments && d.comments.length > 1 && (
        <span>
          {' '}
          {d.comments.map((c) =>
            c.comment_url ? (
              <a key={c.comment_id} href={c.comment_url} className="comment-link">
                comment on !{c.merge_request}
              </a>
            ) : null,
          )}
        </span>
      )}
    </li>
  );
}

function BuildRow({ projectId, build, tick }: { projectId: number; build: Build; tick: number }) {
  const detail = useLoad(
    (signal) =>
      api.get<{ build: Build; deliveries: Delivery[] }>(`/api/v1/projects/${projectId}/builds/${build.id}`, undefined, signal),
    [projectId, build.id, build.version],
  );
  const pending = detail.data?.deliveries.some((d) => d.state === 'pending' || d.state === 'in_flight');
  useEffect(() => {
    if (pending) void detail.reload();
  }, [tick]);
  const b = detail.data?.build ?? build;
  return (
    <li className="build card">
      <div className="build-head">
        <strong>#{b.id}</strong> <span className={`badge state-${b.state}`}>{buildStateLabel(b.state)}</span>{' '}
        <code>{shortSha(b.commit_sha)}</code> on <span>{b.branch}</span>
        {b.merge_request && <span> · merge request !{b.merge_request}</span>}
        {b.created_at && <span className="muted"> · {relativeTime(b.created_at)}</span>}
        {b.url && (
          <>
            {' '}
            · <a href={b.url}>build page</a>
          </>
        )}
      </div>
      {detail.loading && <Progress>Loading deliveries…</Progress>}
      <ErrorBox error={detail.error} />
      {detail.data && detail.data.deliveries.length === 0 && <p className="muted small">No feedback to deliver.</p>}
      {detail.data && detail.data.deliveries.length > 0 && (
        <ul className="deliveries" aria-label={`Deliveries of build ${b.id}`}>
          {detail.data.deliveries.map((d) => (
            <DeliveryRow key={d.id} d={d} />
          ))}
        </ul>
      )}
    </li>
  );
}

function Builds({ projectId }: { projectId: number }) {
  const [builds, setBuilds] = useState<Build[]>([]);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  // Only the newest load may change the list: the periodic refresh, "Refresh" and "Load older
  // builds" overlap, and an answer started before a newer one must not overwrite it (a build
  // posted in between would vanish from the page until the next refresh).
  const latest = useRef(0);

  const load = async (before: number | null, replace: boolean, quiet = false) => {
    const seq = ++latest.current;
    if (!quiet) setLoading(true);
    try {
      const page = await api.get<{ items: Build[] }>(`/api/v1/projects/${projectId}/builds`, {
        limit: String(PAGE),
        before: before === null ? undefined : String(before),
      });
      if (seq !== latest.current) return;
      setBuilds((old) => (replace ? page.items : old.concat(page.items)));
      setMore(page.items.length === PAGE);
      setError(null);
    } catch (e) {
      if (seq === latest.current) setError(e);
    } finally {
      if (seq === latest.current) setLoading(false);
    }
  };
  // New builds appear without a click while only the newest page is shown.
  useEffect(() => {
    if (tick > 0 && tick % 2 === 0 && builds.length <= PAGE) void load(null, true, true);
  }, [tick]);
  useEffect(() => {
    void load(null, true);
    const timer = setInterval(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, [projectId]);

  return (
    <section aria-labelledby="builds-title">
      <div className="section-head">
        <h2 id="builds-title">Builds</h2>
        <Button variant="secondary" onClick={() => void load(null, true)} busy={loading}>
          Refresh
        </Button>
      </div>
      <ErrorBox error={error} />
      {!loading && builds.length === 0 && !error && <p>No builds yet. Your visual-testing service posts them through the API.</p>}
      <ol className="builds">
        {builds.map((b) => (
          <BuildRow key={b.id} projectId={projectId} build={b} tick={tick} />
        ))}
      </ol>
      {more && (
        <Button variant="secondary" busy={loading} onClick={() => void load(builds[builds.length - 1]?.id ?? null, false)}>
          Load older builds
        </Button>
      )}
    </section>
  );
}

function RepositorySettings({ project, onChange }: { project: Project; onChange: (p: Project) => void }) {
  const { team, isOwner, settings } = useTeam();
  const link = project.repository;
  const report = usePermissionReport(team.slug, link?.provider ?? null, link?.repository_id ?? null);
  const [connecting, setConnecting] = useState(false);
  const [choice, setChoice] = useState<Choice | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState(false);
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const [connected, setConnected] = useState<string | null>(null);
  // Keyboard focus follows what replaces the control just used (see useFocusAfter).
  const connectedFocus = useFocusAfter<HTMLDivElement>();
  const connectFocus = useFocusAfter<HTMLButtonElement>();
  const disconnectFocus = useFocusAfter<HTMLButtonElement>();

  const connect = async () => {
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      const result = await api.put<{ project: Project; warnings: Warning[] }>(`/api/v1/projects/${project.id}/repository`, {
        provider: choice.provider,
        repository: choice.repository.id,
      });
      setWarnings(result.warnings);
      setConnecting(false);
      setChoice(null);
      setConnected(result.project.repository?.full_path ?? choice.repository.full_path);
      connectedFocus.request();
      onChange(result.project);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const disconnect = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(`/api/v1/projects/${project.id}/repository`);
      setConfirm(false);
      setWarnings([]);
      setConnected(null);
      connectFocus.request();
      onChange({ ...project, repository: null });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="repo-title" className="card">
      <h2 id="repo-title">Git repository</h2>
      {connected && link && (
        <Notice tone="success" ref={connectedFocus.ref}>
          Connected to {connected}.
        </Notice>
      )}
      {warnings.map((w) => (
        <Notice key={w.code} tone="warning">
          {w.message}
        </Notice>
      ))}
      {link ? (
        <>
          <p>
            Linked to {providerLabel(link.provider)}{' '}
            {link.web_url ? <a href={link.web_url}>{link.full_path}</a> : <strong>{link.full_path}</strong>}. Statuses are
            posted as <code>{link.status_context}</code>
            {link.credential ? (
              <>
                {' '}
                with the team's credential <strong className="served-by">{link.credential}</strong>
              </>
            ) : null}
            .
          </p>
          {report.loading && <Progress>Checking what the token may do on {link.full_path}…</Progress>}
          <ErrorBox error={report.error} title="The permission report could not be read." />
          {report.report && <PermissionReportView report={report.report} />}
          {isOwner &&
            (confirm ? (
              <span className="confirm" role="group" aria-label="Confirm disconnection">
                <span>Disconnect {link.full_path}? Builds stop reporting to it.</span>
                <Button variant="danger" busy={busy} onClick={() => void disconnect()}>
                  Yes, disconnect
                </Button>
                {/* The safe choice has the focus: Enter twice does not disconnect. */}
                <Button
                  variant="secondary"
                  autoFocus
                  onClick={() => {
                    setConfirm(false);
                    disconnectFocus.request();
                  }}
                >
                  Cancel
                </Button>
              </span>
            ) : (
              <Button ref={disconnectFocus.ref} variant="danger" onClick={() => setConfirm(true)}>
                Disconnect
              </Button>
            ))}
        </>
      ) : (
        <>
          <p>Not linked: builds of this project report nowhere.</p>
          {isOwner && !connecting && (
            <Button ref={connectFocus.ref} onClick={() => setConnecting(true)}>
              Connect Git repository
            </Button>
          )}
          {isOwner && connecting && (
            <>
              <RepositoryChooser team={team.slug} settings={settings} onChoice={setChoice} focusFirst />
              <div className="actions">
                <Button
                  busy={busy}
                  disabled={!choice || (choice.report ? !choice.report.post_status.allowed : false)}
                  onClick={() => void connect()}
                >
                  {choice ? `Connect ${choice.repository.full_path}` : 'Connect'}
                </Button>
                <Button
                  variant="secondary"
                  onClick={() => {
                    setConnecting(false);
                    connectFocus.request();
                  }}
                >
                  Cancel
                </Button>
              </div>
            </>
          )}
        </>
      )}
      <ErrorBox error={error} />
      {!isOwner && <p className="muted">Only team owners can connect or disconnect the repository.</p>}
    </section>
  );
}

export function ProjectPage() {
  const { project: idText = '' } = useParams();
  const { team } = useTeam();
  const location = useLocation();
  const created = (location.state as { created?: boolean; warnings?: Warning[] } | null) ?? null;
  const id = Number(idText);
  const project = useLoad((signal) => api.get<{ project: Project }>(`/api/v1/projects/${enc(idText)}`, undefined, signal), [idText]);

  if (project.loading) return <Progress>Loading the project…</Progress>;
  const notFound =
    (project.error instanceof ApiError && project.error.status === 404) ||
    (project.data && project.data.project.team_id !== team.id);
  if (notFound || !Number.isInteger(id)) {
    return (
      <section>
        <h1>Project not found</h1>
        <p>
          This team has no project {idText}. <Link to={`/teams/${team.slug}`}>The team's projects</Link>
        </p>
      </section>
    );
  }
  if (project.error) return <ErrorBox error={project.error} />;
  if (!project.data) return null;
  const p = project.data.project;
  return (
    <section>
      <p className="crumbs">
        <Link to={`/teams/${team.slug}`}>Projects</Link> / {p.slug}
      </p>
      <h1>{p.name}</h1>
      {created?.created && <Notice tone="success">Project created{p.repository ? ` and linked to ${p.repository.full_path}` : ''}.</Notice>}
      {created?.warnings?.map((w) => (
        <Notice key={w.code} tone="warning">
          {w.message}
        </Notice>
      ))}
      <RepositorySettings project={p} onChange={(np) => project.setData({ project: np })} />
      <Builds projectId={p.id} />
    </section>
  );
}
