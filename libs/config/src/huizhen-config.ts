import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Every setting of the platform. Read once at start from the environment (and `.env`). */
export interface HuizhenConfig {
  nodeEnv: 'production' | 'development' | 'test';
  host: string;
  port: number;
  dataDir: string;
  /** Set: use this PostgreSQL. Unset: run the embedded PGlite server under dataDir. */
  databaseUrl: string | null;
  databaseSchema: string | null;
  databasePoolSize: number;
  embeddedDatabasePort: number;
  redisUrl: string | null;
  logLevel: LogLevel;
  corsOrigins: string[] | '*';
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Key for national-ID matching (HMAC) and encryption at rest (AES-256-GCM), 32 bytes. */
  dataEncryptionKey: Buffer;
  loginRateLimit: { attempts: number; windowSeconds: number };
  demoPassword: string;
  seedDemoOnFirstStart: boolean;
  mediaWorkers: number;
  /** When set, /metrics requires it as a Bearer token. */
  metricsToken: string | null;
  consultations: ConsultationSettings;
}

/** Consultation requests: how long each queue level may leave a request unclaimed, uploads, the report font. */
export interface ConsultationSettings {
  deadlineMinutes: { routine: number; urgent: number; emergency: number };
  /** How often each node sweeps expired queue deadlines; 0 = never (tests drive it). */
  sweepIntervalSeconds: number;
  attachmentMaxBytes: number;
  /** A CJK font collection for report PDFs, and the face inside it. */
  reportFontPath: string;
  reportFontFace: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Parses `.env` text: KEY=VALUE lines, # comments, optional single/double quotes. */
export function parseDotEnv(text: string): Env {
  const out: Env = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

/** The process environment over an optional `.env` in the working directory (env wins). */
export function environmentWithDotEnv(cwd = process.cwd(), env: Env = process.env): Env {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return env;
  return { ...parseDotEnv(readFileSync(file, 'utf8')), ...env };
}

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name}=${JSON.stringify(v)} should be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(v);
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    this.problems.push(`${name}=${JSON.stringify(v)} should be true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name}=${JSON.stringify(v)} should be one of: ${allowed.join(', ')}`);
      return fallback;
    }
    return v as T;
  }

  url(name: string, protocols: string[]): string | null {
    const v = this.raw(name);
    if (v === undefined) return null;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) throw new Error('protocol');
      return v;
    } catch {
      this.problems.push(
        `${name}=${JSON.stringify(redactUrl(v))} should be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`,
      );
      return null;
    }
  }
}

