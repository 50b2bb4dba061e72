/** The rotation calendar's geometry and its entries: one per scheduled occurrence, placed by local date and minutes. */
import type { Dayjs } from 'dayjs';
import type { Occurrence, Shift } from '../api/scheduling';

export interface CalendarEntry {
  shift: Shift;
  occurrence: Occurrence;
  /** Local date and minutes since midnight (shift's zone). */
  date: string;
  startMin: number;
  endMin: number;
}

export type CalendarView = 'week' | 'month';

/** The week view's hours (the first shown, the one after the last) and an hour's height. */
export const FIRST_HOUR = 7;
export const LAST_HOUR = 21;
export const HOUR_PX = 36;
export const MODE_COLOR = { remote_block: '#1f6feb', on_site_visit: '#d46b08' } as const;

/** Minutes since midnight of a local 'YYYY-MM-DDTHH:MM' time. */
export const minutesOf = (local: string) =>
  Number(local.slice(11, 13)) * 60 + Number(local.slice(14, 16));
export const mondayOf = (d: Dayjs) => d.subtract((d.day() + 6) % 7, 'day').startOf('day');
/** Minutes since midnight as HH:MM. */
export const clock = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
export const hh = (h: number) => clock(h * 60);
export const dayKey = (d: Dayjs) => d.format('YYYY-MM-DD');

/** The first day shown and the day after the last: a week, or the whole weeks a month touches. */
export function rangeOf(view: CalendarView, anchor: Dayjs): [Dayjs, Dayjs] {
  if (view === 'week') {
    const m = mondayOf(anchor);
    return [m, m.add(7, 'day')];
  }
  const m = mondayOf(anchor.startOf('month'));
  return [m, mondayOf(anchor.endOf('month')).add(7, 'day')];
}

/** The scheduled occurrences starting within [first, last), by local date and start. */
export function entriesOf(shifts: Shift[], first: Dayjs, last: Dayjs): CalendarEntry[] {
  const out: CalendarEntry[] = [];
  const from = dayKey(first);
  const to = dayKey(last);
  for (const s of shifts) {
    for (const o of s.occurrences) {
      const date = o.localStart.slice(0, 10);
      if (date < from || date >= to || o.status === 'cancelled') continue;
      const startMin = minutesOf(o.localStart);
      const endMin = o.localEnd.slice(0, 10) === date ? minutesOf(o.localEnd) : 24 * 60;
      out.push({ shift: s, occurrence: o, date, startMin, endMin });
    }
  }
  return out.sort((a, b) => a.date.localeCompare(b.date) || a.startMin - b.startMin);
}
