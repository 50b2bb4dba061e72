/**
 * The web client's HTTP door (apps/web/src/api/http.ts) against a small real HTTP server that
 * behaves like the platform's auth: access tokens that go stale, refresh tokens that rotate.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { ApiClient, ApiError, MemorySessionStore } from '../../apps/web/src/api/http';

describe('web ApiClient: tokens, one refresh on 401, the platform error shape', () => {
  let server: Server;
  let url: string;
  let valid = new Set<string>();
  let refreshTokens = new Set<string>();
  let refreshCalls = 0;
  let seq = 0;

  const issue = () => {
    const pair = { accessToken: `a${++seq}`, refreshToken: `r${seq}`, expiresIn: 900 };
    valid.add(pair.accessToken);
    refreshTokens.add(pair.refreshToken);
    return pair;
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        if (req.url === '/api/auth/login') {
          const { password } = JSON.parse(body);
          return password === 'right'
            ? json(200, issue())
            : json(401, { statusCode: 401, error: 'Unauthorized', message: '用户名或密码错误' });
        }
        if (req.url === '/api/auth/refresh') {
          refreshCalls++;
          const { refreshToken } = JSON.parse(body);
          if (!refreshTokens.delete(refreshToken))
            return json(401, {
              statusCode: 401,
              error: 'Unauthorized',
              message: 'refresh token not valid',
            });
          return setTimeout(() => json(200, issue()), 30); // slow enough for concurrent callers to overlap
        }
        if (!token || !valid.has(token))
          return json(401, {
            statusCode: 401,
            error: 'Unauthorized',
            message: 'access token expired',
          });
        if (req.url?.startsWith('/api/patients?'))
          return json(200, { items: [], total: 0, limit: 20, offset: 0, query: req.url });
        if (req.url === '/api/patients')
          return json(400, {
            statusCode: 400,
            error: 'Bad Request',
            message: 'birthDate must be a date YYYY-MM-DD',
            details: { fields: [{ field: 'birthDate' }] },
          });
        return json(404, { statusCode: 404, error: 'Not Found', message: `Cannot GET ${req.url}` });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function client() {
    const ended: string[] = [];
    const c = new ApiClient({
      baseUrl: url,
      store: new MemorySessionStore(),
      onSessionEnded: (r) => ended.push(r),
    });
    return { c, ended };
  }

  it('signs in, sends the Bearer token, drops empty query values', async () => {
    const { c } = client();
    await c.login('demo-township', 'right');
    const page = await c.get<{ query: string }>('/api/patients', {
      q: '王',
      limit: 20,
      offset: undefined,
      x: '',
    });
    expect(page.query).toBe(`/api/patients?q=${encodeURIComponent('王')}&limit=20`);
  });

  it('shows the server’s message for a failed sign-in and a rejected body', async () => {
    const { c } = client();
    await expect(c.login('demo-township', 'wrong')).rejects.toMatchObject({
      status: 401,
      message: '用户名或密码错误',
    });
    await c.login('demo-township', 'right');
    const err = (await c.post('/api/patients', { birthDate: 'x' }).catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 400,
      error: 'Bad Request',
      message: 'birthDate must be a date YYYY-MM-DD',
      details: { fields: [{ field: 'birthDate' }] },
    });
  });

  it('refreshes once when the access token is refused, shared by concurrent calls, and retries', async () => {
    const { c, ended } = client();
    await c.login('demo-township', 'right');
    const first = c.session!;
    valid = new Set(); // every access token now refused, as after expiry
    refreshCalls = 0;
    const results = await Promise.all([
      c.get('/api/patients', { q: 'a' }),
      c.get('/api/patients', { q: 'b' }),
      c.get('/api/patients', { q: 'c' }),
    ]);
    expect(results).toHaveLength(3);
    expect(refreshCalls).toBe(1);
    expect(c.session!.refreshToken).not.toBe(first.refreshToken);
    expect(ended).toEqual([]);
  });

  it('ends the session when the refresh is refused, without looping', async () => {
    const { c, ended } = client();
    await c.login('demo-township', 'right');
    valid = new Set();
    refreshTokens = new Set(); // the refresh token was revoked
    refreshCalls = 0;
    await expect(c.get('/api/patients', { q: 'a' })).rejects.toMatchObject({
      status: 401,
      message: 'access token expired',
    });
    expect(refreshCalls).toBe(1);
    expect(c.session).toBeNull();
    expect(ended).toEqual(['expired']);
  });

  it('reports an unreachable server as a network error (status 0)', async () => {
    const c = new ApiClient({ baseUrl: 'http://127.0.0.1:9', store: new MemorySessionStore() });
    await expect(c.login('x', 'y')).rejects.toMatchObject({ status: 0, isNetwork: true });
  });
});
