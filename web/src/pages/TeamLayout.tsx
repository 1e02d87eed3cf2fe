import { useEffect } from 'react';
import { NavLink, Outlet, useLocation, useOutletContext, useParams } from 'react-router';
import { api, ApiError, enc } from '../lib/api';
import type { ProviderInfo, ProviderSettings, Team } from '../lib/types';
import { bannerMessage, providerLabel, sentence, tokenHealth } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session';
import { ErrorBox, Progress } from '../components/ui';
import { Link } from 'react-router';

export interface TeamContext {
  team: Team;
  isOwner: boolean;
  settings: ProviderSettings[];
  /** The team's provider settings were read once (until then `settings` is empty, not "none"). */
  settingsLoaded: boolean;
  settingsError: unknown;
  plugins: string[];
  providers: ProviderInfo[];
  reloadSettings: () => Promise<void>;
}

export function useTeam(): TeamContext {
  return useOutletContext<TeamContext>();
}

export function TeamLayout() {
  const { team: slug = '' } = useParams();
  const { session } = useSession();
  const team = useLoad((signal) => api.get<{ team: Team }>(`/api/v1/teams/${enc(slug)}`, undefined, signal), [slug]);
  const settings = useLoad(
    (signal) => api.get<{ items: ProviderSettings[] }>(`/api/v1/teams/${enc(slug)}/providers`, undefined, signal),
    [slug],
  );
  // The loaded providers with their default base URL; a host without GET /api/v1/providers
  // still names its plugins in /healthz.
  const providers = useLoad(async (signal) => {
    try {
      return (await api.get<{ items: ProviderInfo[] }>('/api/v1/providers', undefined, signal)).items;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      const health = await api.get<{ plugins: string[] }>('/healthz', undefined, signal);
      return health.plugins.map((name) => ({ name, display_name: providerLabel(name), default_base_url: null }));
    }
  }, []);
  // The banner follows the token's state on every page of the team: read it again on each page.
  const { pathname } = useLocation();
  const reloadSettings = settings.reload;
  useEffect(() => {
    void reloadSettings();
  }, [pathname, reloadSettings]);

  if (team.loading) return <Progress>Loading the team…</Progress>;
  if (team.error) {
    if (team.error instanceof ApiError && team.error.status === 404) {
      return (
        <section>
          <h1>Team not found</h1>
          <p>
            There is no team “{slug}”, or you are not one of its members. <Link to="/">Your teams</Link>
          </p>
        </section>
      );
    }
    return <ErrorBox error={team.error} title="The team could not be loaded." />;
  }
  if (!team.data) return null;
  const t = team.data.team;
  const role = t.role ?? session?.teams.find((x) => x.id === t.id)?.role;
  const isOwner = !!session?.admin || role === 'owner';
  const items = settings.data?.items ?? [];
  const banners = items
    .map((s) => ({
      provider: s.provider,
      key: `${s.provider}/${s.name ?? 'default'}`,
      text: bannerMessage(s),
      level: tokenHealth(s).level,
      fix: s.health?.fix ?? null,
    }))
    .filter((b) => b.text);
  const context: TeamContext = {
    team: t,
    isOwner,
    settings: items,
    settingsLoaded: settings.data !== null,
    settingsError: settings.error,
    plugins: providers.data?.map((p) => p.name) ?? [...new Set(items.map((s) => s.provider))],
    providers: providers.data ?? [],
    reloadSettings: settings.reload,
  };

  return (
    <div className="team">
      <div className="team-head">
        <p className="team-name">
          <Link to={`/teams/${t.slug}`}>{t.name}</Link>
          {role && <span className={`badge badge-${role}`}>{role}</span>}
        </p>
        <nav aria-label="Team" className="tabs">
          <NavLink end to={`/teams/${t.slug}`}>
            Projects
          </NavLink>
          <NavLink to={`/teams/${t.slug}/settings`}>Settings</NavLink>
          <NavLink to={`/teams/${t.slug}/members`}>Members</NavLink>
          <NavLink to={`/teams/${t.slug}/tokens`}>API tokens</NavLink>
          <NavLink to={`/teams/${t.slug}/audit`}>Audit log</NavLink>
        </nav>
      </div>
      {banners.map((b) => (
        <div
          key={b.key}
          className={`alert banner ${b.level === 'expiring' ? 'alert-warning' : 'alert-error'}`}
          role="alert"
        >
          <p>{b.text}</p>
          {b.fix && (
            <p>
              {b.fix.url ? (
                <a href={b.fix.url} target="_blank" rel="noreferrer noopener">
                  {sentence(b.fix.message)}
                </a>
              ) : (
                sentence(b.fix.message)
              )}
            </p>
          )}
          {isOwner ? (
            <Link to={`/teams/${t.slug}/settings/${b.provider}`}>Open {providerLabel(b.provider)} settings</Link>
          ) : (
            <p className="muted">Ask a team owner to replace it.</p>
          )}
        </div>
      ))}
      <Outlet context={context} />
    </div>
  );
}
