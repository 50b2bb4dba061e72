import type { DataSource, EntityManager } from 'typeorm';
import { prepared } from './prepared-statement';

/** Where a statement runs: the pool (a DataSource or its manager) or a transaction's EntityManager. */
export type Db = Pick<DataSource | EntityManager, 'query'>;

/** PostgreSQL types as node-postgres hands them over (int8 and numeric arrive as strings). */
interface PgValues {
  text: string;
  uuid: string;
  int: number;
  int8: string;
  numeric: string;
  bool: boolean;
  timestamptz: Date;
  date: string;
  bytea: Buffer;
  'uuid[]': string[];
  'text[]': string[];
  json: unknown;
}
/** A column's type; `?` marks one that may be NULL. */
export type PgType = keyof PgValues | `${keyof PgValues}?`;

declare const narrowed: unique symbol;
/** A column whose values TypeScript knows more precisely than its PostgreSQL type (see `typed`). */
export type Typed<T> = PgType & { readonly [narrowed]: T };

/**
 * A column of a narrower TypeScript type than its PostgreSQL one: a text column holding one of
 * a union (`status: typed<ConsultationStatus>('text')`, nullable `typed<QueueLevel | null>('text?')`).
 * Only the declaration changes; the first-row check still checks the name.
 */
export const typed = <T>(type: PgType): Typed<T> => type as Typed<T>;

type ValueOf<T> =
  T extends Typed<infer V>
    ? V
    : T extends `${infer B extends keyof PgValues}?`
      ? PgValues[B] | null
      : T extends keyof PgValues
        ? PgValues[T]
        : never;

/** The columns a statement selects (or returns), by name: the row type is derived from it. */
export type Columns = Record<string, PgType>;
/** Columns declared apart from one statement, for several to share (`sql(CONSULTATION, …)`): keeps their literal types. */
export const columns = <C extends Columns>(c: C): C => c;
export type RowOf<C extends Columns> = { -readonly [K in keyof C]: ValueOf<C[K]> };
/** The select list of those columns, in their declared order. */
export const columnList = (c: Columns): string => Object.keys(c).join(', ');