function redactUrl(v: string): string {
  return v.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * Secrets that a single machine may generate for itself: kept in DATA_DIR/secrets.json so
 * tokens and encrypted fields survive restarts. In production they come from the environment.
 */
function machineSecrets(dataDir: string): { jwtSecret: string; dataEncryptionKey: string } {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    dataEncryptionKey: randomBytes(32).toString('base64'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = environmentWithDotEnv()): HuizhenConfig {
  const r = new Reader(env);
  const nodeEnv = r.oneOf('NODE_ENV', ['production', 'development', 'test'] as const, 'development');
  const dataDirRaw = r.string('DATA_DIR', './data');
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw);
  const databaseUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const schema = r.raw('DATABASE_SCHEMA') ?? null;
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    r.problems.push(`DATABASE_SCHEMA=${JSON.stringify(schema)} should be a lower-case SQL identifier`);
  }
  const cors = r.string('CORS_ORIGINS', '*');
  const corsOrigins =
    cors === '*' ? '*' : cors.split(',').map((s) => s.trim()).filter(Boolean);
  if (corsOrigins !== '*') {
    for (const o of corsOrigins) {
      if (!/^https?:\/\/[^/]+$/.test(o)) r.problems.push(`CORS_ORIGINS entry ${JSON.stringify(o)} should look like https://host[:port]`);
    }
  }
  const production = nodeEnv === 'production';
  const jwtSecret = r.raw('JWT_SECRET');
  const keyText = r.raw('DATA_ENCRYPTION_KEY');
  if ((!jwtSecret || !keyText) && production) {
    if (!jwtSecret) r.problems.push('JWT_SECRET is required when NODE_ENV=production (at least 32 characters)');
    if (!keyText) r.problems.push('DATA_ENCRYPTION_KEY is required when NODE_ENV=production (32 bytes, base64)');
  }
  if (jwtSecret && jwtSecret.length < 32) {
    r.problems.push('JWT_SECRET should be at least 32 characters');
  }
  let dataEncryptionKey = Buffer.alloc(32);
  if (keyText !== undefined) {
    const key = Buffer.from(keyText, 'base64');
    if (key.length !== 32) r.problems.push('DATA_ENCRYPTION_KEY should be 32 bytes encoded as base64 (44 characters)');
    else dataEncryptionKey = key;
  }
  const config: HuizhenConfig = {
    nodeEnv,
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 3000, 0, 65535),
    dataDir,
    databaseUrl,
    databaseSchema: schema,
    databasePoolSize: r.int('DATABASE_POOL_SIZE', databaseUrl ? 10 : 1, 1, 200),
    embeddedDatabasePort: r.int('EMBEDDED_DATABASE_PORT', 0, 0, 65535),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, nodeEnv === 'test' ? 'warn' : 'info'),
    corsOrigins,
    jwtSecret: jwtSecret ?? '',
    accessTokenTtlSeconds: r.int('ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86400),
    refreshTokenTtlSeconds: r.int('REFRESH_TOKEN_TTL_SECONDS', 14 * 86400, 60, 365 * 86400),
    dataEncryptionKey,
    loginRateLimit: {
      attempts: r.int('LOGIN_RATE_LIMIT_ATTEMPTS', 10, 1, 10000),
      windowSeconds: r.int('LOGIN_RATE_LIMIT_WINDOW_SECONDS', 300, 1, 86400),
    },
    demoPassword: r.string('DEMO_PASSWORD', 'Huizhen-demo-1'),
    seedDemoOnFirstStart: r.bool('SEED_DEMO', !databaseUrl),
    mediaWorkers: r.int('MEDIA_WORKERS', 0, 0, 256),
    metricsToken: r.raw('METRICS_TOKEN') ?? null,
    consultations: {
      deadlineMinutes: {
        routine: r.int('CONSULT_DEADLINE_ROUTINE_MINUTES', 1440, 1, 30 * 1440),
        urgent: r.int('CONSULT_DEADLINE_URGENT_MINUTES', 120, 1, 30 * 1440),
        emergency: r.int('CONSULT_DEADLINE_EMERGENCY_MINUTES', 30, 1, 30 * 1440),
      },
      sweepIntervalSeconds: r.int('CONSULT_SWEEP_INTERVAL_SECONDS', 30, 0, 3600),
      attachmentMaxBytes: r.int('CONSULT_ATTACHMENT_MAX_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      reportFontPath: r.string('REPORT_FONT_PATH', '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'),
      reportFontFace: r.string('REPORT_FONT_FACE', 'NotoSansCJKsc-Regular'),
    },
  };
  const d = config.consultations.deadlineMinutes;
  if (!(d.emergency <= d.urgent && d.urgent <= d.routine)) {
    r.problems.push(`CONSULT_DEADLINE_*_MINUTES should grow from emergency (${d.emergency}) to urgent (${d.urgent}) to routine (${d.routine})`);
  }
  if (r.problems.length) throw new ConfigError(r.problems);
  if (!jwtSecret || !keyText) {
    const secrets = machineSecrets(dataDir);
    config.jwtSecret = jwtSecret ?? secrets.jwtSecret;
    if (!keyText) config.dataEncryptionKey = Buffer.from(secrets.dataEncryptionKey, 'base64');
  }
  return config;
}
