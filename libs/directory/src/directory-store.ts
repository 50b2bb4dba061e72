import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  Params,
  columns,
  command,
  sql,
  typed,
  type Columns,
  type Db,
  type RowOf,
  type Statement,
} from '@huizhen/database';
import type { ConsortiumKind, OrganizationLevel, Role, Title } from './directory-terms';
import type { Consortium } from './consortium.entity';
import type { Organization } from './organization.entity';
import type { Practitioner } from './practitioner.entity';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A consortium with the ids of its member organizations (the lead among them). */
export type ConsortiumWithMembers = Consortium & { memberIds: string[] };

/** A practitioner as the login reads it: with the password hash no other read selects. */
export type PractitionerWithPassword = Practitioner & { passwordHash: string };

export interface OrganizationFilter {
  level?: OrganizationLevel;
  parentId?: string;
  ids?: string[];
  q?: string;
  limit: number;
  offset: number;
}

export interface ConsortiumFilter {
  kind?: ConsortiumKind;
  organizationId?: string;
  limit: number;
  offset: number;
}

export interface PractitionerFilter {
  organizationId?: string;
  organizationIds?: string[];
  specialty?: string;
  role?: string;
  q?: string;
  active?: boolean;
  limit: number;
  offset: number;
}

export interface NewOrganization {
  name: string;
  level: OrganizationLevel;
  parentId: string | null;
  regionCode: string;
}
export type OrganizationChanges = Partial<NewOrganization & { active: boolean }>;

export interface NewConsortium {
  name: string;
  kind: ConsortiumKind;
  leadOrganizationId: string;
}

export interface NewPractitioner {
  username: string;
  displayName: string;
  passwordHash: string;
  organizationId: string;
  roles: Role[];
  specialty: string | null;
  title: Title | null;
}
export type PractitionerChanges = Partial<NewPractitioner & { active: boolean }>;

