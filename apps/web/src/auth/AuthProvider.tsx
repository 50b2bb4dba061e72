import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { authApi } from '../api/auth';
import { api } from '../api/client';
import type { ApiError } from '../api/http';
import type { Profile } from '../api/types';

type Status = 'loading' | 'signed-out' | 'signed-in' | 'error';

interface AuthState {
  status: Status;
  profile: Profile | null;
  /** Why the last session ended by itself (refresh refused), for the login page to say so. */
  endedReason: 'expired' | null;
  loadError: ApiError | null;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  reload: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>(api.session ? 'loading' : 'signed-out');
  const [profile, setProfile] = useState<Profile | null>(null);
  const [endedReason, setEndedReason] = useState<'expired' | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const offChange = api.onSessionChange((session) => {
      if (!session) {
        setProfile(null);
        setStatus('signed-out');
      }
    });
    const offEnded = api.onSessionEnded((reason) =>
      setEndedReason(reason === 'expired' ? 'expired' : null),
    );
    return () => {
      offChange();
      offEnded();
    };
  }, []);

  useEffect(() => {
    if (!api.session) return;
    let cancelled = false;
    setStatus('loading');
    authApi.me().then(
      (me) => {
        if (cancelled) return;
        setProfile(me);
        setStatus('signed-in');
      },
      (e: ApiError) => {
        if (cancelled) return;
        if (e.status === 401) setStatus('signed-out');
        else {
          setLoadError(e);
          setStatus('error');
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  const login = useCallback(async (username: string, password: string) => {
    await authApi.login(username, password);
    setEndedReason(null);
    setAttempt((n) => n + 1);
  }, []);

  const logout = useCallback(async () => {
    setEndedReason(null);
    await authApi.logout();
  }, []);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  const value = useMemo(
    () => ({ status, profile, endedReason, loadError, login, logout, reload }),
    [status, profile, endedReason, loadError, login, logout, reload],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
