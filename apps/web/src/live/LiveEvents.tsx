/**
 * Live updates from socket.io namespace /events (auth: {token}). The namespace arrives with the
 * consultations API: until then the server answers "Invalid namespace" (or has no socket.io at
 * all) and the client settles on "unavailable" instead of retrying forever. socket.io-client is
 * its own chunk, fetched once the shell has rendered, not part of the first page's JavaScript.
 */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { Socket } from 'socket.io-client';
import { api } from '../api/client';

export type LiveStatus = 'connecting' | 'connected' | 'unavailable';

interface Live {
  status: LiveStatus;
  socket: Socket | null;
}

const LiveContext = createContext<Live>({ status: 'unavailable', socket: null });

const MAX_ATTEMPTS = 5;

export function LiveEventsProvider({
  children,
  enabled,
}: {
  children: ReactNode;
  enabled: boolean;
}) {
  const [live, setLive] = useState<Live>({ status: 'connecting', socket: null });

  useEffect(() => {
    if (!enabled) return;
    let close: (() => void) | null = null;
    let unmounted = false;
    void import('socket.io-client').then(({ io }) => {
      if (!unmounted) close = connect(io, setLive);
    });
    return () => {
      unmounted = true;
      close?.();
    };
  }, [enabled]);

  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

/** Opens /events and reports its state; answers the function that closes it. */
function connect(
  io: typeof import('socket.io-client').io,
  setLive: (live: Live) => void,
): () => void {
  let refreshedForAuth = false;
  const socket = io('/events', {
    path: '/socket.io',
    auth: (cb) => {
      void api.freshAccessToken().then((token) => cb({ token }));
    },
    reconnectionAttempts: MAX_ATTEMPTS,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
    timeout: 10_000,
  });
  setLive({ status: 'connecting', socket });
  socket.on('connect', () => {
    refreshedForAuth = false;
    setLive({ status: 'connected', socket });
  });
  socket.on('disconnect', () =>
    setLive({ status: socket.active ? 'connecting' : 'unavailable', socket }),
  );
  socket.on('connect_error', (err: Error & { data?: { statusCode?: number } }) => {
    if (/invalid namespace/i.test(err.message)) {
      socket.disconnect();
      setLive({ status: 'unavailable', socket });
      return;
    }
    const authProblem =
      err.data?.statusCode === 401 || /unauthori[sz]ed|jwt|token/i.test(err.message);
    if (authProblem && !refreshedForAuth) {
      refreshedForAuth = true;
      void api
        .refresh()
        .then((ok) => (ok ? socket.connect() : setLive({ status: 'unavailable', socket })));
      return;
    }
    setLive({ status: socket.active ? 'connecting' : 'unavailable', socket });
  });
  socket.io.on('reconnect_failed', () => setLive({ status: 'unavailable', socket }));
  const offSession = api.onSessionChange((session) => {
    if (!session) socket.disconnect();
  });
  return () => {
    offSession();
    socket.removeAllListeners();
    socket.io.removeAllListeners();
    socket.disconnect();
  };
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/** Calls `handler` for each `event` pushed on /events while the component is mounted. */
export function useLiveEvent<T = unknown>(event: string, handler: (payload: T) => void) {
  const { socket } = useContext(LiveContext);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!socket) return;
    const listener = (payload: T) => ref.current(payload);
    socket.on(event, listener);
    return () => {
      socket.off(event, listener);
    };
  }, [socket, event]);
}
