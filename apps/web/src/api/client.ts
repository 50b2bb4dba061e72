import { ApiClient, type SessionStore, type StoredSession } from './http';

const KEY = 'huizhen.session';

/** Tokens survive a reload in this tab's localStorage; logout clears them. */
class BrowserSessionStore implements SessionStore {
  load(): StoredSession | null {
    try {
      const raw = localStorage.getItem(KEY);
      return raw ? (JSON.parse(raw) as StoredSession) : null;
    } catch {
      return null;
    }
  }
  save(session: StoredSession | null) {
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
  }
}

export const api = new ApiClient({ store: new BrowserSessionStore() });
