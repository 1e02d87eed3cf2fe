import { useEffect, useRef } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useSession } from './session';
import { Button, ErrorBox, Progress } from './components/ui';
import { SignIn } from './pages/SignIn';
import { Teams } from './pages/Teams';
import { Account } from './pages/Account';
import { TeamLayout } from './pages/TeamLayout';
import { TeamProjects } from './pages/TeamProjects';
import { TeamSettings } from './pages/TeamSettings';
import { TeamNotifications } from './pages/TeamNotifications';
import { TeamMembers } from './pages/TeamMembers';
import { TeamTokens } from './pages/TeamTokens';
import { TeamAudit } from './pages/TeamAudit';
import { NewProject } from './pages/NewProject';
import { ProjectPage } from './pages/ProjectPage';

function Header() {
  const { session, signOut } = useSession();
  const navigate = useNavigate();
  const user = session?.user;
  return (
    <header className="topbar">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Link to="/" className="brand">
        Forgelink
      </Link>
      {session && (
        <nav aria-label="Main" className="topnav">
          <Link to="/">Teams</Link>
          <Link to="/account">{user ? user.name || user.username : 'Admin'}</Link>
          <Button
            variant="secondary"
            onClick={() => {
              void signOut().then(() => navigate('/signin', { replace: true }));
            }}
          >
            Sign out
          </Button>
        </nav>
      )}
    </header>
  );
}

/**
 * Moves focus to the page's heading on navigation, so keyboard and screen-reader users follow.
 * A page that loads its data first shows its heading later: the focus goes there when it appears,
 * unless the person has moved the focus somewhere meanwhile.
 */
function FocusOnNavigate() {
  const location = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const main = document.getElementById('main');
    const focusHeading = () => {
      const heading = main?.querySelector<HTMLElement>('h1');
      if (!heading) return false;
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: false });
      return true;
    };
    if (!main || focusHeading()) return;
    const focusedBefore = document.activeElement;
    const observer = new MutationObserver(() => {
      const active = document.activeElement;
      const moved = !!active && active !== focusedBefore && active !== document.body;
      if (moved || focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), 15000);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [location.pathname]);
  return null;
}

function RequireSession({ children }: { children: React.ReactNode }) {
  const { session, loading, error, signedOut } = useSession();
  const location = useLocation();
  if (loading) return <Progress>Loading…</Progress>;
  if (error) return <ErrorBox error={error} title="Forgelink could not load your session." />;
  if (!session) {
    // After "Sign out" the next sign-in starts afresh; otherwise it comes back to this page.
    const back = location.pathname + location.search;
    return <Navigate to={back === '/' || signedOut ? '/signin' : `/signin?redirect=${encodeURIComponent(back)}`} replace />;
  }
  return <>{children}</>;
}

export function App() {
  return (
    <>
      <Header />
      <FocusOnNavigate />
      <main id="main" className="page">
        <Routes>
          <Route path="/signin" element={<SignIn />} />
          <Route path="/" element={<RequireSession><Teams /></RequireSession>} />
          <Route path="/account" element={<RequireSession><Account /></RequireSession>} />
          <Route path="/teams/:team" element={<RequireSession><TeamLayout /></RequireSession>}>
            <Route index element={<TeamProjects />} />
            <Route path="settings" element={<TeamSettings />} />
            <Route path="settings/notifications" element={<TeamNotifications />} />
            <Route path="settings/:provider" element={<TeamSettings />} />
            <Route path="members" element={<TeamMembers />} />
            <Route path="tokens" element={<TeamTokens />} />
            <Route path="audit" element={<TeamAudit />} />
            <Route path="projects/new" element={<NewProject />} />
            <Route path="projects/:project" element={<ProjectPage />} />
          </Route>
          <Route
            path="*"
            element={
              <section>
                <h1>Page not found</h1>
                <p>
                  There is nothing at this address. <Link to="/">Go to your teams</Link>.
                </p>
              </section>
            }
          />
        </Routes>
      </main>
    </>
  );
}
