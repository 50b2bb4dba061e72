import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Params, execute, sql, typed, type Db, type RowOf } from '@huizhen/database';
import { escapeLike, type Sex } from '@huizhen/directory';

/**
 * A registered patient as the store answers: the national ID only as its sealed ciphertext
 * (the service opens it with the vault for an entitled reader); its HMAC is only matched on.
 */
export interface PatientRecord {
  id: string;
  organizationId: string;
  name: string;
  sex: Sex;
  birthDate: string;
  nationalIdCipher: Buffer | null;
  phone: string | null;
  address: string | null;
  createdAt: Date;
}

/** A patient to register: the national ID already fingerprinted and sealed (or absent). */
export interface NewPatient {
  organizationId: string;
  name: string;
  sex: Sex;
  birthDate: string;
  nationalIdHmac: Buffer | null;
  nationalIdCipher: Buffer | null;
  phone: string | null;
  address: string | null;
}

/** The fields a correction changes: an absent (undefined) one stays as it is. */
export type PatientChanges = Partial<Omit<NewPatient, 'organizationId'>>;

/** A search's conditions: the organizations in scope, a name (part of it, or like it), an exact national ID's HMAC, a page. */
export interface PatientSearch {
  organizationIds: string[];
  name?: string;
  nationalIdHmac?: Buffer;
  limit: number;
  offset: number;
}

const COLUMNS = `id, organization_id, name, sex, to_char(birth_date, 'YYYY-MM-DD') AS birth_date,
  national_id_cipher, phone, address, created_at`;

const PATIENT = {
  id: 'uuid',
  organization_id: 'uuid',
  name: 'text',
  sex: typed<Sex>('text'),
  birth_date: 'text',
  national_id_cipher: 'bytea?',
  phone: 'text?',
  address: 'text?',
  created_at: 'timestamptz',
} as const;

const toPatient = (r: RowOf<typeof PATIENT>): PatientRecord => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  sex: r.sex,
  birthDate: r.birth_date,
  nationalIdCipher: r.national_id_cipher,
  phone: r.phone,
  address: r.address,
  createdAt: r.created_at,
});

const BY_ID = sql(PATIENT, `SELECT ${COLUMNS} FROM patient WHERE id = $1`)
  .takes<[id: string]>()
  .map(toPatient);

const BY_NATIONAL_ID = sql(
  { id: 'uuid' },
  'SELECT id FROM patient WHERE organization_id = $1 AND national_id_hmac = $2',
)
  .takes<[organizationId: string, nationalIdHmac: Buffer]>()
  .map((r) => r.id);

const INSERT = sql(
  PATIENT,
  `INSERT INTO patient (organization_id, name, sex, birth_date, national_id_hmac, national_id_cipher, phone, address)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
)
  .takes<
    [
      organizationId: string,
      name: string,
      sex: Sex,
      birthDate: string,
      nationalIdHmac: Buffer | null,
      nationalIdCipher: Buffer | null,
      phone: string | null,
      address: string | null,
    ]
  >()
  .map(toPatient);

const OWNER = sql(
  { id: 'uuid', organization_id: 'uuid' },
  'SELECT id, organization_id FROM patient WHERE id = $1',
)
  .takes<[id: string]>()
  .map((r) => ({ id: r.id, organizationId: r.organization_id }));

const COUNT = sql({ n: 'int' }, 'SELECT count(*)::int AS n FROM patient p');

/** The column each correctable field is stored in. */
const CHANGE_COLUMNS: Record<keyof PatientChanges, string> = {
  name: 'name',
  sex: 'sex',
  birthDate: 'birth_date',
  nationalIdHmac: 'national_id_hmac',
  nationalIdCipher: 'national_id_cipher',
  phone: 'phone',
  address: 'address',
};

/** The patient table: registration, corrections, reads by id and the organization's search. */
@Injectable()
export class PatientStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The patient, its sealed national ID included, or null. */
  find(id: string, m: Db = this.db): Promise<PatientRecord | null> {
    return BY_ID.first(m, [id]);
  }

  /** The patient this organization registered with this national ID (its HMAC), if any. */
  registeredWith(m: Db, organizationId: string, nationalIdHmac: Buffer): Promise<string | null> {
    return BY_NATIONAL_ID.first(m, [organizationId, nationalIdHmac]);
  }

  async insert(m: Db, p: NewPatient): Promise<PatientRecord> {
    const row = await INSERT.first(m, [
      p.organizationId,
      p.name,
      p.sex,
      p.birthDate,
      p.nationalIdHmac,
      p.nationalIdCipher,
      p.phone,
      p.address,
    ]);
    return row!;
  }

  /**
   * Writes the defined fields of `changes` (and the row's update time, even when there are
   * none). A national ID another patient of the organization has fails on the unique index
   * (23505), for the caller to answer.
   */
  async update(m: Db, id: string, changes: PatientChanges): Promise<void> {
    const params = new Params();
    const set = (Object.keys(CHANGE_COLUMNS) as (keyof PatientChanges)[])
      .filter((k) => changes[k] !== undefined)
      .map((k) => `${CHANGE_COLUMNS[k]} = ${params.add(changes[k])}`);
    set.push('updated_at = CURRENT_TIMESTAMP');
    await execute(
      m,
      `UPDATE patient SET ${set.join(', ')} WHERE id = ${params.add(id)}`,
      params.values,
    );
  }

  /**
   * Patients of the organizations in scope, best name match first (trigram similarity, then
   * newest) when a name is given, newest first otherwise; with the total of all matches.
   */
  async search(s: PatientSearch): Promise<{ items: PatientRecord[]; total: number }> {
    const params = new Params();
    const { add } = params;
    const where = [`p.organization_id = ANY(${add(s.organizationIds)})`];
    let order = 'p.created_at DESC';
    if (s.name !== undefined) {
      const q = add(s.name);
      where.push(`(p.name ILIKE ${add(`%${escapeLike(s.name)}%`)} OR p.name % ${q})`);
      order = `similarity(p.name, ${q}) DESC, p.created_at DESC`;
    }
    if (s.nationalIdHmac) where.push(`p.national_id_hmac = ${add(s.nationalIdHmac)}`);
    const filter = `WHERE ${where.join(' AND ')}`;
    const counted = [...params.values];
    const page = sql(PATIENT, `SELECT ${COLUMNS} FROM patient p ${filter}`)
      .append(`ORDER BY ${order} LIMIT ${add(s.limit)} OFFSET ${add(s.offset)}`)
      .map(toPatient);
    const items = await page.all(this.db, params.values);
    const [{ n }] = await COUNT.append(filter).all(this.db, counted);
    return { items, total: n };
  }

  /** The patient's id and owning organization, or null: no PHI. */
  owner(id: string): Promise<{ id: string; organizationId: string } | null> {
    return OWNER.first(this.db, [id]);
  }
}
