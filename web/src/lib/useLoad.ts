// Loads something when the page (or one of deps) changes; aborts the request of a page left.
import { useCallback, useEffect, useRef, useState } from 'react';

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const loader = useRef(load);
  loader.current = load;
  const controller = useRef<AbortController | null>(null);

  const run = useCallback(async (quiet: boolean) => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    if (!quiet) setLoading(true);
    try {
      const value = await loader.current(c.signal);
      if (!c.signal.aborted) {
        setData(value);
        setError(null);
      }
    } catch (e) {
      if (!c.signal.aborted) setError(e);
    } finally {
      if (!c.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setData(null);
    void run(false);
    return () => controller.current?.abort();
  }, deps);

  const reload = useCallback(() => run(true), [run]);
  return { data, error, loading, reload, setData };
}
