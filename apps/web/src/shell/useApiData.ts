import { useCallback, useEffect, useState } from 'react';
import type { ApiError } from '../api/http';

export interface ApiData<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` whenever `deps` change; the last answer wins, earlier ones are dropped. */
export function useApiData<T>(load: () => Promise<T>, deps: unknown[]): ApiData<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    load().then(
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
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}
