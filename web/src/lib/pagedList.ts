// Incremental, searchable loading of a paged API listing (namespaces, repositories): the search is
// debounced, a new search aborts the request of the old one, and answers that arrive for a query
// that is no longer current are dropped, so a slow page never overwrites a newer list.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { Page } from './types';

export interface PagedState<T> {
  query: string;
  items: T[];
  cursor: string | null;
  total: number | null;
  loading: boolean;
  done: boolean;
  error: Error | null;
  pages: number;
}

export type PagedAction<T> =
  | { type: 'reset'; query: string }
  | { type: 'loading'; query: string }
  | { type: 'page'; query: string; page: Page<T> }
  | { type: 'error'; query: string; error: Error };

export function initialPaged<T>(query = ''): PagedState<T> {
  return { query, items: [], cursor: null, total: null, loading: false, done: false, error: null, pages: 0 };
}

export function pagedReducer<T>(state: PagedState<T>, action: PagedAction<T>): PagedState<T> {
  if (action.type === 'reset') return { ...initialPaged<T>(action.query), loading: true };
  // Anything for another query than the current one is stale.
  if (action.query !== state.query) return state;
  switch (action.type) {
    case 'loading':
      return { ...state, loading: true, error: null };
    case 'page':
      return {
        ...state,
        items: state.items.concat(action.page.items),
        cursor: action.page.next_cursor,
        total: action.page.total ?? state.total,
        done: !action.page.next_cursor,
        loading: false,
        error: null,
        pages: state.pages + 1,
      };
    case 'error':
      return { ...state, loading: false, error: action.error };
  }
}

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export type PageFetcher<T> = (query: string, cursor: string | null, signal: AbortSignal) => Promise<Page<T>>;

/**
 * The listing for `query` (already debounced by the caller or not), with loadMore() for the next
 * page. `key` identifies the listing (e.g. the namespace): a new key starts over.
 */
export function usePagedList<T>(fetchPage: PageFetcher<T>, query: string, key: string, enabled = true) {
  const [state, dispatch] = useReducer(pagedReducer<T>, initialPaged<T>(query));
  const controller = useRef<AbortController | null>(null);
  const fetcher = useRef(fetchPage);
  fetcher.current = fetchPage;
  const token = `${key}\u0000${query}`;

  const run = useCallback((q: string, tok: string, cursor: string | null) => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    fetcher.current(q, cursor, c.signal).then(
      (page) => {
        if (!c.signal.aborted) dispatch({ type: 'page', query: tok, page });
      },
      (error: unknown) => {
        if (c.signal.aborted) return;
        dispatch({ type: 'error', query: tok, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
  }, []);

  useEffect(() => {
    if (!enabled) return;
    dispatch({ type: 'reset', query: token });
    run(query, token, null);
    return () => controller.current?.abort();
  }, [token, query, enabled, run]);

  const loadMore = useCallback(() => {
    if (state.loading || state.done || state.query !== token) return;
    dispatch({ type: 'loading', query: token });
    run(query, token, state.cursor);
  }, [state.loading, state.done, state.query, state.cursor, token, query, run]);

  const retry = useCallback(() => {
    if (state.pages === 0) {
      dispatch({ type: 'reset', query: token });
      run(query, token, null);
    } else {
      dispatch({ type: 'loading', query: token });
      run(query, token, state.cursor);
    }
  }, [state.pages, state.cursor, token, query, run]);

  return { ...state, stale: state.query !== token, loadMore, retry };
}
