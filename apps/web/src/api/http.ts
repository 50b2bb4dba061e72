/**
 * The one door from the browser to the platform's HTTP API: Bearer tokens, one refresh on 401,
 * and errors in the platform's shape ({statusCode, error, message, details?}) as ApiError.
 * Kept free of DOM APIs (storage is injected) so it runs under Node in tests as well.
 */
import {
  isErrorCode,
  type Credentials,
  type ErrorCode,
  type RefreshInput,
  type TokenPair,
} from '@huizhen/contract';

/** What logging in and refreshing answer: the contract's. */
export type { TokenPair } from '@huizhen/contract';

export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms after which the access token is no longer accepted. */
  accessExpiresAt: number;
}

export interface SessionStore {
  load(): StoredSession | null;
  save(session: StoredSession | null): void;
}

export class MemorySessionStore implements SessionStore {
  private value: StoredSession | null = null;
  load() {
    return this.value;
  }
  save(session: StoredSession | null) {
    this.value = session;
  }
}

/** A failed call. `status` 0 means the server was not reached at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isNetwork() {
    return this.status === 0;
  }

  /** The server's error code (`details.code`, one of the contract's ERROR_CODES), when it named one. */
  get code(): ErrorCode | undefined {
    const code = (this.details as { code?: unknown } | undefined)?.code;
    return isErrorCode(code) ? code : undefined;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** false: send no token and never refresh (login, refresh itself). */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  baseUrl?: string;
  store: SessionStore;
  fetch?: typeof fetch;
  /** Called once when the session can no longer be renewed (refresh refused, logout). */
  onSessionEnded?: (reason: 'expired' | 'logout') => void;
  now?: () => number;
}

export function queryString(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: any = null;
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const raw = body && typeof body === 'object' ? body.message : undefined;
  const message = Array.isArray(raw)
    ? raw.join('; ')
    : typeof raw === 'string' && raw
      ? raw
      : res.statusText || `HTTP ${res.status}`;
  const error = body && typeof body.error === 'string' ? body.error : res.statusText || 'Error';
  return new ApiError(res.status, error, message, body?.details);
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<(session: StoredSession | null) => void>();
  private readonly endedListeners = new Set<(reason: 'expired' | 'logout') => void>();

  constructor(private readonly opts: ApiClientOptions) {
    this.baseUrl = (opts.baseUrl ?? '').replace(/\/$/, '');
    this.fetchImpl = opts.fetch ?? ((...args) => globalThis.fetch(...args));
    this.now = opts.now ?? Date.now;
  }

  get session(): StoredSession | null {
    return this.opts.store.load();
  }

  /** Notified whenever tokens change (login, refresh, logout): the live socket reconnects with them. */
  onSessionChange(listener: (session: StoredSession | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Notified when the session ends: by logout, or because the server refused to renew it. */
  onSessionEnded(listener: (reason: 'expired' | 'logout') => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  private emitEnded(reason: 'expired' | 'logout') {
    this.opts.onSessionEnded?.(reason);
    for (const l of this.endedListeners) l(reason);
  }

  private setSession(session: StoredSession | null) {
    this.opts.store.save(session);
    for (const l of this.listeners) l(session);
  }

  private sessionFrom(pair: TokenPair): StoredSession {
    return {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      accessExpiresAt: this.now() + pair.expiresIn * 1000,
    };
  }

  async login(username: string, password: string): Promise<void> {
    const pair = await this.request<TokenPair>('POST', '/api/auth/login', {
      body: { username, password } satisfies Credentials,
      auth: false,
    });
    this.setSession(this.sessionFrom(pair));
  }

  async logout(): Promise<void> {
    const session = this.session;
    this.setSession(null);
    if (session) {
      try {
        await this.send(
          'POST',
          '/api/auth/logout',
          { body: { refreshToken: session.refreshToken } satisfies RefreshInput },
          session.accessToken,
        );
      } catch {
        // The tokens are gone from this browser either way; the server expires them.
      }
    }
    this.emitEnded('logout');
  }

  /**
   * An access token good for at least `marginMs` more, refreshing first if needed: for callers
   * that cannot retry on 401 themselves (image loader, socket handshake).
   */
  async freshAccessToken(marginMs = 30_000): Promise<string | null> {
    const session = this.session;
    if (!session) return null;
    if (session.accessExpiresAt - this.now() > marginMs) return session.accessToken;
    return (await this.refresh()) ? (this.session?.accessToken ?? null) : null;
  }

  /** Renews the tokens once; concurrent callers share the same attempt. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const session = this.session;
    if (!session) return false;
    let res: Response;
    try {
      res = await this.send(
        'POST',
        '/api/auth/refresh',
        { body: { refreshToken: session.refreshToken } satisfies RefreshInput },
        null,
      );
    } catch {
      return false; // network failure: keep the session, the next call may work
    }
    if (!res.ok) {
      if (res.status === 400 || res.status === 401 || res.status === 403) this.endSession();
      return false;
    }
    this.setSession(this.sessionFrom((await res.json()) as TokenPair));
    return true;
  }

  private endSession() {
    if (!this.session) return;
    this.setSession(null);
    this.emitEnded('expired');
  }

  private send(
    method: string,
    path: string,
    options: RequestOptions,
    token: string | null,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    return this.fetchImpl(`${this.baseUrl}${path}${queryString(options.query)}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth !== false;
    let token = auth ? (this.session?.accessToken ?? null) : null;
    if (auth && !token) throw new ApiError(401, 'Unauthorized', 'Not signed in');
    let res = await this.sendOrNetworkError(method, path, options, token);
    if (auth && res.status === 401) {
      const renewed =
        token === this.session?.accessToken ? await this.refresh() : this.session !== null;
      token = this.session?.accessToken ?? null;
      if (renewed && token) res = await this.sendOrNetworkError(method, path, options, token);
      if (res.status === 401) {
        const err = await errorFromResponse(res);
        this.endSession();
        throw err;
      }
    }
    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async sendOrNetworkError(
    method: string,
    path: string,
    options: RequestOptions,
    token: string | null,
  ): Promise<Response> {
    try {
      return await this.send(method, path, options, token);
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      throw new ApiError(0, 'NetworkError', (e as Error)?.message || 'Network error');
    }
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal) {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown) {
    return this.request<T>('POST', path, { body: body ?? {} });
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, { body });
  }
}
