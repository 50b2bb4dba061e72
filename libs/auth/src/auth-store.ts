import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { columns, command, sql, type Db, type RowOf } from '@huizhen/database';
import type { Revocation } from './session-revocations';

/** A refresh token as stored (its SHA-256 only): what spending or ending it needs. */
export interface StoredRefreshToken {
  id: string;
  practitionerId: string;
  familyId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

/** A refresh token to store: the hash of the token handed out, its session (family) and client. */
export interface NewRefreshToken {
  practitionerId: string;
  familyId: string;
  tokenHash: Buffer;
  expiresAt: Date;
  ip: string;
  userAgent: string | null;
}

const REFRESH_TOKEN = columns({
  id: 'uuid',
  practitioner_id: 'uuid',
  family_id: 'uuid',
  expires_at: 'timestamptz',
  used_at: 'timestamptz?',
  revoked_at: 'timestamptz?',
});
const toRefreshToken = (r: RowOf<typeof REFRESH_TOKEN>): StoredRefreshToken => ({
  id: r.id,
  practitionerId: r.practitioner_id,
  familyId: r.family_id,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
});

const BY_HASH = sql(
  REFRESH_TOKEN,
  `SELECT id, practitioner_id, family_id, expires_at, used_at, revoked_at
     FROM refresh_token WHERE token_hash = $1`,
)
  .takes<[tokenHash: Buffer]>()
  .map(toRefreshToken);

/** The row locked for the spending transaction: two refreshes with one token run one after the other. */
const BY_HASH_FOR_UPDATE = BY_HASH.append('FOR UPDATE');

const INSERT_REFRESH_TOKEN = command<
  [
    practitionerId: string,
    familyId: string,
    tokenHash: Buffer,
    expiresAt: Date,
    ip: string,
    userAgent: string | null,
  ]
>(
  `INSERT INTO refresh_token (practitioner_id, family_id, token_hash, expires_at, ip, user_agent)
   VALUES ($1, $2, $3, $4, $5, $6)`,
);

const MARK_USED = command<[id: string, at: Date]>(
  'UPDATE refresh_token SET used_at = $2 WHERE id = $1',
);

const REVOKE_FAMILIES = command<[familyIds: string[]]>(
  'UPDATE refresh_token SET revoked_at = now() WHERE family_id = ANY($1) AND revoked_at IS NULL',
);

const REVOKE_PRACTITIONER_TOKENS = command<[practitionerId: string]>(
  'UPDATE refresh_token SET revoked_at = now() WHERE practitioner_id = $1 AND revoked_at IS NULL',
);

const RECENT_FAMILIES = sql(
  { family_id: 'uuid' },
  `SELECT DISTINCT family_id FROM refresh_token
    WHERE practitioner_id = $1 AND created_at > now() - make_interval(secs => $2)`,
)
  .takes<[practitionerId: string, withinSeconds: number]>()
  .map((r) => r.family_id);

const INSERT_SESSION_REVOCATIONS = command<[sessionIds: string[], expiresAtMs: number]>(
  `INSERT INTO access_revocation (session_id, expires_at) SELECT unnest($1::uuid[]), to_timestamp($2 / 1000.0)`,
);

const INSERT_PRACTITIONER_REVOCATION = command<
  [practitionerId: string, notBeforeMs: number, expiresAtMs: number]
>(
  `INSERT INTO access_revocation (practitioner_id, not_before, expires_at)
   VALUES ($1, to_timestamp($2 / 1000.0), to_timestamp($3 / 1000.0))`,
);

const UNEXPIRED_REVOCATIONS = sql(
  {
    session_id: 'uuid?',
    practitioner_id: 'uuid?',
    not_before: 'timestamptz?',
    expires_at: 'timestamptz',
  },
  'SELECT session_id, practitioner_id, not_before, expires_at FROM access_revocation WHERE expires_at > now()',
).map((r): Revocation => ({
  sessionId: r.session_id,
  practitionerId: r.practitioner_id,
  notBeforeMs: r.not_before?.getTime() ?? null,
  expiresAtMs: r.expires_at.getTime(),
}));

const FORGET_OLD_REVOCATIONS = command<[]>(
  `DELETE FROM access_revocation WHERE expires_at < now() - interval '1 day'`,
);

/**
 * The auth tables: refresh tokens (stored as their SHA-256) and ended sessions
 * (`access_revocation`). The only class issuing SQL on them; writes take the caller's transaction.
 */
@Injectable()
export class AuthStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The refresh token with this hash, or null. */
  refreshToken(tokenHash: Buffer, m: Db = this.db): Promise<StoredRefreshToken | null> {
    return BY_HASH.first(m, [tokenHash]);
  }

  /** The same, its row locked until the transaction ends (spending it). */
  refreshTokenForUpdate(m: Db, tokenHash: Buffer): Promise<StoredRefreshToken | null> {
    return BY_HASH_FOR_UPDATE.first(m, [tokenHash]);
  }

  async insertRefreshToken(t: NewRefreshToken, m: Db = this.db): Promise<void> {
    await INSERT_REFRESH_TOKEN.run(m, [
      t.practitionerId,
      t.familyId,
      t.tokenHash,
      t.expiresAt,
      t.ip,
      t.userAgent,
    ]);
  }

  async markUsed(m: Db, id: string, at: Date): Promise<void> {
    await MARK_USED.run(m, [id, at]);
  }

  /** Revokes the unrevoked refresh tokens of the families (sessions). */
  async revokeFamilies(m: Db, familyIds: string[]): Promise<void> {
    await REVOKE_FAMILIES.run(m, [familyIds]);
  }

  /** Revokes every unrevoked refresh token of the practitioner. */
  async revokePractitionerTokens(m: Db, practitionerId: string): Promise<void> {
    await REVOKE_PRACTITIONER_TOKENS.run(m, [practitionerId]);
  }

  /** The families (sessions) the practitioner was issued a refresh token in, within the last seconds. */
  recentFamilies(m: Db, practitionerId: string, withinSeconds: number): Promise<string[]> {
    return RECENT_FAMILIES.all(m, [practitionerId, withinSeconds]);
  }

  /** Records ended sessions: their access tokens are refused until `expiresAtMs`. */
  async insertSessionRevocations(m: Db, sessionIds: string[], expiresAtMs: number): Promise<void> {
    await INSERT_SESSION_REVOCATIONS.run(m, [sessionIds, expiresAtMs]);
  }

  /** Records a practitioner's "no token issued before `notBeforeMs`", kept until `expiresAtMs`. */
  async insertPractitionerRevocation(
    m: Db,
    r: { practitionerId: string; notBeforeMs: number; expiresAtMs: number },
  ): Promise<void> {
    await INSERT_PRACTITIONER_REVOCATION.run(m, [r.practitionerId, r.notBeforeMs, r.expiresAtMs]);
  }

  unexpiredRevocations(): Promise<Revocation[]> {
    return UNEXPIRED_REVOCATIONS.all(this.db);
  }

  /** Deletes revocations a day past their expiry (idempotent: any node may). */
  async forgetOldRevocations(): Promise<void> {
    await FORGET_OLD_REVOCATIONS.run(this.db);
  }
}
