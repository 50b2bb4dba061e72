import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { ServiceAccountScope } from '@huizhen/contract';
import { columns, command, sql, typed, type Db } from '@huizhen/database';
import type { ServiceAccount, ServiceAccountCredential } from './service-account-model';

const ACCOUNT = columns({
  id: 'uuid',
  organization_id: 'uuid',
  name: 'text',
  scopes: typed<ServiceAccountScope[]>('text[]'),
  created_by: 'uuid?',
  created_at: 'timestamptz',
  last_used_at: 'timestamptz?',
  expires_at: 'timestamptz?',
  revoked_at: 'timestamptz?',
  revoked_by: 'uuid?',
});
const ACCOUNT_COLUMNS =
  'id, organization_id, name, scopes, created_by, created_at, last_used_at, expires_at, revoked_at, revoked_by';

type AccountRow = {
  id: string;
  organization_id: string;
  name: string;
  scopes: ServiceAccountScope[];
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
};

const toAccount = (r: AccountRow): ServiceAccount => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  scopes: r.scopes,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

const INSERT = sql(
  ACCOUNT,
  `INSERT INTO service_account (id, organization_id, name, scopes, secret_hash, created_by, expires_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ACCOUNT_COLUMNS}`,
)
  .takes<
    [
      id: string,
      organizationId: string,
      name: string,
      scopes: ServiceAccountScope[],
      secretHash: Buffer,
      createdBy: string,
      expiresAt: Date | null,
    ]
  >()
  .map(toAccount);

const BY_ID = sql(ACCOUNT, `SELECT ${ACCOUNT_COLUMNS} FROM service_account WHERE id = $1`)
  .takes<[id: string]>()
  .map(toAccount);

const CREDENTIAL = sql(
  { ...ACCOUNT, secret_hash: 'bytea' },
  `SELECT ${ACCOUNT_COLUMNS}, secret_hash FROM service_account WHERE id = $1`,
)
  .takes<[id: string]>()
  .map((r): ServiceAccountCredential => ({ ...toAccount(r), secretHash: r.secret_hash }));

const OF_ORGANIZATIONS = sql(
  ACCOUNT,
  `SELECT ${ACCOUNT_COLUMNS} FROM service_account WHERE organization_id = ANY($1::uuid[])
    ORDER BY revoked_at IS NOT NULL, created_at DESC, id LIMIT 500`,
)
  .takes<[organizationIds: string[]]>()
  .map(toAccount);

const REVOKE = sql(
  ACCOUNT,
  `UPDATE service_account SET revoked_at = now(), revoked_by = $2
    WHERE id = $1 AND revoked_at IS NULL RETURNING ${ACCOUNT_COLUMNS}`,
)
  .takes<[id: string, revokedBy: string]>()
  .map(toAccount);

/** At most once a minute per account, whichever node serves it. */
const TOUCH = command<[id: string]>(
  `UPDATE service_account SET last_used_at = now()
    WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
);

/** The only class issuing SQL on service_account. */
@Injectable()
export class ServiceAccountStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  create(
    a: Pick<ServiceAccount, 'id' | 'organizationId' | 'name' | 'scopes' | 'expiresAt'> & {
      secretHash: Buffer;
      createdBy: string;
    },
    m: Db = this.db,
  ): Promise<ServiceAccount> {
    return INSERT.first(m, [
      a.id,
      a.organizationId,
      a.name,
      a.scopes,
      a.secretHash,
      a.createdBy,
      a.expiresAt,
    ]) as Promise<ServiceAccount>;
  }

  byId(id: string, m: Db = this.db): Promise<ServiceAccount | null> {
    return BY_ID.first(m, [id]);
  }

  /** The account with its stored hash, for the door that checks a key. */
  credential(id: string): Promise<ServiceAccountCredential | null> {
    return CREDENTIAL.first(this.db, [id]);
  }

  /** Active ones first, newest first. */
  ofOrganizations(organizationIds: string[]): Promise<ServiceAccount[]> {
    return OF_ORGANIZATIONS.all(this.db, [organizationIds]);
  }

  /** The revoked account, or null when it was revoked already. */
  revoke(id: string, revokedBy: string, m: Db = this.db): Promise<ServiceAccount | null> {
    return REVOKE.first(m, [id, revokedBy]);
  }

  async touch(id: string): Promise<void> {
    await TOUCH.run(this.db, [id]);
  }
}
