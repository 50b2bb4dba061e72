/** `[start,end)` as PostgreSQL range text (a tstzrange parameter). */
export const rangeText = (start: Date, end: Date) =>
  `[${start.toISOString()},${end.toISOString()})`;
