import type { DataSource, EntityManager } from 'typeorm';

/** Where a statement runs: the pool (a DataSource) or a transaction's EntityManager. */
export type Db = Pick<DataSource | EntityManager, 'query'>;

/** PostgreSQL types as node-postgres hands them over (int8 and numeric arrive as strings). */
interface PgValues {
  text: string;
  uuid: string;
  int: number;
  int8: string;
  bool: boolean;
  timestamptz: Date;
  date: string;
  'uuid[]': string[];
  'text[]': string[];
  json: unknown;
}
/** A column's type; `?` marks one that may be NULL. */
export type PgType = keyof PgValues | `${keyof PgValues}?`;
type ValueOf<T extends PgType> = T extends `${infer B extends keyof PgValues}?`
  ? PgValues[B] | null
  : T extends keyof PgValues
    ? PgValues[T]
    : never;

/** The columns a statement selects (or returns), by name: the row type is derived from it. */
export type Columns = Record<string, PgType>;
export type RowOf<C extends Columns> = { -readonly [K in keyof C]: ValueOf<C[K]> };

/** A statement's rows do not have the columns it declares: the SQL and its declaration disagree. */
export class RowShapeError extends Error {
  constructor(text: string, missing: string[], extra: string[]) {
    const said = [
      missing.length ? `declares ${missing.join(', ')} but does not select it` : '',
      extra.length ? `selects ${extra.join(', ')} without declaring it` : '',
    ].filter(Boolean);
    super(`statement ${said.join('; ')}: ${text.replace(/\s+/g, ' ').trim().slice(0, 160)}`);
    this.name = 'RowShapeError';
  }
}

/**
 * A SQL statement with its row type declared once, beside the SQL, and the mapper to the
 * domain object. The first row of every answer is checked against the declaration, so a
 * column declared but never selected (or selected but never declared) fails at once in the
 * tests instead of reading as `undefined`.
 */
export class Statement<C extends Columns, Out = RowOf<C>> {
  constructor(
    readonly columns: C,
    readonly text: string,
    private readonly toDomain: (row: RowOf<C>) => Out,
  ) {}

  /** The same columns and mapper, with SQL added at the end (a WHERE clause, an ORDER BY). */
  append(more: string): Statement<C, Out> {
    return new Statement(this.columns, `${this.text}\n${more}`, this.toDomain);
  }

  /** The same SQL and row, mapped to a domain object. */
  map<T>(toDomain: (row: RowOf<C>) => T): Statement<C, T> {
    return new Statement(this.columns, this.text, toDomain);
  }

  async all(db: Db, params: readonly unknown[] = []): Promise<Out[]> {
    const rows = rowsOf<RowOf<C>>(await db.query(this.text, [...params]));
    if (rows.length) this.check(rows[0]);
    return rows.map((r) => this.toDomain(r));
  }

  async one(db: Db, params: readonly unknown[] = []): Promise<Out | undefined> {
    return (await this.all(db, params))[0];
  }

  private check(row: object): void {
    const missing = Object.keys(this.columns).filter((k) => !(k in row));
    const extra = Object.keys(row).filter((k) => !(k in this.columns));
    if (missing.length || extra.length) throw new RowShapeError(this.text, missing, extra);
  }
}

/** `sql(columns, text)`: a statement answering rows of `columns`. */
export function sql<C extends Columns>(columns: C, text: string): Statement<C> {
  return new Statement(columns, text, (r) => r);
}

/** A statement answering no rows (or rows nobody reads); resolves to the number of rows it changed. */
export async function execute(
  db: Db,
  text: string,
  params: readonly unknown[] = [],
): Promise<number> {
  const r: unknown = await db.query(text, [...params]);
  return isWriteResult(r) ? r[1] : Array.isArray(r) ? r.length : 0;
}

/** TypeORM answers UPDATE/DELETE with [rows, rowCount] and other statements with rows; this gives the rows either way. */
export function rowsOf<T>(r: unknown): T[] {
  return (isWriteResult(r) ? r[0] : r) as T[];
}

function isWriteResult(r: unknown): r is [unknown[], number] {
  return Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number';
}

/** Numbered parameters for SQL assembled from optional filters: `where.push(\`x = ${p.add(v)}\`)`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    return `$${this.values.push(value)}`;
  }
}

/** `[start,end)` as PostgreSQL range text. */
export const rangeText = (start: Date, end: Date) =>
  `[${start.toISOString()},${end.toISOString()})`;
