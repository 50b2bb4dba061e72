import { DateTime } from 'luxon';
import { Frequency, RRule, rrulestr } from 'rrule';

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

export class RecurrenceError extends Error {}

const LOCAL_MINUTE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ALLOWED_FREQ = new Set([Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY, Frequency.YEARLY]);

export function isValidTimeZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

/** `YYYY-MM-DDTHH:mm` in a zone -> the instant. A time inside a spring-forward gap moves forward by the gap. */
export function localToInstant(local: string, zone: string): Date {
  const m = LOCAL_MINUTE.exec(local);
  if (!m) throw new RecurrenceError(`"${local}" should be a local time YYYY-MM-DDTHH:mm`);
  const dt = DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5] }, { zone });
  if (!dt.isValid) throw new RecurrenceError(`"${local}" is not a valid time in ${zone}: ${dt.invalidExplanation ?? dt.invalidReason}`);
  return dt.toJSDate();
}

export function instantToLocal(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");
}

function floating(local: string): Date {
  const m = LOCAL_MINUTE.exec(local);
  if (!m) throw new RecurrenceError(`"${local}" should be a local time YYYY-MM-DDTHH:mm`);
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
  if (d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3] || +m[4] > 23 || +m[5] > 59) throw new RecurrenceError(`"${local}" is not a calendar time`);
  return d;
}

const floatingToLocal = (d: Date) => d.toISOString().slice(0, 16);

/** Parses and bounds-checks an RRULE value; returns it normalized (no `RRULE:` prefix). */
export function parseRule(rule: string, dtstart: Date): RRule {
  const text = rule.trim().replace(/^RRULE:/i, '');
  if (/DTSTART|TZID|\n/i.test(text)) throw new RecurrenceError('rrule takes only the RRULE value (FREQ=...;...): the start and time zone are fields of the shift');
  let parsed: RRule;
  try {
    parsed = rrulestr(`RRULE:${text}`, { dtstart }) as RRule;
  } catch (e) {
    throw new RecurrenceError(`rrule "${text}" is not a valid RFC 5545 RRULE: ${(e as Error).message}`);
  }
  if (!(parsed instanceof RRule)) throw new RecurrenceError('rrule should be a single RRULE');
  if (!ALLOWED_FREQ.has(parsed.options.freq)) throw new RecurrenceError('rrule FREQ should be DAILY, WEEKLY, MONTHLY or YEARLY');
  if (!parsed.options.count && !parsed.options.until) throw new RecurrenceError('rrule needs COUNT or UNTIL: occurrences are stored, so a rotation must end (repeat it later to extend)');
  return parsed;
}

/** Every occurrence of a shift, in time order, as instants. */
export function expandShift(t: ShiftTiming, maxOccurrences: number): ShiftOccurrenceTime[] {
  if (!isValidTimeZone(t.timeZone)) throw new RecurrenceError(`"${t.timeZone}" is not an IANA time zone`);
  const anchor = floating(t.startLocal);
  let starts: Date[] = [anchor];
  if (t.rrule) {
    const rule = parseRule(t.rrule, anchor);
    starts = rule.all((_d, i) => i <= maxOccurrences);
    if (starts.length > maxOccurrences) throw new RecurrenceError(`the rule makes more than ${maxOccurrences} occurrences; split the rotation or shorten it`);
  }
  const exDates = new Set<string>();
  const exStarts = new Set<string>();
  for (const ex of t.exdates ?? []) {
    if (LOCAL_DATE.test(ex)) exDates.add(ex);
    else if (LOCAL_MINUTE.test(ex)) exStarts.add(ex);
    else throw new RecurrenceError(`exdate "${ex}" should be a local date YYYY-MM-DD or a local start YYYY-MM-DDTHH:mm`);
  }
  const before = (t.bufferBeforeMinutes ?? 0) * 60_000;
  const after = (t.bufferAfterMinutes ?? 0) * 60_000;
  const out: ShiftOccurrenceTime[] = [];
  for (const f of starts) {
    const localStart = floatingToLocal(f);
    if (exDates.has(localStart.slice(0, 10)) || exStarts.has(localStart)) continue;
    const start = localToInstant(localStart, t.timeZone);
    const end = localToInstant(floatingToLocal(new Date(f.getTime() + t.durationMinutes * 60_000)), t.timeZone);
    if (end <= start) throw new RecurrenceError(`the occurrence at ${localStart} ${t.timeZone} has no length after the clock change`);
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
  for (let s = start.getTime(); s + slotMinutes * 60_000 <= end.getTime(); s += slotMinutes * 60_000) out.push(new Date(s));
  return out;
}
