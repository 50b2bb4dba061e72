import { Script, createContext } from 'node:vm';
import { DateTime } from 'luxon';
import { RRule, rrulestr } from 'rrule';

/**
 * A shift's timing as a coordinator states it: wall-clock times in an IANA zone, optionally
 * repeated by an RFC 5545 RRULE with EXDATE exceptions.
 *
 * Why "floating": rrule.js computes in UTC. Expanding a rule anchored at 09:00 Europe/Berlin
 * as a UTC instant would keep the instant's UTC hour fixed, so after the spring change the
 * shift would start at 10:00 local. Instead the rule is expanded on wall-clock times written
 * as if they were UTC (rrule's "floating" use), and only each resulting wall-clock time is
 * placed in the zone with luxon. 09:00 local stays 09:00 local on both sides of a DST change.
 */
export interface ShiftTiming {
  timeZone: string;
  /** First occurrence's local start, `YYYY-MM-DDTHH:mm`. */
  startLocal: string;
  /** Wall-clock length: 09:00 + 180 min ends at 12:00 local even on a DST night. */
  durationMinutes: number;
  /** RRULE value without DTSTART (e.g. `FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`); UNTIL is read as local time. */
  rrule?: string | null;
  /** Local dates `YYYY-MM-DD` (drop every occurrence that day) or starts `YYYY-MM-DDTHH:mm`. */
  exdates?: string[];
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
}

export interface ShiftOccurrenceTime {
  start: Date;
  end: Date;
  /** The occurrence widened by the shift's buffers: what no other shift of the specialist may touch. */
  blockedStart: Date;
  blockedEnd: Date;
  /** Local calendar date of the start, in the shift's zone (the grassroots ledger counts these). */
  localDate: string;
  /** Local start `YYYY-MM-DDTHH:mm`. */
  localStart: string;
}

/** What is wrong with a shift's timing; `code` says which part (the API answers it as the error code). */
export type RecurrenceProblem =
  'invalid_rrule' | 'invalid_exdate' | 'invalid_time_zone' | 'invalid_time';

export class RecurrenceError extends Error {
  constructor(
    message: string,
    readonly code: RecurrenceProblem = 'invalid_rrule',
  ) {
    super(message);
  }
}

const LOCAL_MINUTE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isValidTimeZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

/** `YYYY-MM-DDTHH:mm` in a zone -> the instant. A time inside a spring-forward gap moves forward by the gap. */
export function localToInstant(local: string, zone: string): Date {
  const m = LOCAL_MINUTE.exec(local);
  if (!m)
    throw new RecurrenceError(`"${local}" should be a local time YYYY-MM-DDTHH:mm`, 'invalid_time');
  const dt = DateTime.fromObject(
    { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5] },
    { zone },
  );
  if (!dt.isValid)
    throw new RecurrenceError(
      `"${local}" is not a valid time in ${zone}: ${dt.invalidExplanation ?? dt.invalidReason}`,
      'invalid_time',
    );
  return dt.toJSDate();
}

export function instantToLocal(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");
}

function floating(local: string): Date {
  const m = LOCAL_MINUTE.exec(local);
  if (!m)
    throw new RecurrenceError(`"${local}" should be a local time YYYY-MM-DDTHH:mm`, 'invalid_time');
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
  if (d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3] || +m[4] > 23 || +m[5] > 59)
    throw new RecurrenceError(`"${local}" is not a calendar time`, 'invalid_time');
  return d;
}

const floatingToLocal = (d: Date) => d.toISOString().slice(0, 16);

const FREQUENCIES = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
type Freq = (typeof FREQUENCIES)[number];
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const KNOWN_PARTS = [
  'FREQ',
  'INTERVAL',
  'COUNT',
  'UNTIL',
  'BYDAY',
  'BYMONTHDAY',
  'BYMONTH',
  'BYSETPOS',
  'WKST',
];
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
/** A rule whose parts can never meet makes rrule.js search day by day up to the year 9999 (13 s for a DAILY rule): this bounds the search. */
const RULE_SEARCH_MS = 1_000;

/** A comma list of whole numbers, none 0, each within ±max (or 1..max when not `signed`). */
function integers(name: string, value: string, max: number, signed: boolean): number[] {
  return value.split(',').map((v) => {
    const n = /^[+-]?\d{1,4}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n === 0 || Math.abs(n) > max || (!signed && n < 0)) {
      throw new RecurrenceError(
        `rrule ${name} "${v}" should be a whole number from 1 to ${max}${signed ? ` or -1 to -${max} (counted from the end)` : ''}`,
      );
    }
    return n;
  });
}

/**
 * Reads an RRULE value part by part and says what is wrong in words a coordinator can act on,
 * before rrule.js sees it (it accepts a missing FREQ as YEARLY, ignores COUNT=abc, and answers
 * a bad BYDAY with "Cannot read properties of undefined"). Returns the value normalized.
 */
