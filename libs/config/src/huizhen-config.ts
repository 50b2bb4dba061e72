import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { deriveRoomTokenSecret } from '@huizhen/kernel';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Every setting of the platform. Read once at start from the environment (and `.env`). */
export interface HuizhenConfig {
  nodeEnv: 'production' | 'development' | 'test';
  host: string;
  port: number;
  /**
   * HTTPS beside plain HTTP (same app, same sockets): browsers give camera and microphone only to
   * secure pages, so a LAN browser needs it. Port 0: no HTTPS. Without certFile/keyFile a local CA
   * under DATA_DIR/tls signs a certificate for this machine's addresses and name.
   */
  tls: { httpsPort: number; certFile: string | null; keyFile: string | null };
  dataDir: string;
  /** Set: use this PostgreSQL. Unset: run the embedded PGlite server under dataDir. */
  databaseUrl: string | null;
  databaseSchema: string | null;
  databasePoolSize: number;
  embeddedDatabasePort: number;
  redisUrl: string | null;
  /** With REDIS_URL: the Redis stream that carries media rooms' call events to the api. */
  callEventsStream: string;
  logLevel: LogLevel;
  /** Foreign origins browsers may call from (CORS); empty: same origin only. */
  corsOrigins: string[];
  /**
   * Peers whose X-Forwarded-For/-Host/-Proto are believed (addresses, CIDR ranges, or proxy-addr's
   * names loopback, linklocal, uniquelocal). Empty: none, the socket's peer is the client.
   */
  trustedProxies: string[];
  /** The Node HTTP server's limits against slow clients (ms; 0 = off). */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; idleTimeoutMs: number };
  /** How often each node re-reads ended sessions from the database (the safety net beside Redis messages); 0 = never. */
  sessionRevocationPollSeconds: number;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Key for national-ID matching (HMAC) and encryption at rest (AES-256-GCM), 32 bytes. */
  dataEncryptionKey: Buffer;
  loginRateLimit: { attempts: number; windowSeconds: number };
  demoPassword: string;
  seedDemoOnFirstStart: boolean;
  mediaWorkers: number;
  /**
   * When set, /metrics (and /health's details) require it as a Bearer token. Unset, /metrics is
   * open only on a server listening on loopback, and refused otherwise.
   */
  metricsToken: string | null;
  /** Worker i's WebRtcServer listens on UDP and TCP port base+i; 0 = any free port (kept across worker restarts). */
  mediaRtcPortBase: number;
  /**
   * Address the WebRtcServers bind to. 0.0.0.0 (or ::) with no announced address: each of the
   * machine's usable addresses and loopback is bound and announced (apps/media media-listen.ts).
   */
  mediaListenIp: string;
  /** Public IP or host name put in ICE candidates when the node sits behind NAT (wins over the machine's addresses). */
  mediaAnnouncedAddress: string | null;
  /** Peers a room puts on one worker's router before it spreads to another worker (pipeToRouter). */
  mediaPeersPerRouter: number;
  /** Per WebRtcTransport caps (bits/s): what one client may send us, what we send one client. */
  mediaMaxIncomingBitrate: number;
  mediaMaxOutgoingBitrate: number;
  /** How long a peer whose socket dropped is kept (producers, consumers, transports) for it to resume. */
  mediaPeerGraceSeconds: number;
  /** Where browsers reach the media node's /media namespace when it is not this server (multi-process layout). */
  mediaPublicUrl: string | null;
  /** Key of the short-lived room tokens the api signs and media verifies (HS256). */
  roomTokenSecret: string;
  /** TURN servers handed to clients on join, with coturn REST-API time-limited credentials. */
  turn: { urls: string[]; secret: string | null; credentialTtlSeconds: number };
  imaging: ImagingConfig;
  scheduling: SchedulingConfig;
  consultations: ConsultationSettings;
}

