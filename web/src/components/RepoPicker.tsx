// Picking a namespace, then a repository, from what the team's token reaches on a forge.
// Listings load page by page as the list is scrolled (every page is reachable), the search is
// debounced and cancels stale requests, and the repository list is virtualized: a group of
// 20,000 repositories renders a few dozen rows at a time.
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { api, ApiError, enc } from '../lib/api';
import type { Namespace, Page, PermissionReport, Repository } from '../lib/types';
import { canReportTo, providerLabel } from '../lib/format';
import { useDebounced, usePagedList } from '../lib/pagedList';
import { nextActive, scrollToShow, virtualWindow } from '../lib/virtual';
import { Button, ErrorBox, Progress } from './ui';

const SEARCH_DEBOUNCE_MS = 300;

function SearchBox({
  label,
  value,
  onChange,
  id,
  autoFocus,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  id: string;
  autoFocus?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="search" autoComplete="off" autoFocus={autoFocus} value={value} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

function LoadedCount({ count, total, done, noun, nouns }: { count: number; total: number | null; done: boolean; noun: string; nouns: string }) {
  const n = (k: number) => `${k.toLocaleString('en')} ${k === 1 ? noun : nouns}`;
  if (total !== null && total !== undefined) return <>{`${count.toLocaleString('en')} of ${n(total)} loaded`}</>;
  return <>{done ? n(count) : `${n(count)} loaded, more to come`}</>;
}

export function NamespacePicker({
  team,
  provider,
  value,
  onChange,
  autoFocus,
}: {
  team: string;
  provider: string;
  value: Namespace | null;
  onChange: (ns: Namespace) => void;
  /** Shown because the person chose the forge: the focus goes to the search. */
  autoFocus?: boolean;
}) {
  const id = useId();
  const [search, setSearch] = useState('');
  const query = useDebounced(search.trim(), SEARCH_DEBOUNCE_MS);
  const fetchPage = useCallback(
    (q: string, cursor: string | null, signal: AbortSignal) =>
      api.get<Page<Namespace>>(
        `/api/v1/teams/${enc(team)}/providers/${enc(provider)}/namespaces`,
        { search: q, cursor },
        signal,
      ),
    [team, provider],
  );
  const list = usePagedList(fetchPage, query, `${team}/${provider}`);
  return (
    <fieldset className="picker">
      <legend>Namespace on {providerLabel(provider)}</legend>
      <SearchBox id={`${id}-search`} label="Search namespaces" value={search} onChange={setSearch} autoFocus={autoFocus} />
      {list.error ? (
        <div>
          <ErrorBox error={list.error} />
          <Button variant="secondary" onClick={list.retry}>
            Try again
          </Button>
        </div>
      ) : null}
      {list.items.length > 0 && (
      <div className="radio-list" role="radiogroup" aria-label="Namespaces">
        {list.items.map((ns) => (
          <label key={ns.id} className={value?.id === ns.id ? 'radio-row selected' : 'radio-row'}>
            <input
              type="radio"
              name={`${id}-ns`}
              checked={value?.id === ns.id}
              onChange={() => onChange(ns)}
            />
            <span className="list-title">{ns.full_path}</span>
            <span className="muted">{ns.kind}</span>
          </label>
        ))}
      </div>
      )}
      {list.loading && <Progress>Loading namespaces…</Progress>}
      {!list.loading && !list.error && list.items.length === 0 && (
        <p>{query ? `No namespace matches “${query}”.` : 'The token sees no namespace.'}</p>
      )}
      <p className="muted small" aria-live="polite">
        <LoadedCount count={list.items.length} total={list.total} done={list.done} noun="namespace" nouns="namespaces" />
      </p>
      {!list.done && !list.loading && !list.error && list.items.length > 0 && (
        <Button variant="secondary" onClick={list.loadMore}>
          Load more namespaces
        </Button>
      )}
    </fieldset>
  );
}

const ROW_HEIGHT = 52;
const VIEWPORT_HEIGHT = 364;

export function RepositoryPicker({
  team,
  provider,
  namespace,
  value,
  onChange,
}: {
  team: string;
  provider: string;
  namespace: string;
  value: Repository | null;
  onChange: (repo: Repository) => void;
}) {
  const id = useId();
  const [search, setSearch] = useState('');
  const query = useDebounced(search.trim(), SEARCH_DEBOUNCE_MS);
  const fetchPage = useCallback(
    (q: string, cursor: string | null, signal: AbortSignal) =>
      api.get<Page<Repository>>(
        `/api/v1/teams/${enc(team)}/providers/${enc(provider)}/repositories`,
        // min_role=read: repositories the token cannot report to are listed too, shown disabled.
        { namespace, search: q, cursor, min_role: 'read' },
        signal,
      ),
    [team, provider, namespace],
  );
  const list = usePagedList(fetchPage, query, `${team}/${provider}/${namespace}`);
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(-1);
  const viewport = useRef<HTMLDivElement>(null);
  const win = virtualWindow(list.items.length, ROW_HEIGHT, scrollTop, VIEWPORT_HEIGHT);

  // A new listing starts at the top.
  useEffect(() => {
    setActive(-1);
    setScrollTop(0);
    if (viewport.current) viewport.current.scrollTop = 0;
  }, [query, namespace, provider]);

  // Near the end of what is loaded: fetch the next page. Also when a page brought nothing: a forge
  // without server-side search (GitHub's organization listings) is filtered page by page, so the
  // first match of a search may be several pages in.
  useEffect(() => {
    if (!list.done && !list.loading && !list.error && win.end >= list.items.length - 10) {
      list.loadMore();
    }
  }, [win.end, list.items.length, list.done, list.loading, list.error, list.loadMore]);

  const reasons = usePermissionReasons(team, provider, list.items, win.start, win.end);

  const move = (index: number) => {
    setActive(index);
    const el = viewport.current;
    if (el) {
      const top = scrollToShow(index, ROW_HEIGHT, el.scrollTop, el.clientHeight || VIEWPORT_HEIGHT);
      el.scrollTop = top;
      setScrollTop(top);
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const next = nextActive(e.key, active, list.items.length, Math.floor(VIEWPORT_HEIGHT / ROW_HEIGHT));
    if (next !== null) {
      e.preventDefault();
      move(next);
      return;
    }
    if ((e.key === 'Enter' || e.key === ' ') && active >= 0) {
      e.preventDefault();
      const repo = list.items[active];
      if (repo && canReportTo(repo.role)) onChange(repo);
    }
  };

  const optionId = (i: number) => `${id}-opt-${i}`;
  const activeRepo = active >= 0 ? list.items[active] : undefined;
  return (
    <fieldset className="picker">
      <legend>Repository{namespace ? ` in ${namespace}` : ''}</legend>
      <SearchBox id={`${id}-search`} label="Search repositories" value={search} onChange={setSearch} />
      <p className="muted small" id={`${id}-help`}>
        Use the arrow keys, Page Up / Page Down, Home and End to move, Enter to choose. Greyed-out repositories are ones the
        team's token cannot post statuses to.
      </p>
      {list.error ? (
        <div>
          <ErrorBox error={list.error} />
          <Button variant="secondary" onClick={list.retry}>
            Try again
          </Button>
        </div>
      ) : null}
      <div
        ref={viewport}
        className="vlist"
        role="listbox"
        tabIndex={0}
        aria-label="Repositories"
        aria-describedby={`${id}-help`}
        aria-activedescendant={active >= 0 && active >= win.start && active < win.end ? optionId(active) : undefined}
        aria-busy={list.loading}
        onKeyDown={onKeyDown}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        // Shorter when a search leaves only a few repositories.
        style={{ height: Math.min(VIEWPORT_HEIGHT, Math.max(2, list.items.length) * ROW_HEIGHT + 2) }}
      >
        <div style={{ height: win.totalHeight }} className="vlist-spacer">
          <div className="vlist-window" style={{ transform: `translateY(${win.offsetTop}px)` }}>
            {list.items.slice(win.start, win.end).map((repo, k) => {
              const i = win.start + k;
              const enabled = canReportTo(repo.role);
              const selected = value?.id === repo.id;
              return (
                <div
                  key={repo.id}
                  id={optionId(i)}
                  role="option"
                  aria-selected={selected}
                  aria-disabled={!enabled}
                  className={['vrow', enabled ? '' : 'disabled', selected ? 'selected' : '', i === active ? 'active' : ''].join(' ')}
                  onClick={() => {
                    setActive(i);
                    if (enabled) onChange(repo);
                  }}
                >
                  <span className="vrow-title">
                    {repo.full_path}
                    {repo.archived && <span className="badge">archived</span>}
                  </span>
                  <span className="vrow-detail" title={enabled ? undefined : reasons.get(repo.id)}>
                    {enabled
                      ? `${repo.role_label || repo.role || ''}${repo.visibility ? ` · ${repo.visibility}` : ''}`
                      : (reasons.get(repo.id) ?? `Role ${repo.role_label || repo.role}: checking what it may do…`)}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {list.loading && (
        <Progress>
          {list.items.length === 0 ? 'Loading repositories…' : `Loading more repositories (page ${list.pages + 1})…`}
        </Progress>
      )}
      {!list.loading && !list.error && list.done && list.items.length === 0 && (
        <p>{query ? `No repository matches “${query}”.` : 'The token sees no repository here.'}</p>
      )}
      {activeRepo && (
        <p className="active-detail small" aria-live="polite">
          <strong>{activeRepo.full_path}</strong>:{' '}
          {canReportTo(activeRepo.role)
            ? `${activeRepo.role_label || activeRepo.role || 'role unknown'}; press Enter to choose it.`
            : `cannot be chosen: ${reasons.get(activeRepo.id) ?? `role ${activeRepo.role_label || activeRepo.role}`}`}
        </p>
      )}
      <p className="muted small repo-count" aria-live="polite">
        <LoadedCount count={list.items.length} total={list.total} done={list.done} noun="repository" nouns="repositories" />
      </p>
      {!list.done && !list.loading && !list.error && list.items.length > 0 && (
        <Button variant="secondary" onClick={list.loadMore}>
          Load more repositories
        </Button>
      )}
    </fieldset>
  );
}

/**
 * The permission report's reason for the visible repositories the token cannot report to,
 * fetched once each when they scroll into view (a few at a time, after scrolling settles).
 */
function usePermissionReasons(team: string, provider: string, items: Repository[], start: number, end: number) {
  const cache = useRef(new Map<string, string>());
  const inFlight = useRef(new Set<string>());
  const [, setVersion] = useState(0);
  useEffect(() => {
    cache.current = new Map();
    inFlight.current = new Set();
  }, [team, provider]);
  useEffect(() => {
    const wanted = items
      .slice(start, end)
      .filter((r) => !canReportTo(r.role) && !cache.current.has(r.id) && !inFlight.current.has(r.id))
      .slice(0, 12);
    if (wanted.length === 0) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      for (const repo of wanted) {
        inFlight.current.add(repo.id);
        api
          .get<PermissionReport>(
            `/api/v1/teams/${enc(team)}/providers/${enc(provider)}/repositories/${enc(repo.id)}/permissions`,
            undefined,
            controller.signal,
          )
          .then(
            (report) => {
              cache.current.set(repo.id, report.post_status.allowed ? report.post_status.reason : report.post_status.reason);
              setVersion((v) => v + 1);
            },
            (error: unknown) => {
              if (controller.signal.aborted) return;
              cache.current.set(repo.id, error instanceof ApiError ? error.message : 'the permission report failed');
              setVersion((v) => v + 1);
            },
          )
          .finally(() => inFlight.current.delete(repo.id));
      }
    }, 150);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [team, provider, items, start, end]);
  return cache.current;
}

/** The permission report of one repository: can post statuses / can comment, and why not. */
export function PermissionReportView({ report }: { report: PermissionReport }) {
  return (
    <dl className="facts permission-report">
      <dt>Commit statuses</dt>
      <dd>
        <span className={report.post_status.allowed ? 'badge badge-ok' : 'badge badge-bad'}>
          {report.post_status.allowed ? 'can post' : 'cannot post'}
        </span>{' '}
        {report.post_status.reason}
      </dd>
      <dt>Merge request comments</dt>
      <dd>
        <span className={report.comment.allowed ? 'badge badge-ok' : 'badge badge-bad'}>
          {report.comment.allowed ? 'can comment' : 'cannot comment'}
        </span>{' '}
        {report.comment.reason}
      </dd>
      {report.credential !== undefined && (
        <>
          <dt>Served by</dt>
          <dd>
            {report.credential ? (
              <>
                credential <strong>{report.credential}</strong>
                {describeServing(report)}
              </>
            ) : (
              <span className="muted">no credential of the team can post commit statuses here</span>
            )}
          </dd>
        </>
      )}
    </dl>
  );
}

/** " (group token of group acme/a)" for the serving credential, from the report's verdicts. */
function describeServing(report: PermissionReport): string {
  const verdict = report.credentials?.find((c) => c.credential === report.credential);
  return verdict?.description ? ` (${verdict.description})` : '';
}

export function usePermissionReport(team: string, provider: string | null, repositoryId: string | null) {
  const [report, setReport] = useState<PermissionReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    setReport(null);
    setError(null);
    if (!provider || !repositoryId) return;
    const controller = new AbortController();
    setLoading(true);
    api
      .get<PermissionReport>(
        `/api/v1/teams/${enc(team)}/providers/${enc(provider)}/repositories/${enc(repositoryId)}/permissions`,
        undefined,
        controller.signal,
      )
      .then(
        (r) => setReport(r),
        (e: unknown) => {
          if (!controller.signal.aborted) setError(e);
        },
      )
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [team, provider, repositoryId]);
  return { report, error, loading };
}