type Camel<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<Camel<T>>}`
  : S;
/** A row with its snake_case column names as the domain's camelCase fields (`ae_title` → `aeTitle`). */
export type CamelRow<R> = { [K in keyof R as K extends string ? Camel<K> : K]: R[K] };
/** The row as a domain object, where a table's columns are exactly the object's fields. */
export function camelRow<R extends object>(row: R): CamelRow<R> {
  const fields: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row))
    fields[column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
  return fields as CamelRow<R>;
}

/** The parameters, positional as `$1…`: optional when the statement may take none. */
type Args<P extends readonly unknown[]> = [] extends P ? [params?: P] : [params: P];

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
 * A SQL statement with its types declared once, beside the SQL: the columns it answers (`C`,
 * the row type derived from them), its parameters (`P`, a tuple, `$1…` in order) and the mapper
 * from a row to the domain object (`Out`). The first row of every answer is checked against the
 * columns, in every environment (a key comparison per query, not per row), so a column declared
 * but never selected, or selected but never declared, fails at once instead of reading as
 * `undefined`.
 *
 *   const BY_ID = sql({ id: 'uuid', name: 'text' }, `SELECT id, name FROM organization WHERE id = $1`)
 *     .takes<[id: string]>()
 *     .map((r) => ({ id: r.id, name: r.name }));
 *   const org = await BY_ID.first(m, [id]);
 */
export class Statement<
  C extends Columns,
  P extends readonly unknown[] = readonly unknown[],
  Out = RowOf<C>,
> {
  constructor(
    readonly columns: C,
    readonly text: string,
    private readonly toDomain: (row: RowOf<C>) => Out,
    /** Run as a named prepared statement (see `prepared`). */
    readonly named = false,
  ) {}

  /** The same statement, its parameters typed: `.takes<[id: string, at: Date]>()`. */
  takes<Q extends readonly unknown[]>(): Statement<C, Q, Out> {
    return new Statement(this.columns, this.text, this.toDomain, this.named);
  }

  /** The same statement run as a named prepared statement: parsed and planned once per connection (hot paths). */
  prepared(): Statement<C, P, Out> {
    return new Statement(this.columns, this.text, this.toDomain, true);
  }

  /** The same columns and mapper, with SQL added at the end (a WHERE clause, an ORDER BY). */
  append(more: string): Statement<C, P, Out> {
    return new Statement(this.columns, `${this.text}\n${more}`, this.toDomain, this.named);
  }

  /** The same SQL and row, mapped to a domain object. */
  map<T>(toDomain: (row: RowOf<C>) => T): Statement<C, P, T> {
    return new Statement(this.columns, this.text, toDomain, this.named);
  }

  /** Every row, mapped. RETURNING rows of an UPDATE or DELETE too. */
  async all(db: Db, ...[params]: Args<P>): Promise<Out[]> {
    const rows = rowsOf<RowOf<C>>(await query(db, this.text, params ?? [], this.named));
    if (rows.length) this.check(rows[0]);
    return rows.map((r) => this.toDomain(r));
  }

  /** The first row, mapped, or null when there is none. */
  async first(db: Db, ...args: Args<P>): Promise<Out | null> {
    return (await this.all(db, ...args))[0] ?? null;
  }

  /** Runs it for its effect: the number of rows an UPDATE or DELETE changed (of other statements, the rows answered). */
  async run(db: Db, ...[params]: Args<P>): Promise<number> {
    return changed(await query(db, this.text, params ?? [], this.named));
  }

  private check(row: object): void {
    const missing = Object.keys(this.columns).filter((k) => !(k in row));
    const extra = Object.keys(row).filter((k) => !(k in this.columns));
    if (missing.length || extra.length) throw new RowShapeError(this.text, missing, extra);
  }
}

/** `sql(columns, text)`: a statement answering rows of `columns`; `.takes<[…]>()` types its parameters. */
export function sql<C extends Columns>(columns: C, text: string): Statement<C> {
  return new Statement(columns, text, (r) => r);
}

/** A statement answering no rows anybody reads (an INSERT, an UPDATE): only `.run`. */
export function command<P extends readonly unknown[] = readonly unknown[]>(
  text: string,
): Pick<Statement<Record<string, never>, P, never>, 'run' | 'text' | 'prepared'> {
  return new Statement<Record<string, never>, P, never>({}, text, () => undefined as never);
}

/** A statement run once, for its effect: resolves to the number of rows it changed. */
export function execute(db: Db, text: string, params: readonly unknown[] = []): Promise<number> {
  return command(text).run(db, params);
}

function query(db: Db, text: string, params: readonly unknown[], named: boolean): Promise<unknown> {
  // A fresh prepared-statement object per call: node-postgres writes the values into it.
  return db.query(named ? prepared(text) : text, [...params]);
}

/** TypeORM answers UPDATE/DELETE with [rows, rowCount] and other statements with rows; this gives the rows either way. */
export function rowsOf<T>(r: unknown): T[] {
  return (isWriteResult(r) ? r[0] : r) as T[];
}

function changed(r: unknown): number {
  return isWriteResult(r) ? r[1] : Array.isArray(r) ? r.length : 0;
}

function isWriteResult(r: unknown): r is [unknown[], number] {
  return Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number';
}

/**
 * Numbered parameters for SQL assembled from optional filters: `where.push(\`x = ${params.add(v)}\`)`,
 * or destructured, `const { add } = params; where.push(\`x = ${add(v)}\`)`. Run with `.all(db, params.values)`.
 */
export class Params {
  readonly values: unknown[] = [];
  /** The next `$n`, holding `value` (bound: it may be destructured). */
  readonly add = (value: unknown): string => `$${this.values.push(value)}`;
}
