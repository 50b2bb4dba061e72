/**
 * How a view the server holds with Dates relates to the view the web reads: the server answers
 * JSON, so a Date field arrives as its ISO string. The contract spells the web's side (strings);
 * the server derives its in-memory side from it, so a change to either breaks the other's compile.
 */
export type WithDates<T, K extends keyof T> = Omit<T, K> & {
  [P in K]: T[P] extends string ? Date : T[P] extends string | null ? Date | null : never;
};

/** One page of a list (what a list taking `limit` and `offset` answers). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