/** A search term matched literally inside ILIKE: its wildcards escaped. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

const ORGANIZATION = columns({
  id: 'uuid',
  name: 'text',
  level: typed<OrganizationLevel>('text'),
  parent_id: 'uuid?',
  region_code: 'text',
  active: 'bool',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
const ORGANIZATION_COLUMNS = `o.id, o.name, o.level, o.parent_id, o.region_code, o.active, o.created_at, o.updated_at`;
const toOrganization = (r: RowOf<typeof ORGANIZATION>): Organization => ({
  id: r.id,
  name: r.name,
  level: r.level,
  parentId: r.parent_id,
  regionCode: r.region_code,
  active: r.active,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const CONSORTIUM = columns({
  id: 'uuid',
  name: 'text',
  kind: typed<ConsortiumKind>('text'),
  lead_organization_id: 'uuid',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
const CONSORTIUM_COLUMNS = `c.id, c.name, c.kind, c.lead_organization_id, c.created_at, c.updated_at`;
const toConsortium = (r: RowOf<typeof CONSORTIUM>): Consortium => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  leadOrganizationId: r.lead_organization_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const PRACTITIONER = columns({
  id: 'uuid',
  username: 'text',
  display_name: 'text',
  organization_id: 'uuid',
  roles: typed<Role[]>('text[]'),
  specialty: 'text?',
  title: typed<Title | null>('text?'),
  active: 'bool',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
const PRACTITIONER_COLUMNS = `p.id, p.username, p.display_name, p.organization_id, p.roles, p.specialty, p.title, p.active, p.created_at, p.updated_at`;
const toPractitioner = (r: RowOf<typeof PRACTITIONER>): Practitioner => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  organizationId: r.organization_id,
  roles: r.roles,
  specialty: r.specialty,
  title: r.title,
  active: r.active,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const ORGANIZATION_BY_ID = sql(
  ORGANIZATION,
  `SELECT ${ORGANIZATION_COLUMNS} FROM organization o WHERE o.id = $1`,
)
  .takes<[id: string]>()
  .map(toOrganization);

const ORGANIZATIONS_FOUND = sql({ id: 'uuid' }, 'SELECT id FROM organization WHERE id = ANY($1)')
  .takes<[ids: string[]]>()
  .map((r) => r.id);

const INSERT_ORGANIZATION = sql(
  ORGANIZATION,
  `INSERT INTO organization AS o (name, level, parent_id, region_code) VALUES ($1, $2, $3, $4)
   RETURNING ${ORGANIZATION_COLUMNS}`,
)
  .takes<[name: string, level: OrganizationLevel, parentId: string | null, regionCode: string]>()
  .map(toOrganization);

const WITH_SPECIALISTS = sql(
  {
    id: 'uuid',
    level: typed<OrganizationLevel>('text'),
    requester_level: typed<OrganizationLevel>('text'),
  },
  `SELECT o.id, o.level, r.level AS requester_level
     FROM organization o, organization r
    WHERE r.id = $1 AND o.id = ANY($2::uuid[]) AND o.id <> r.id AND o.active AND o.level = ANY($3::text[])
      AND EXISTS (SELECT 1 FROM practitioner p
                   WHERE p.organization_id = o.id AND p.active AND p.specialty = $4 AND 'specialist' = ANY(p.roles))`,
)
  .takes<[requesterId: string, candidateIds: string[], levels: string[], specialty: string]>()
  .map((r) => ({ id: r.id, level: r.level, requesterLevel: r.requester_level }));

const ACTIVE_SPECIALISTS = sql(
  { id: 'uuid' },
  `SELECT id FROM practitioner WHERE organization_id = ANY($1::uuid[]) AND specialty = $2 AND active AND 'specialist' = ANY(roles)`,
)
  .takes<[organizationIds: string[], specialty: string]>()
  .map((r) => r.id);

const HUB_COORDINATORS = sql(
  { id: 'uuid' },
  `WITH RECURSIVE up AS (SELECT id, parent_id FROM organization WHERE id = $1
      UNION ALL SELECT o.id, o.parent_id FROM organization o JOIN up ON o.id = up.parent_id)
   SELECT p.id FROM practitioner p JOIN organization h ON h.id = p.organization_id
    WHERE h.id = (SELECT id FROM up WHERE parent_id IS NULL) AND h.level = 'province_hub'
      AND p.active AND 'hub_coordinator' = ANY(p.roles)`,
)
  .takes<[organizationId: string]>()
  .map((r) => r.id);

const SUBTREE = sql(
  { id: 'uuid' },
  `WITH RECURSIVE sub AS (SELECT id FROM organization WHERE id = $1
     UNION SELECT o.id FROM organization o JOIN sub ON o.parent_id = sub.id)
   SELECT id FROM sub`,
)
  .takes<[rootId: string]>()
  .map((r) => r.id);

const CONSORTIUM_BY_ID = sql(
  CONSORTIUM,
  `SELECT ${CONSORTIUM_COLUMNS} FROM consortium c WHERE c.id = $1`,
)
  .takes<[id: string]>()
  .map(toConsortium);

const MEMBERS = sql(
  { consortium_id: 'uuid', organization_id: 'uuid' },
  'SELECT consortium_id, organization_id FROM consortium_member WHERE consortium_id = ANY($1)',
).takes<[consortiumIds: string[]]>();

const INSERT_CONSORTIUM = sql(
  CONSORTIUM,
  `INSERT INTO consortium AS c (name, kind, lead_organization_id) VALUES ($1, $2, $3)
   RETURNING ${CONSORTIUM_COLUMNS}`,
)
  .takes<[name: string, kind: ConsortiumKind, leadOrganizationId: string]>()
  .map(toConsortium);

const DROP_MEMBERS = command<[consortiumId: string]>(
  'DELETE FROM consortium_member WHERE consortium_id = $1',
);

const ADD_MEMBERS = command<[consortiumId: string, organizationIds: string[]]>(
  'INSERT INTO consortium_member (consortium_id, organization_id) SELECT $1, unnest($2::uuid[])',
);

const PRACTITIONER_BY_ID = sql(
  PRACTITIONER,
  `SELECT ${PRACTITIONER_COLUMNS} FROM practitioner p WHERE p.id = $1`,
)
  .takes<[id: string]>()
  .map(toPractitioner);

const PRACTITIONER_FOR_LOGIN = sql(
  { ...PRACTITIONER, password_hash: 'text' },
  `SELECT ${PRACTITIONER_COLUMNS}, p.password_hash FROM practitioner p WHERE lower(p.username) = lower($1)`,
)
  .takes<[username: string]>()
  .map((r): PractitionerWithPassword => ({ ...toPractitioner(r), passwordHash: r.password_hash }));

const INSERT_PRACTITIONER = sql(
  PRACTITIONER,
  `INSERT INTO practitioner AS p (username, display_name, password_hash, organization_id, roles, specialty, title)
   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${PRACTITIONER_COLUMNS}`,
)
  .takes<
    [
      username: string,
      displayName: string,
      passwordHash: string,
      organizationId: string,
      roles: Role[],
      specialty: string | null,
      title: Title | null,
    ]
  >()
  .map(toPractitioner);

const COUNT = columns({ n: 'int' });

/** The column each changeable field is stored in. */
const ORGANIZATION_FIELDS: Record<keyof OrganizationChanges, string> = {
  name: 'name',
  level: 'level',
  parentId: 'parent_id',
  regionCode: 'region_code',
  active: 'active',
};
const CONSORTIUM_FIELDS: Record<keyof NewConsortium, string> = {
  name: 'name',
  kind: 'kind',
  leadOrganizationId: 'lead_organization_id',
};
const PRACTITIONER_FIELDS: Record<keyof PractitionerChanges, string> = {
  username: 'username',
  displayName: 'display_name',
  passwordHash: 'password_hash',
  organizationId: 'organization_id',
  roles: 'roles',
  specialty: 'specialty',
  title: 'title',
  active: 'active',
};

