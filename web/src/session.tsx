// The signed-in person (GET /api/v1/session), shared by every page; keeps the CSRF token current.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken } from './lib/api';
import type { Session } from './lib/types';

interface SessionState {
  session: Session | null;
  loading: boolean;
  error: unknown;
  /** True after "Sign out" in this page: the pages left lead to a plain sign-in page. */
  signedOut: boolean;
  reload: () => Promise<Session | null>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [signedOut, setSignedOut] = useState(false);

  const reload = useCallback(async () => {
    try {
      const s = await api.get<Session>('/api/v1/session');
      setCsrfToken(s.csrf_token);
      setSession(s);
      setSignedOut(false);
      setError(null);
      return s;
    } catch (e) {
      setCsrfToken(null);
      setSession(null);
      if (!(e instanceof ApiError && e.status === 401)) setError(e);
      return null;
    } finally {
      setLoading(false);
    }
  }, []);

  const signOut = useCallback(async () => {
    await api.post('/auth/logout');
    setCsrfToken(null);
    setSignedOut(true);
    setSession(null);
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <SessionContext.Provider value={{ session, loading, error, signedOut, reload, signOut }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
