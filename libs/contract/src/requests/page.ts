/** The paging every list route takes (`limit` 1-200, default 50; `offset` from 0). */
export interface PageFilter {
  limit?: number;
  offset?: number;
}

/** A time range of a report or list (ISO 8601 instants or dates; the route says its defaults). */
export interface TimeRange {
  from?: string;
  to?: string;
}