export function checkRule(rule: string): string {
  const text = rule.trim().replace(/^RRULE:/i, '');
  if (/DTSTART|TZID|\n/i.test(text))
    throw new RecurrenceError(
      'rrule takes only the RRULE value (FREQ=...;...): the start and time zone are fields of the shift',
    );
  if (!text)
    throw new RecurrenceError(
      'rrule is empty: give FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with COUNT or UNTIL, or leave rrule out for a single occurrence',
    );
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toUpperCase();
    const value =
      eq < 0
        ? ''
        : part
            .slice(eq + 1)
            .trim()
            .toUpperCase();
    if (['BYHOUR', 'BYMINUTE', 'BYSECOND'].includes(name))
      throw new RecurrenceError(
        `rrule ${name} is not used: the time of day comes from the shift's start and end`,
      );
    if (!KNOWN_PARTS.includes(name))
      throw new RecurrenceError(
        `rrule part "${name}" is unknown or not supported for shifts; use ${KNOWN_PARTS.join(', ')}`,
      );
    if (!value) throw new RecurrenceError(`rrule ${name} has no value (write ${name}=...)`);
    if (parts.has(name)) throw new RecurrenceError(`rrule gives ${name} twice`);
    parts.set(name, value);
  }
  const freq = parts.get('FREQ');
  if (!freq)
    throw new RecurrenceError(
      'rrule has no FREQ: say how it repeats with FREQ=DAILY, WEEKLY, MONTHLY or YEARLY',
    );
  if (!FREQUENCIES.includes(freq as Freq)) {
    const sub = ['HOURLY', 'MINUTELY', 'SECONDLY'].includes(freq);
    throw new RecurrenceError(
      `rrule FREQ=${freq} is ${sub ? 'not supported for shifts' : 'unknown'}: use DAILY, WEEKLY, MONTHLY or YEARLY`,
    );
  }
  const count = parts.get('COUNT');
  const until = parts.get('UNTIL');
  if (count && until)
    throw new RecurrenceError(
      'rrule gives both COUNT and UNTIL: RFC 5545 allows one of them (COUNT occurrences, or until a local date/time)',
    );
  if (!count && !until)
    throw new RecurrenceError(
      'rrule needs COUNT or UNTIL: occurrences are stored, so a rotation must end (repeat it later to extend)',
    );
  if (count !== undefined && !/^\d{1,6}$/.test(count))
    throw new RecurrenceError(`rrule COUNT "${count}" should be a whole number of occurrences`);
  if (count !== undefined && Number(count) < 1)
    throw new RecurrenceError('rrule COUNT=0 makes no occurrence: COUNT should be at least 1');
  if (until !== undefined) {
    const u = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(until);
    const d =
      u && new Date(Date.UTC(+u[1], +u[2] - 1, +u[3], +(u[4] ?? 0), +(u[5] ?? 0), +(u[6] ?? 0)));
    if (
      !u ||
      !d ||
      d.getUTCMonth() !== +u[2] - 1 ||
      d.getUTCDate() !== +u[3] ||
      +(u[4] ?? 0) > 23 ||
      +(u[5] ?? 0) > 59 ||
      +(u[6] ?? 0) > 59
    ) {
      throw new RecurrenceError(
        `rrule UNTIL "${until}" should be a local date YYYYMMDD or date-time YYYYMMDDTHHMMSS`,
      );
    }
  }
  if (parts.has('INTERVAL')) integers('INTERVAL', parts.get('INTERVAL')!, 1000, false);
  const byday = parts.get('BYDAY');
  if (byday) {
    for (const d of byday.split(',')) {
      const m = /^([+-]?\d{1,2})?([A-Z]{2})$/.exec(d);
      if (!m || !WEEKDAYS.includes(m[2]))
        throw new RecurrenceError(
          `rrule BYDAY "${d}" is not a weekday: use ${WEEKDAYS.join(', ')}, optionally with a position in the month or year (1MO, -1FR)`,
        );
      if (m[1] !== undefined) {
        const n = Number(m[1]);
        if (freq !== 'MONTHLY' && freq !== 'YEARLY')
          throw new RecurrenceError(
            `rrule BYDAY "${d}": a position (${m[1]}) only goes with FREQ=MONTHLY or YEARLY`,
          );
        if (n === 0 || Math.abs(n) > (freq === 'MONTHLY' ? 5 : 53))
          throw new RecurrenceError(
            `rrule BYDAY "${d}": the position should be 1 to ${freq === 'MONTHLY' ? 5 : 53} or -1 to -${freq === 'MONTHLY' ? 5 : 53}`,
          );
      }
    }
  }
  const wkst = parts.get('WKST');
  if (wkst && !WEEKDAYS.includes(wkst))
    throw new RecurrenceError(`rrule WKST "${wkst}" is not a weekday: use ${WEEKDAYS.join(', ')}`);
  const months = parts.has('BYMONTH')
    ? integers('BYMONTH', parts.get('BYMONTH')!, 12, false)
    : null;
  const monthDays = parts.has('BYMONTHDAY')
    ? integers('BYMONTHDAY', parts.get('BYMONTHDAY')!, 31, true)
    : null;
  if (monthDays && freq === 'WEEKLY')
    throw new RecurrenceError(
      'rrule BYMONTHDAY does not go with FREQ=WEEKLY (RFC 5545); use FREQ=MONTHLY',
    );
  if (parts.has('BYSETPOS')) {
    integers('BYSETPOS', parts.get('BYSETPOS')!, 366, true);
    if (![...parts.keys()].some((k) => k.startsWith('BY') && k !== 'BYSETPOS'))
      throw new RecurrenceError(
        'rrule BYSETPOS picks among the days another BY part gives (e.g. BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1)',
      );
  }
  if (monthDays) {
    // A day that no listed month has (30 February) never comes: say so rather than search for it.
    const inMonths = months ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    if (!monthDays.some((d) => inMonths.some((mo) => Math.abs(d) <= DAYS_IN_MONTH[mo - 1]))) {
      throw new RecurrenceError(
        `rrule BYMONTHDAY=${monthDays.join(',')} never falls in ${inMonths.map((mo) => MONTH_NAMES[mo - 1]).join(', ')}: the rule has no occurrence`,
      );
    }
  }
  return [...parts].map(([k, v]) => `${k}=${v}`).join(';');
}