/** `SET a = $1, b = $2, updated_at = now()` of the defined fields of `changes`. */
/** A table the admin edits: name and alias (as its column list reads), the row a write returns, and the column of each changeable field. */
interface EditedTable<C extends Columns, T, K extends string> {
  table: 'organization' | 'consortium' | 'practitioner';
  alias: string;
  columns: C;
  list: string;
  toObject: (row: RowOf<C>) => T;
  fields: Record<K, string>;
}

const ORGANIZATIONS = {
  table: 'organization',
  alias: 'o',
  columns: ORGANIZATION,
  list: ORGANIZATION_COLUMNS,
  toObject: toOrganization,
  fields: ORGANIZATION_FIELDS,
} as const;
const CONSORTIA = {
  table: 'consortium',
  alias: 'c',
  columns: CONSORTIUM,
  list: CONSORTIUM_COLUMNS,
  toObject: toConsortium,
  fields: CONSORTIUM_FIELDS,
} as const;
const PRACTITIONERS = {
  table: 'practitioner',
  alias: 'p',
  columns: PRACTITIONER,
  list: PRACTITIONER_COLUMNS,
  toObject: toPractitioner,
  fields: PRACTITIONER_FIELDS,
} as const;

/** Writes the defined fields (and the update time); answers the row as it now is, or null. */
function updateById<C extends Columns, T, K extends string>(
  m: Db,
  t: EditedTable<C, T, K>,
  id: string,
  changes: Partial<Record<K, unknown>>,
): Promise<T | null> {
  const params = new Params();
  const set = (Object.keys(t.fields) as K[])
    .filter((k) => changes[k] !== undefined)
    .map((k) => `${t.fields[k]} = ${params.add(changes[k])}`);
  return sql(
    t.columns,
    `UPDATE ${t.table} AS ${t.alias} SET ${[...set, 'updated_at = CURRENT_TIMESTAMP'].join(', ')}
      WHERE ${t.alias}.id = ${params.add(id)} RETURNING ${t.list}`,
  )
    .map(t.toObject)
    .first(m, params.values);
}

/**
 * The directory's tables (organization, consortium and its members, practitioner): the only class
 * issuing SQL on them. Reads answer the directory's domain objects; the password hash leaves only
 * through the login's read. Writes take the caller's transaction; a unique violation (23505) is
 * the caller's to answer.
 */
