import type { EntityManager } from 'typeorm';

/** What runs a statement: the DataSource's manager, or a transaction's EntityManager `m`. */
export type Db = Pick<EntityManager, 'query'>;

/**
 * One parameterized statement with its types declared once, beside its text: the parameters
 * (`P`, positional as `$1…`) and the row PostgreSQL answers (the mapper's argument), mapped to
 * what the store's callers get. Nothing else sees the row type.
 *
 *   const byId = statement<[id: string]>(`SELECT * FROM consultation_request WHERE id = $1`).map(toConsultation);
 *   const c = await byId.first(m, id);
 */
export class Statement<P extends readonly unknown[], Out> {
  constructor(
    readonly text: string,
    private readonly mapper: (row: never) => Out,
  ) {}

  /** Every row, mapped. RETURNING rows of an UPDATE or DELETE too. */
  async all(db: Db, ...params: P): Promise<Out[]> {
    return (await execute(db, this.text, params)).rows.map((r) => this.mapper(r as never));
  }

  /** The first row, mapped, or null when there is none. */
  async first(db: Db, ...params: P): Promise<Out | null> {
    const [row] = (await execute(db, this.text, params)).rows;
    return row === undefined ? null : this.mapper(row as never);
  }

  /** Runs it for its effect; the number of rows an UPDATE or DELETE touched (null for other commands). */
  async run(db: Db, ...params: P): Promise<number | null> {
    return (await execute(db, this.text, params)).count;
  }
}

/** Declares a statement's parameters; `.map(fn)` declares its row (fn's argument) and result, `.rows<Row>()` a row taken as is. */
export function statement<P extends readonly unknown[]>(text: string) {
  return {
    map: <Row, Out>(fn: (row: Row) => Out) => new Statement<P, Out>(text, fn),
    rows: <Row>() => new Statement<P, Row>(text, (row: Row) => row),
    /** A statement read for its effect only. */
    exec: () => new Statement<P, never>(text, () => undefined as never),
  };
}

/** TypeORM answers UPDATE and DELETE with [rows, rowCount] and everything else with the rows. */
async function execute(
  db: Db,
  text: string,
  params: readonly unknown[],
): Promise<{ rows: unknown[]; count: number | null }> {
  const r: unknown = await db.query(text, [...params]);
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') {
    return { rows: r[0] as unknown[], count: r[1] };
  }
  return { rows: r as unknown[], count: null };
}

/** Collects the parameters of a statement built from parts: `p(value)` gives the next `$n`. */
export class Params {
  readonly values: unknown[] = [];
  readonly p = (v: unknown): string => {
    this.values.push(v);
    return `$${this.values.length}`;
  };
}
