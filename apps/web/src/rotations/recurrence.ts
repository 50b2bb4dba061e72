/** Recurrence as the shift form states it, to and from an RFC 5545 RRULE value (the API expands it). */
import type { Translate } from '../i18n/I18nProvider';

export type Repeat = 'none' | 'daily' | 'weekly' | 'biweekly' | 'monthly';
export const REPEATS: Repeat[] = ['none', 'daily', 'weekly', 'biweekly', 'monthly'];
export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface RecurrenceInput {
  repeat: Repeat;
  weekdays?: Weekday[];
  endKind?: 'count' | 'until';
  count?: number;
  /** Local date YYYY-MM-DD, inclusive. */
  until?: string;
  /** Local end time of each occurrence HH:mm, to make UNTIL include the last day. */
  dayEnd?: string;
}

/** ISO weekday 1-7 (Monday first) to the RRULE code. */
export const weekdayOf = (isoDay: number): Weekday => WEEKDAYS[(isoDay + 6) % 7];

export function toRrule(r: RecurrenceInput): string | null {
  if (r.repeat === 'none') return null;
  const parts: string[] = [];
  if (r.repeat === 'daily') parts.push('FREQ=DAILY');
  if (r.repeat === 'weekly' || r.repeat === 'biweekly') {
    parts.push('FREQ=WEEKLY');
    if (r.repeat === 'biweekly') parts.push('INTERVAL=2');
    if (r.weekdays?.length)
      parts.push(`BYDAY=${WEEKDAYS.filter((d) => r.weekdays!.includes(d)).join(',')}`);
  }
  if (r.repeat === 'monthly') parts.push('FREQ=MONTHLY');
  if (r.endKind === 'until' && r.until) parts.push(`UNTIL=${r.until.replace(/-/g, '')}T235900`);
  else parts.push(`COUNT=${r.count ?? 8}`);
  return parts.join(';');
}

/** A sentence a coordinator reads before saving: 每周一、三，共 8 次. */
export function describeRecurrence(r: RecurrenceInput, t: Translate): string {
  if (r.repeat === 'none') return t('rot.repeat.once');
  const days = r.weekdays?.length
    ? WEEKDAYS.filter((d) => r.weekdays!.includes(d))
        .map((d) => t(`rot.weekday.${d}`))
        .join(t('rot.listSep'))
    : '';
  const base =
    r.repeat === 'daily'
      ? t('rot.describe.daily')
      : r.repeat === 'monthly'
        ? t('rot.describe.monthly')
        : t(r.repeat === 'weekly' ? 'rot.describe.weekly' : 'rot.describe.biweekly', { days });
  const end =
    r.endKind === 'until' && r.until
      ? t('rot.describe.until', { date: r.until })
      : t('rot.describe.count', { n: r.count ?? 8 });
  return `${base}${t('rot.comma')}${end}`;
}