@Injectable()
export class DirectoryStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  organization(id: string, m: Db = this.db): Promise<Organization | null> {
    return ORGANIZATION_BY_ID.first(m, [id]);
  }

  /** Which of the ids name an organization. */
  existingOrganizationIds(ids: string[], m: Db = this.db): Promise<string[]> {
    return ORGANIZATIONS_FOUND.all(m, [ids]);
  }

  /** Organizations by region code then name, a page of them, and how many match. */
  async organizations(f: OrganizationFilter): Promise<Page<Organization>> {
    const params = new Params();
    const where: string[] = [];
    if (f.level) where.push(`o.level = ${params.add(f.level)}`);
    if (f.parentId) where.push(`o.parent_id = ${params.add(f.parentId)}`);
    if (f.ids) where.push(`o.id = ANY(${params.add(f.ids)})`);
    if (f.q) where.push(`o.name ILIKE ${params.add(`%${escapeLike(f.q)}%`)}`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return this.page(params, f, {
      items: sql(ORGANIZATION, `SELECT ${ORGANIZATION_COLUMNS} FROM organization o ${filter}`)
        .append('ORDER BY o.region_code, o.name')
        .map(toOrganization),
      count: `SELECT count(*)::int AS n FROM organization o ${filter}`,
    });
  }

  async insertOrganization(m: Db, o: NewOrganization): Promise<Organization> {
    return (await INSERT_ORGANIZATION.first(m, [o.name, o.level, o.parentId, o.regionCode]))!;
  }

  /** Writes the defined fields (and the update time); answers the row as it now is, or null. */
  updateOrganization(
    m: Db,
    id: string,
    changes: OrganizationChanges,
  ): Promise<Organization | null> {
    return updateById(m, ORGANIZATIONS, id, changes);
  }

  /** Of `candidateIds`: the active ones of the levels, not the requester, with an active specialist of the specialty. */
  organizationsWithSpecialists(
    q: {
      requesterId: string;
      candidateIds: string[];
      levels: readonly string[];
      specialty: string;
    },
    m: Db = this.db,
  ): Promise<{ id: string; level: OrganizationLevel; requesterLevel: OrganizationLevel }[]> {
    return WITH_SPECIALISTS.all(m, [q.requesterId, q.candidateIds, [...q.levels], q.specialty]);
  }

  activeSpecialistIds(organizationIds: string[], specialty: string): Promise<string[]> {
    return ACTIVE_SPECIALISTS.all(this.db, [organizationIds, specialty]);
  }

  /** Active coordinators of the province hub at the root of an organization's tree. */
  hubCoordinatorIds(organizationId: string): Promise<string[]> {
    return HUB_COORDINATORS.all(this.db, [organizationId]);
  }

  /** The organization and everything below it. */
  subtreeIds(rootId: string, m: Db = this.db): Promise<string[]> {
    return SUBTREE.all(m, [rootId]);
  }

  async consortium(id: string, m: Db = this.db): Promise<ConsortiumWithMembers | null> {
    const c = await CONSORTIUM_BY_ID.first(m, [id]);
    return c && (await this.withMembers([c], m))[0];
  }

  /** Consortia by name (of a kind, or with a member), a page of them, each with its members. */
  async consortia(f: ConsortiumFilter): Promise<Page<ConsortiumWithMembers>> {
    const params = new Params();
    const where: string[] = [];
    if (f.kind) where.push(`c.kind = ${params.add(f.kind)}`);
    if (f.organizationId)
      where.push(
        `EXISTS (SELECT 1 FROM consortium_member m WHERE m.consortium_id = c.id AND m.organization_id = ${params.add(f.organizationId)})`,
      );
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const page = await this.page(params, f, {
      items: sql(CONSORTIUM, `SELECT ${CONSORTIUM_COLUMNS} FROM consortium c ${filter}`)
        .append('ORDER BY c.name')
        .map(toConsortium),
      count: `SELECT count(*)::int AS n FROM consortium c ${filter}`,
    });
    return { ...page, items: await this.withMembers(page.items, this.db) };
  }

  async insertConsortium(
    m: Db,
    c: NewConsortium,
    memberIds: string[],
  ): Promise<ConsortiumWithMembers> {
    const row = (await INSERT_CONSORTIUM.first(m, [c.name, c.kind, c.leadOrganizationId]))!;
    await ADD_MEMBERS.run(m, [row.id, memberIds]);
    return { ...row, memberIds };
  }

  /** Writes the defined fields (and the update time); answers the row as it now is, or null. */
  updateConsortium(m: Db, id: string, changes: Partial<NewConsortium>): Promise<Consortium | null> {
    return updateById(m, CONSORTIA, id, changes);
  }

  /** The consortium's members become exactly these organizations. */
  async replaceMembers(m: Db, consortiumId: string, organizationIds: string[]): Promise<void> {
    await DROP_MEMBERS.run(m, [consortiumId]);
    await ADD_MEMBERS.run(m, [consortiumId, organizationIds]);
  }

  practitioner(id: string, m: Db = this.db): Promise<Practitioner | null> {
    return PRACTITIONER_BY_ID.first(m, [id]);
  }

  /** The practitioner of a username (any case), with the password hash: for the login only. */
  practitionerForLogin(username: string): Promise<PractitionerWithPassword | null> {
    return PRACTITIONER_FOR_LOGIN.first(this.db, [username]);
  }

  /** Practitioners by display name, a page of them, and how many match. */
  async practitioners(f: PractitionerFilter): Promise<Page<Practitioner>> {
    const params = new Params();
    const where: string[] = [];
    if (f.organizationId) where.push(`p.organization_id = ${params.add(f.organizationId)}`);
    if (f.organizationIds) where.push(`p.organization_id = ANY(${params.add(f.organizationIds)})`);
    if (f.specialty) where.push(`p.specialty = ${params.add(f.specialty)}`);
    if (f.role) where.push(`${params.add(f.role)} = ANY(p.roles)`);
    if (f.q) {
      const q = params.add(`%${escapeLike(f.q)}%`);
      where.push(`(p.display_name ILIKE ${q} OR p.username ILIKE ${q})`);
    }
    if (f.active !== undefined) where.push(`p.active = ${params.add(f.active)}`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return this.page(params, f, {
      items: sql(PRACTITIONER, `SELECT ${PRACTITIONER_COLUMNS} FROM practitioner p ${filter}`)
        .append('ORDER BY p.display_name')
        .map(toPractitioner),
      count: `SELECT count(*)::int AS n FROM practitioner p ${filter}`,
    });
  }

  async insertPractitioner(m: Db, p: NewPractitioner): Promise<Practitioner> {
    const row = await INSERT_PRACTITIONER.first(m, [
      p.username,
      p.displayName,
      p.passwordHash,
      p.organizationId,
      p.roles,
      p.specialty,
      p.title,
    ]);
    return row!;
  }

  /** Writes the defined fields (and the update time); answers the row as it now is, or null. */
  updatePractitioner(
    m: Db,
    id: string,
    changes: PractitionerChanges,
  ): Promise<Practitioner | null> {
    return updateById(m, PRACTITIONERS, id, changes);
  }

  private async withMembers(items: Consortium[], m: Db): Promise<ConsortiumWithMembers[]> {
    const members = items.length ? await MEMBERS.all(m, [items.map((c) => c.id)]) : [];
    return items.map((c) => ({
      ...c,
      memberIds: members.filter((r) => r.consortium_id === c.id).map((r) => r.organization_id),
    }));
  }

  /** A page of `items` (its filter's parameters in `params`) and the total `count` finds. */
  private async page<C extends Columns, T>(
    params: Params,
    f: { limit: number; offset: number },
    q: { items: Statement<C, readonly unknown[], T>; count: string },
  ): Promise<Page<T>> {
    const counted = [...params.values];
    const items = await q.items
      .append(`LIMIT ${params.add(f.limit)} OFFSET ${params.add(f.offset)}`)
      .all(this.db, params.values);
    const [{ n }] = await sql(COUNT, q.count).all(this.db, counted);
    return { items, total: n, limit: f.limit, offset: f.offset };
  }
}
