import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ApiError } from '../api/http';

export interface ApiData<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

const sameDeps = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * A number that changes when `deps` change (each compared with Object.is, as React compares an
 * effect's dependencies): the caller's list becomes one dependency an effect can name.
 */
function useDepsVersion(deps: readonly unknown[]): number {
  const [seen, setSeen] = useState({ deps, version: 0 });
  if (!sameDeps(seen.deps, deps)) {
    // Adjusting state while rendering (React's pattern for "information from previous renders").
    const next = { deps, version: seen.version + 1 };
    setSeen(next);
    return next.version;
  }
  return seen.version;
}

/** Runs `load` whenever `deps` change; the last answer wins, earlier ones are dropped. */
export function useApiData<T>(load: () => Promise<T>, deps: unknown[]): ApiData<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const version = useDepsVersion(deps);
  // The latest `load` (a new closure every render): run when `deps` or `reload` say so, not on each render.
  const latestLoad = useRef(load);
  useLayoutEffect(() => {
    latestLoad.current = load;
  });
  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    latestLoad.current().then(
      (d) => {
        if (!current) return;
        setData(d);
        setLoading(false);
      },
      (e: ApiError) => {
        if (!current) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [version, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}
