import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, environmentWithDotEnv, loadConfig, parseDotEnv } from './huizhen-config';

const made: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'huizhen-config-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATA_DIR: dataDir(), ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('configuration from the environment', () => {
  it('serves one machine with no settings at all: embedded database, generated secrets kept in DATA_DIR', () => {
    const dir = dataDir();
    const c = loadConfig({ DATA_DIR: dir });
    expect(c).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: null,
      databasePoolSize: 1,
      redisUrl: null,
      logLevel: 'info',
      seedDemoOnFirstStart: true,
      demoPassword: 'Huizhen-demo-1',
    });
    expect(c.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(c.dataEncryptionKey).toHaveLength(32);
    // The same secrets on the next start, so sessions and encrypted fields survive restarts.
    expect(loadConfig({ DATA_DIR: dir }).jwtSecret).toBe(c.jwtSecret);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')).jwtSecret).toBe(c.jwtSecret);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT="eighty" should be a whole number from 0 to 65535'],
    [{ PORT: '70000' }, 'PORT="70000" should be a whole number from 0 to 65535'],
    [
      { DATABASE_URL: 'mysql://x@y/z' },
      'DATABASE_URL="mysql://x@y/z" should be a URL starting with postgres:// or postgresql://',
    ],
    [
      { REDIS_URL: 'localhost:6379' },
      'REDIS_URL="localhost:6379" should be a URL starting with redis:// or rediss://',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL="loud" should be one of: fatal, error, warn, info, debug, trace',
    ],
    [
      { IMAGING_DUPLICATE_POLICY: 'overwrite' },
      'IMAGING_DUPLICATE_POLICY="overwrite" should be one of: keep-old, reject, replace',
    ],
    [
      { DATA_ENCRYPTION_KEY: 'c2hvcnQ=' },
      'DATA_ENCRYPTION_KEY should be 32 bytes encoded as base64 (44 characters)',
    ],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET should be at least 32 characters'],
    [{ SEED_DEMO: 'maybe' }, 'SEED_DEMO="maybe" should be true or false'],
    [
      { CORS_ORIGINS: 'example.org' },
      'CORS_ORIGINS entry "example.org" should look like https://host[:port]',
    ],
    [
      { DATABASE_SCHEMA: 'Robert; DROP' },
      'DATABASE_SCHEMA="Robert; DROP" should be a lower-case SQL identifier',
    ],
    [
      { CORS_ORIGINS: '*' },
      'CORS_ORIGINS="*" is no longer accepted: name each origin allowed to call this server (https://host[:port], comma-separated), or leave it unset for same-origin only',
    ],
    [
      { TRUSTED_PROXIES: '10.0.0.0/33' },
      'TRUSTED_PROXIES entry "10.0.0.0/33" should be an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal',
    ],
    [
      { TRUSTED_PROXIES: 'proxy.example' },
      'TRUSTED_PROXIES entry "proxy.example" should be an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal',
    ],
    [
      { HTTP_HEADERS_TIMEOUT_SECONDS: '0' },
      'HTTP_HEADERS_TIMEOUT_SECONDS="0" should be a whole number from 1 to 3600',
    ],
    [
      { HTTP_HEADERS_TIMEOUT_SECONDS: '60', HTTP_REQUEST_TIMEOUT_SECONDS: '30' },
      'HTTP_REQUEST_TIMEOUT_SECONDS (30) should be 0 (off) or at least HTTP_HEADERS_TIMEOUT_SECONDS (60)',
    ],
  ])('rejects %j naming the variable and what it should be', (env, message) => {
    expect(problems(env)).toEqual([message]);
  });

  it('trusts no proxy and no foreign origin unless told; cuts slow clients by default', () => {
    const c = loadConfig({ DATA_DIR: dataDir() });
    expect(c).toMatchObject({
      trustedProxies: [],
      corsOrigins: [],
      metricsToken: null,
      http: { headersTimeoutMs: 20_000, requestTimeoutMs: 3_600_000, idleTimeoutMs: 120_000 },
      sessionRevocationPollSeconds: 5,
    });
    const t = loadConfig({
      DATA_DIR: dataDir(),
      TRUSTED_PROXIES: '10.0.0.5, 172.16.0.0/12, ::1, 192.168.0.0/255.255.0.0, loopback',
      CORS_ORIGINS: 'https://a.example,http://b.example:8080',
    });
    expect(t.trustedProxies).toEqual([
      '10.0.0.5',
      '172.16.0.0/12',
      '::1',
      '192.168.0.0/255.255.0.0',
      'loopback',
    ]);
    expect(t.corsOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
  });

  it('lists every bad variable at once, and never echoes a password from a URL', () => {
    const p = problems({ PORT: 'x', DATABASE_URL: 'http://admin:s3cret@db/x', LOG_LEVEL: 'x' });
    expect(p).toHaveLength(3);
    expect(p.join('\n')).not.toContain('s3cret');
    expect(p.join('\n')).toContain('admin:***@');
  });

  it('demands real secrets in production', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'JWT_SECRET is required when NODE_ENV=production (at least 32 characters)',
      'DATA_ENCRYPTION_KEY is required when NODE_ENV=production (32 bytes, base64)',
    ]);
  });

  it('reads .env under the process environment', () => {
    const dir = dataDir();
    writeFileSync(
      join(dir, '.env'),
      '# comment\nPORT=4000\nexport LOG_LEVEL="debug"\nHOST=\'127.0.0.1\'\n',
    );
    const env = environmentWithDotEnv(dir, { PORT: '5000', DATA_DIR: dir });
    const c = loadConfig(env);
    expect(c).toMatchObject({ port: 5000, logLevel: 'debug', host: '127.0.0.1' });
    expect(parseDotEnv('A=1\nnot a line\nB = two words')).toEqual({ A: '1', B: 'two words' });
  });

  it('HTTPS beside HTTP on 3443 by default (off in tests), with a certificate from files or made here', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).tls).toEqual({
      httpsPort: 3443,
      certFile: null,
      keyFile: null,
    });
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'test' }).tls.httpsPort).toBe(0);
    const dir = dataDir();
    writeFileSync(join(dir, 'c.pem'), '');
    writeFileSync(join(dir, 'k.pem'), '');
    expect(
      loadConfig({
        DATA_DIR: dir,
        HTTPS_PORT: '8443',
        TLS_CERT_FILE: join(dir, 'c.pem'),
        TLS_KEY_FILE: join(dir, 'k.pem'),
      }).tls,
    ).toEqual({ httpsPort: 8443, certFile: join(dir, 'c.pem'), keyFile: join(dir, 'k.pem') });
    expect(problems({ TLS_CERT_FILE: join(dir, 'c.pem'), HTTPS_PORT: '3000' })).toEqual([
      expect.stringContaining('TLS_KEY_FILE is required with TLS_CERT_FILE'),
      expect.stringContaining('HTTPS_PORT (3000) should differ from PORT'),
    ]);
    expect(
      problems({
        TLS_CERT_FILE: join(dir, 'none.pem'),
        TLS_KEY_FILE: join(dir, 'k.pem'),
        HTTPS_PORT: 'x',
      }),
    ).toEqual([
      expect.stringContaining('HTTPS_PORT="x" should be a whole number'),
      expect.stringContaining(
        'TLS_CERT_FILE=' + JSON.stringify(join(dir, 'none.pem')) + ' names no file',
      ),
    ]);
  });
});
