import { describe, expect, it } from '@jest/globals';
import { RecurrenceError, expandShift, localToInstant } from './recurrence';
import { escapeText, foldLine, renderCalendar } from './ical';

const iso = (d: Date) => d.toISOString();

describe('shift recurrence in a time zone', () => {
  it('keeps 09:00 local across the spring DST change in Europe/Berlin and honours an EXDATE', () => {
    const occ = expandShift(
      { timeZone: 'Europe/Berlin', startLocal: '2027-03-15T09:00', durationMinutes: 180, rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=5', exdates: ['2027-03-22'] },
      100,
    );
    expect(occ.map((o) => o.localStart)).toEqual(['2027-03-15T09:00', '2027-03-29T09:00', '2027-04-05T09:00', '2027-04-12T09:00']);
    // CET (UTC+1) before 28 March 2027, CEST (UTC+2) after.
    expect(occ.map((o) => iso(o.start))).toEqual(['2027-03-15T08:00:00.000Z', '2027-03-29T07:00:00.000Z', '2027-04-05T07:00:00.000Z', '2027-04-12T07:00:00.000Z']);
    expect(occ.map((o) => iso(o.end))).toEqual(['2027-03-15T11:00:00.000Z', '2027-03-29T10:00:00.000Z', '2027-04-05T10:00:00.000Z', '2027-04-12T10:00:00.000Z']);
  });

  it('keeps wall-clock times in America/New_York through the autumn change, UNTIL read as local', () => {
    const occ = expandShift({ timeZone: 'America/New_York', startLocal: '2027-11-05T14:00', durationMinutes: 60, rrule: 'FREQ=DAILY;UNTIL=20271109T140000', exdates: ['2027-11-07T14:00'] }, 100);
    // US clocks go back on Sunday 7 November 2027; UNTIL 14:00 local includes the 9th.
    expect(occ.map((o) => o.localStart)).toEqual(['2027-11-05T14:00', '2027-11-06T14:00', '2027-11-08T14:00', '2027-11-09T14:00']);
    expect(occ.map((o) => o.start.getUTCHours())).toEqual([18, 18, 19, 19]); // EDT UTC-4, then EST UTC-5
  });

  it('defaults nothing magic: Asia/Shanghai has no DST, 09:00 is 01:00Z all year', () => {
    const occ = expandShift({ timeZone: 'Asia/Shanghai', startLocal: '2027-03-01T09:00', durationMinutes: 240, rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12' }, 100);
    expect(occ).toHaveLength(12);
    expect(new Set(occ.map((o) => o.start.getUTCHours()))).toEqual(new Set([1]));
    expect(occ[0].localDate).toBe('2027-03-01');
  });

  it('widens the blocked time by the buffers, and a wall-clock duration over a DST night', () => {
    const [o] = expandShift({ timeZone: 'Europe/Berlin', startLocal: '2027-03-27T22:00', durationMinutes: 8 * 60, bufferBeforeMinutes: 30, bufferAfterMinutes: 15 }, 10);
    expect(iso(o.start)).toBe('2027-03-27T21:00:00.000Z');
    expect(iso(o.end)).toBe('2027-03-28T04:00:00.000Z'); // 06:00 CEST: 7 real hours that night
    expect(iso(o.blockedStart)).toBe('2027-03-27T20:30:00.000Z');
    expect(iso(o.blockedEnd)).toBe('2027-03-28T04:15:00.000Z');
  });

  it('moves a start inside the spring-forward gap forward', () => {
    expect(iso(localToInstant('2027-03-28T02:30', 'Europe/Berlin'))).toBe('2027-03-28T01:30:00.000Z'); // 03:30 CEST
  });

  it('refuses unbounded, too long, or malformed rules with a message', () => {
    const base = { timeZone: 'Asia/Shanghai', startLocal: '2027-01-04T09:00', durationMinutes: 60 };
    expect(() => expandShift({ ...base, rrule: 'FREQ=WEEKLY' }, 50)).toThrow(/COUNT or UNTIL/);
    expect(() => expandShift({ ...base, rrule: 'FREQ=DAILY;COUNT=51' }, 50)).toThrow(/more than 50/);
    expect(() => expandShift({ ...base, rrule: 'FREQ=DAILY;COUNT=50' }, 50)).not.toThrow();
    expect(() => expandShift({ ...base, rrule: 'FREQ=MINUTELY;COUNT=5' }, 50)).toThrow(RecurrenceError);
    expect(() => expandShift({ ...base, rrule: 'DTSTART:20270101T000000Z\nRRULE:FREQ=DAILY;COUNT=2' }, 50)).toThrow(/only the RRULE value/);
    expect(() => expandShift({ ...base, timeZone: 'Mars/Olympus' }, 50)).toThrow(/IANA/);
    expect(() => expandShift({ ...base, exdates: ['next monday'] }, 50)).toThrow(/exdate/);
  });
});

describe('iCalendar text', () => {
  it('escapes TEXT and folds at 75 octets without splitting a UTF-8 character', () => {
    expect(escapeText('a;b,c\\d\ne')).toBe('a\\;b\\,c\\\\d\\ne');
    const line = 'SUMMARY:' + '青山县石桥镇卫生院'.repeat(6);
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(1);
    for (const [i, p] of parts.entries()) {
      expect(Buffer.byteLength(p, 'utf8')).toBeLessThanOrEqual(75);
      if (i > 0) expect(p.startsWith(' ')).toBe(true);
    }
    expect(parts.map((p, i) => (i ? p.slice(1) : p)).join('')).toBe(line); // unfolds to the original
  });

  it('renders a calendar with CRLF lines and UTC times', () => {
    const text = renderCalendar({ name: 'Dr. 王', now: new Date('2027-01-01T00:00:00Z'), events: [{ uid: 'x@huizhen', start: new Date('2027-03-15T08:00:00Z'), end: new Date('2027-03-15T11:00:00Z'), summary: 'On-site, 石桥镇' }] });
    expect(text.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(text).toContain('DTSTART:20270315T080000Z\r\n');
    expect(text).toContain('SUMMARY:On-site\\, 石桥镇\r\n');
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
  });
});