/** Parses and bounds-checks an RRULE value (see checkRule). */
export function parseRule(rule: string, dtstart: Date): RRule {
  const text = checkRule(rule);
  let parsed: RRule;
  try {
    parsed = rrulestr(`RRULE:${text}`, { dtstart }) as RRule;
  } catch (e) {
    throw new RecurrenceError(
      `rrule "${text}" is not a valid RFC 5545 RRULE: ${(e as Error).message}`,
    );
  }
  if (!(parsed instanceof RRule)) throw new RecurrenceError('rrule should be a single RRULE');
  return parsed;
}

const searchContext = createContext({});
const searchScript = new Script('search()');

/** Runs a synchronous search, stopped (and answered with null) after `ms`: node:vm's timeout also ends the functions the script calls. */
function withinTime<T>(search: () => T, ms: number): T | null {
  searchContext.search = search;
  try {
    return searchScript.runInContext(searchContext, { timeout: ms }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return null;
    throw e;
  } finally {
    searchContext.search = undefined;
  }
}

/** Every occurrence of a shift, in time order, as instants. */
export function expandShift(t: ShiftTiming, maxOccurrences: number): ShiftOccurrenceTime[] {
  if (!isValidTimeZone(t.timeZone))
    throw new RecurrenceError(`"${t.timeZone}" is not an IANA time zone`, 'invalid_time_zone');
  const anchor = floating(t.startLocal);
  let starts: Date[] = [anchor];
  if (t.rrule) {
    const rule = parseRule(t.rrule, anchor);
    const text = checkRule(t.rrule);
    const found = withinTime(() => rule.all((_d, i) => i <= maxOccurrences), RULE_SEARCH_MS);
    if (!found)
      throw new RecurrenceError(
        `rrule "${text}" finds (almost) no occurrence from ${t.startLocal}: its parts (BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, INTERVAL) seldom or never meet`,
      );
    if (!found.length)
      throw new RecurrenceError(
        `rrule "${text}" has no occurrence from ${t.startLocal}${rule.options.until ? ' (is UNTIL before the start?)' : ''}`,
      );
    if (found.length > maxOccurrences)
      throw new RecurrenceError(
        `rrule makes more than ${maxOccurrences} occurrences; split the rotation or shorten it`,
      );
    starts = found;
  }
  const exDates = new Set<string>();
  const exStarts = new Set<string>();
  for (const ex of t.exdates ?? []) {
    if (LOCAL_DATE.test(ex)) exDates.add(ex);
    else if (LOCAL_MINUTE.test(ex)) exStarts.add(ex);
    else
      throw new RecurrenceError(
        `exdate "${ex}" should be a local date YYYY-MM-DD or a local start YYYY-MM-DDTHH:mm`,
        'invalid_exdate',
      );
  }
  const before = (t.bufferBeforeMinutes ?? 0) * 60_000;
  const after = (t.bufferAfterMinutes ?? 0) * 60_000;
  const out: ShiftOccurrenceTime[] = [];
  for (const f of starts) {
    const localStart = floatingToLocal(f);
    if (exDates.has(localStart.slice(0, 10)) || exStarts.has(localStart)) continue;
    const start = localToInstant(localStart, t.timeZone);
    const end = localToInstant(
      floatingToLocal(new Date(f.getTime() + t.durationMinutes * 60_000)),
      t.timeZone,
    );
    if (end <= start)
      throw new RecurrenceError(
        `the occurrence at ${localStart} ${t.timeZone} has no length after the clock change`,
        'invalid_time',
      );
    out.push({
      start,
      end,
      blockedStart: new Date(start.getTime() - before),
      blockedEnd: new Date(end.getTime() + after),
      localDate: localStart.slice(0, 10),
      localStart,
    });
  }
  return out;
}

/** Slot starts within one occurrence: back to back from its start, whole slots only. */
export function slotStarts(start: Date, end: Date, slotMinutes: number): Date[] {
  const out: Date[] = [];
  for (
    let s = start.getTime();
    s + slotMinutes * 60_000 <= end.getTime();
    s += slotMinutes * 60_000
  )
    out.push(new Date(s));
  return out;
}
