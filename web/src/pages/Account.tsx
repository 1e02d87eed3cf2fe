import { useState } from 'react';
import { api, buildUrl } from '../lib/api';
import type { LoginProvider } from '../lib/types';
import { providerLabel } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session';
import { Button, ErrorBox, Notice, Progress, useFocusAfter } from '../components/ui';

export function Account() {
  const { session, reload } = useSession();
  const providers = useLoad(
    (signal) => api.get<{ items: LoginProvider[] }>('/api/v1/auth/providers', undefined, signal),
    [],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [unlinked, setUnlinked] = useState<string | null>(null);
  // The unlinked row (and its button) goes away: the focus moves to the message saying so.
  const unlinkedFocus = useFocusAfter<HTMLDivElement>();
  const user = session?.user;

  if (!user) {
    return (
      <section>
        <h1>Account</h1>
        <p>You are using an admin token: there is no person behind it, so nothing to link.</p>
      </section>
    );
  }
  const identities = user.identities ?? [{ provider: user.provider, instance: user.instance, username: user.username, name: user.name }];
  const linked = new Set(identities.map((i) => i.provider));
  const unlink = async (provider: string) => {
    setBusy(provider);
    setError(null);
    try {
      await api.del(`/api/v1/session/identities/${encodeURIComponent(provider)}`);
      await reload();
      setUnlinked(provider);
      unlinkedFocus.request();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section>
      <h1>Your account</h1>
      <dl className="facts card">
        <dt>Name</dt>
        <dd>{user.name || user.username}</dd>
        <dt>User id</dt>
        <dd>
          <code>{user.id}</code> <span className="muted">(a team owner adds you to a team with this id)</span>
        </dd>
      </dl>
      <h2>Linked forge accounts</h2>
      {unlinked && (
        <Notice tone="info" ref={unlinkedFocus.ref}>
          Your {providerLabel(unlinked)} account is no longer linked.
        </Notice>
      )}
      <p className="muted">Sign in with any of them: they all lead to this same Forgelink account.</p>
      <ul className="list">
        {identities.map((i) => (
          <li key={i.provider} className="list-row">
            <span className="list-title">{i.display_name ?? providerLabel(i.provider)}</span>
            <span>
              {i.username}
              {i.instance && <span className="muted"> on {i.instance}</span>}
            </span>
            {identities.length > 1 && user.identities && (
              <Button variant="secondary" busy={busy === i.provider} onClick={() => void unlink(i.provider)}>
                Unlink {i.display_name ?? providerLabel(i.provider)}
              </Button>
            )}
          </li>
        ))}
      </ul>
      <ErrorBox error={error} />
      {providers.loading && <Progress>Loading forges…</Progress>}
      {providers.data && (
        <div className="actions">
          {providers.data.items
            .filter((p) => !linked.has(p.name))
            .map((p) => (
              <a key={p.name} className="btn btn-secondary" href={buildUrl(p.login_url, { link: '1', redirect: '/account' })}>
                Link a {p.display_name} account
              </a>
            ))}
        </div>
      )}
    </section>
  );
}
