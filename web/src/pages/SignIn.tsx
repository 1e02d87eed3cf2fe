import { Navigate, useSearchParams } from 'react-router';
import { api, buildUrl } from '../lib/api';
import type { LoginProvider } from '../lib/types';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session';
import { ErrorBox, Progress } from '../components/ui';

/** Only a path on this host may follow a login (the host checks it too). */
export function safeRedirect(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

export function SignIn() {
  const { session, loading } = useSession();
  const [params] = useSearchParams();
  const redirect = safeRedirect(params.get('redirect'));
  const providers = useLoad(
    (signal) => api.get<{ items: LoginProvider[] }>('/api/v1/auth/providers', undefined, signal),
    [],
  );

  if (!loading && session) return <Navigate to={redirect} replace />;

  return (
    <section className="signin card narrow">
      <h1>Sign in to Forgelink</h1>
      <p className="lead">Connect your visual tests to the Git forge where your code lives.</p>
      {providers.loading && <Progress>Loading sign-in options…</Progress>}
      <ErrorBox error={providers.error} title="The sign-in options could not be loaded." />
      {providers.data && providers.data.items.length === 0 && (
        <p>
          No forge login is configured on this host. An administrator enables one with
          <code> providers.gitlab.oauth</code> (or <code>providers.github.oauth</code>) in the configuration.
        </p>
      )}
      <ul className="signin-buttons">
        {providers.data?.items.map((p) => (
          <li key={p.name}>
            <a className={`btn btn-primary btn-block provider-${p.name}`} href={buildUrl(p.login_url, { redirect })}>
              Continue with {p.display_name}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