/** The DICOM service: DIMSE listener, limits on what it accepts, resumable uploads. */
export interface ImagingConfig {
  /** DIMSE C-ECHO/C-STORE SCP; off when DIMSE_ENABLED=false. Port 0 picks a free port (tests). */
  dimseEnabled: boolean;
  dimseHost: string;
  dimsePort: number;
  dimseAeTitle: string;
  /** Largest PDU we accept and announce (bytes). */
  dimseMaxPduBytes: number;
  /** An association idle this long (no PDU) is aborted. */
  dimseIdleTimeoutSeconds: number;
  maxInstanceBytes: number;
  maxSequenceDepth: number;
  /** Worker threads that parse received instances (0: on the event loop). */
  digestThreads: number;
  /** Unfinished resumable uploads are deleted after this long. */
  uploadExpirySeconds: number;
  /** Where instances live; default DATA_DIR/dicom. */
  storageDir: string;
  /**
   * A received instance whose SOP Instance UID is stored with different content: keep the stored
   * one and answer with a warning (keep-old), refuse it (reject), or store it in its place
   * (replace). An identical repeat is always accepted silently.
   */
  duplicatePolicy: DuplicatePolicy;
  /** Forwarding studies on arrival (apps/imaging/src/routing). */
  routing: RoutingSettings;
}

/** The forward queue's timing (seconds) and its patience. */
export interface RoutingSettings {
  /** A study is forwarded once no instance of it arrived for this long. */
  quietSeconds: number;
  /** The first retry's delay; each next one doubles, up to retryMaxSeconds. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** After this many attempts a job becomes a dead letter. */
  maxAttempts: number;
  /** A node's claim on a job lasts this long unless renewed (a crashed node's job is taken after it). */
  leaseSeconds: number;
  /** How often each node looks for due jobs besides its own wake-ups; 0 = the worker is off. */
  pollSeconds: number;
}

export const DUPLICATE_POLICIES = ['keep-old', 'reject', 'replace'] as const;
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];

/** Expert rotations and bookings (apps/api/src/scheduling). */
export interface SchedulingConfig {
  /** IANA zone for shifts and reports when a request names none. */
  defaultTimeZone: string;
  /** On-site (下沉) days a specialist owes before promotion to associate chief. */
  grassrootsRequiredDays: number;
  /** Planner limit: on-site visit days per specialist per calendar month. */
  maxOnSiteDaysPerMonth: number;
  /** A recurring shift may expand to at most this many occurrences (they are stored). */
  maxOccurrencesPerShift: number;
  /** Minutes before a booked slot starts that both parties get a reminder on /events. */
  reminderLeadMinutes: number;
  /** How often the reminder sweep runs; 0 = never (tests call the sweep themselves). */
  reminderSweepSeconds: number;
  /** Planner: HiGHS time limit, and the relative MIP gap at which it may stop. */
  plannerTimeLimitSeconds: number;
  plannerMipGapPercent: number;
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
      this.problems.push(
        `${name}=${JSON.stringify(v)} should be a whole number from ${min} to ${max}`,
      );
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

  timeZone(name: string, fallback: string): string {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return v;
    } catch {
      this.problems.push(
        `${name}=${JSON.stringify(v)} should be an IANA time zone such as Asia/Shanghai`,
      );
      return fallback;
    }
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

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR range (prefix length or netmask) or one of proxy-addr's names. */
function isProxySpec(s: string): boolean {
  if (PROXY_NAMES.has(s)) return true;
  const [addr, range, ...rest] = s.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
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
  const nodeEnv = r.oneOf(
    'NODE_ENV',
    ['production', 'development', 'test'] as const,
    'development',
  );
  const dataDirRaw = r.string('DATA_DIR', './data');
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw);
  const databaseUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const schema = r.raw('DATABASE_SCHEMA') ?? null;
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    r.problems.push(
      `DATABASE_SCHEMA=${JSON.stringify(schema)} should be a lower-case SQL identifier`,
    );
  }
  const corsOrigins = (r.raw('CORS_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of corsOrigins) {
    if (o === '*')
      r.problems.push(
        'CORS_ORIGINS="*" is no longer accepted: name each origin allowed to call this server (https://host[:port], comma-separated), or leave it unset for same-origin only',
      );
    else if (!/^https?:\/\/[^/]+$/.test(o))
      r.problems.push(
        `CORS_ORIGINS entry ${JSON.stringify(o)} should look like https://host[:port]`,
      );
  }
  const trustedProxies = (r.raw('TRUSTED_PROXIES') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of trustedProxies) {
    if (!isProxySpec(t))
      r.problems.push(
        `TRUSTED_PROXIES entry ${JSON.stringify(t)} should be an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`,
      );
  }
  const production = nodeEnv === 'production';
  const jwtSecret = r.raw('JWT_SECRET');
  const keyText = r.raw('DATA_ENCRYPTION_KEY');
  if ((!jwtSecret || !keyText) && production) {
    if (!jwtSecret)
      r.problems.push('JWT_SECRET is required when NODE_ENV=production (at least 32 characters)');
    if (!keyText)
      r.problems.push(
        'DATA_ENCRYPTION_KEY is required when NODE_ENV=production (32 bytes, base64)',
      );
  }
  if (jwtSecret && jwtSecret.length < 32) {
    r.problems.push('JWT_SECRET should be at least 32 characters');
  }
  let dataEncryptionKey = Buffer.alloc(32);
  if (keyText !== undefined) {
    const key = Buffer.from(keyText, 'base64');
    if (key.length !== 32)
      r.problems.push('DATA_ENCRYPTION_KEY should be 32 bytes encoded as base64 (44 characters)');
    else dataEncryptionKey = key;
  }
  const config: HuizhenConfig = {
    nodeEnv,
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 3000, 0, 65535),
    tls: {
      // Tests run several servers at once and start HTTPS only where they ask for it.
      httpsPort: r.int('HTTPS_PORT', nodeEnv === 'test' ? 0 : 3443, 0, 65535),
      certFile: r.raw('TLS_CERT_FILE') ?? null,
      keyFile: r.raw('TLS_KEY_FILE') ?? null,
    },
    dataDir,
    databaseUrl,
    databaseSchema: schema,
    databasePoolSize: r.int('DATABASE_POOL_SIZE', databaseUrl ? 10 : 1, 1, 200),
    embeddedDatabasePort: r.int('EMBEDDED_DATABASE_PORT', 0, 0, 65535),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    callEventsStream: r.string('CALL_EVENTS_STREAM', 'huizhen:call-events'),
    logLevel: r.oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const,
      nodeEnv === 'test' ? 'warn' : 'info',
    ),
    corsOrigins,
    trustedProxies,
    http: {
      headersTimeoutMs: r.int('HTTP_HEADERS_TIMEOUT_SECONDS', 20, 1, 3600) * 1000,
      requestTimeoutMs: r.int('HTTP_REQUEST_TIMEOUT_SECONDS', 3600, 0, 7 * 86400) * 1000,
      idleTimeoutMs: r.int('HTTP_IDLE_TIMEOUT_SECONDS', 120, 0, 86400) * 1000,
    },
    sessionRevocationPollSeconds: r.int('SESSION_REVOCATION_POLL_SECONDS', 5, 0, 3600),
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
    // Tests run several app instances at once on one machine: any free port there.
    mediaRtcPortBase: r.int('MEDIA_RTC_PORT_BASE', nodeEnv === 'test' ? 0 : 40000, 0, 65000),
    mediaListenIp: r.string('MEDIA_LISTEN_IP', nodeEnv === 'test' ? '127.0.0.1' : '0.0.0.0'),
    mediaAnnouncedAddress: r.raw('MEDIA_ANNOUNCED_ADDRESS') ?? null,
    mediaPeersPerRouter: r.int('MEDIA_PEERS_PER_ROUTER', 16, 1, 10000),
    mediaMaxIncomingBitrate: r.int('MEDIA_MAX_INCOMING_BITRATE', 1_500_000, 100_000, 100_000_000),
    mediaMaxOutgoingBitrate: r.int('MEDIA_MAX_OUTGOING_BITRATE', 4_000_000, 100_000, 1_000_000_000),
    mediaPeerGraceSeconds: r.int('MEDIA_PEER_GRACE_SECONDS', 30, 1, 3600),
    mediaPublicUrl: r.url('MEDIA_PUBLIC_URL', ['http:', 'https:']),
    roomTokenSecret: r.raw('ROOM_TOKEN_SECRET') ?? '',
    turn: {
      urls: (r.raw('TURN_URLS') ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
      secret: r.raw('TURN_SECRET') ?? null,
      credentialTtlSeconds: r.int('TURN_CREDENTIAL_TTL_SECONDS', 86400, 60, 7 * 86400),
    },
    imaging: {
      dimseEnabled: r.bool('DIMSE_ENABLED', true),
      // Tests run several servers at once: loopback and any free port there.
      dimseHost: r.string(
        'DIMSE_HOST',
        r.string('HOST', nodeEnv === 'test' ? '127.0.0.1' : '0.0.0.0'),
      ),
      dimsePort: r.int('DIMSE_PORT', nodeEnv === 'test' ? 0 : 11112, 0, 65535),
      dimseAeTitle: r.string('DIMSE_AE_TITLE', 'HUIZHEN'),
      dimseMaxPduBytes: r.int('DIMSE_MAX_PDU_BYTES', 262144, 4096, 16 * 2 ** 20),
      dimseIdleTimeoutSeconds: r.int('DIMSE_IDLE_TIMEOUT_SECONDS', 60, 1, 3600),
      maxInstanceBytes: r.int('IMAGING_MAX_INSTANCE_BYTES', 512 * 2 ** 20, 1024, 4 * 2 ** 30),
      maxSequenceDepth: r.int('IMAGING_MAX_SEQUENCE_DEPTH', 16, 1, 256),
      // Two even on two cores: a thread also waits on file writes (measured with four clients
      // storing at once on 2 cores: 1 thread ~800-950 instances/s, 2 threads ~950-1,080, 3 no better).
      digestThreads: r.int(
        'IMAGING_DIGEST_THREADS',
        Math.min(4, Math.max(2, availableParallelism())),
        0,
        64,
      ),
      uploadExpirySeconds: r.int('IMAGING_UPLOAD_EXPIRY_SECONDS', 86400, 1, 30 * 86400),
      duplicatePolicy: r.oneOf('IMAGING_DUPLICATE_POLICY', DUPLICATE_POLICIES, 'keep-old'),
      storageDir: '',
      routing: {
        quietSeconds: r.int('ROUTING_QUIET_SECONDS', 5, 0, 3600),
        retryBaseSeconds: r.int('ROUTING_RETRY_BASE_SECONDS', 15, 1, 86400),
        retryMaxSeconds: r.int('ROUTING_RETRY_MAX_SECONDS', 3600, 1, 7 * 86400),
        maxAttempts: r.int('ROUTING_MAX_ATTEMPTS', 12, 1, 1000),
        leaseSeconds: r.int('ROUTING_LEASE_SECONDS', 120, 5, 86400),
        pollSeconds: r.int('ROUTING_POLL_SECONDS', 5, 0, 3600),
      },
    },
    scheduling: {
      defaultTimeZone: r.timeZone('SCHEDULING_DEFAULT_TIME_ZONE', 'Asia/Shanghai'),
      grassrootsRequiredDays: r.int('GRASSROOTS_REQUIRED_DAYS', 180, 0, 3660),
      maxOnSiteDaysPerMonth: r.int('SCHEDULING_MAX_ONSITE_DAYS_PER_MONTH', 8, 0, 31),
      maxOccurrencesPerShift: r.int('SCHEDULING_MAX_OCCURRENCES_PER_SHIFT', 400, 1, 5000),
      reminderLeadMinutes: r.int('BOOKING_REMINDER_LEAD_MINUTES', 60, 1, 7 * 24 * 60),
      reminderSweepSeconds: r.int(
        'BOOKING_REMINDER_SWEEP_SECONDS',
        nodeEnv === 'test' ? 0 : 60,
        0,
        86400,
      ),
      plannerTimeLimitSeconds: r.int('PLANNER_TIME_LIMIT_SECONDS', 30, 1, 3600),
      plannerMipGapPercent: r.int('PLANNER_MIP_GAP_PERCENT', 1, 0, 50),
    },
    consultations: {
      deadlineMinutes: {
        routine: r.int('CONSULT_DEADLINE_ROUTINE_MINUTES', 1440, 1, 30 * 1440),
        urgent: r.int('CONSULT_DEADLINE_URGENT_MINUTES', 120, 1, 30 * 1440),
        emergency: r.int('CONSULT_DEADLINE_EMERGENCY_MINUTES', 30, 1, 30 * 1440),
      },
      sweepIntervalSeconds: r.int('CONSULT_SWEEP_INTERVAL_SECONDS', 30, 0, 3600),
      attachmentMaxBytes: r.int(
        'CONSULT_ATTACHMENT_MAX_BYTES',
        20 * 1024 * 1024,
        1024,
        1024 * 1024 * 1024,
      ),
      reportFontPath: r.string(
        'REPORT_FONT_PATH',
        '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
      ),
      reportFontFace: r.string('REPORT_FONT_FACE', 'NotoSansCJKsc-Regular'),
    },
  };
  const storage = r.raw('IMAGING_STORAGE_DIR');
  config.imaging.storageDir = storage
    ? isAbsolute(storage)
      ? storage
      : resolve(process.cwd(), storage)
    : join(dataDir, 'dicom');
  const ae = config.imaging.dimseAeTitle;
  if (!/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(ae) || ae.trim() === '') {
    r.problems.push(
      `DIMSE_AE_TITLE=${JSON.stringify(ae)} should be 1 to 16 printable ASCII characters without backslash`,
    );
  }
  for (const u of config.turn.urls) {
    if (!/^turns?:[^\s]+$|^stun:[^\s]+$/.test(u))
      r.problems.push(
        `TURN_URLS entry ${JSON.stringify(u)} should look like turn:host:3478?transport=udp, turns:host:5349 or stun:host:3478`,
      );
  }
  if (config.turn.urls.some((u) => u.startsWith('turn')) && !config.turn.secret) {
    r.problems.push(
      'TURN_SECRET is required when TURN_URLS names a turn: or turns: server (coturn static-auth-secret)',
    );
  }
  if (config.roomTokenSecret && config.roomTokenSecret.length < 32)
    r.problems.push('ROOM_TOKEN_SECRET should be at least 32 characters');
  if (
    config.mediaAnnouncedAddress !== null &&
    !/^[A-Za-z0-9.:-]{1,253}$/.test(config.mediaAnnouncedAddress)
  ) {
    r.problems.push(
      `MEDIA_ANNOUNCED_ADDRESS=${JSON.stringify(config.mediaAnnouncedAddress)} should be an IP address or host name`,
    );
  }
  const tls = config.tls;
  if (!tls.certFile !== !tls.keyFile) {
    r.problems.push(
      `${tls.certFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'} is required with ${tls.certFile ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'} (a PEM certificate chain and its private key)`,
    );
  }
  for (const [name, file] of [
    ['TLS_CERT_FILE', tls.certFile],
    ['TLS_KEY_FILE', tls.keyFile],
  ] as const) {
    if (file && !existsSync(file)) r.problems.push(`${name}=${JSON.stringify(file)} names no file`);
  }
  if (tls.httpsPort && tls.httpsPort === config.port)
    r.problems.push(`HTTPS_PORT (${tls.httpsPort}) should differ from PORT, or be 0 for no HTTPS`);
  const h = config.http;
  if (h.requestTimeoutMs && h.requestTimeoutMs < h.headersTimeoutMs) {
    r.problems.push(
      `HTTP_REQUEST_TIMEOUT_SECONDS (${h.requestTimeoutMs / 1000}) should be 0 (off) or at least HTTP_HEADERS_TIMEOUT_SECONDS (${h.headersTimeoutMs / 1000})`,
    );
  }
  const d = config.consultations.deadlineMinutes;
  if (!(d.emergency <= d.urgent && d.urgent <= d.routine)) {
    r.problems.push(
      `CONSULT_DEADLINE_*_MINUTES should grow from emergency (${d.emergency}) to urgent (${d.urgent}) to routine (${d.routine})`,
    );
  }
  if (r.problems.length) throw new ConfigError(r.problems);
  if (!jwtSecret || !keyText) {
    const secrets = machineSecrets(dataDir);
    config.jwtSecret = jwtSecret ?? secrets.jwtSecret;
    if (!keyText) config.dataEncryptionKey = Buffer.from(secrets.dataEncryptionKey, 'base64');
  }
  if (!config.roomTokenSecret) config.roomTokenSecret = deriveRoomTokenSecret(config.jwtSecret);
  return config;
}
