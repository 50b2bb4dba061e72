import { describe, expect, it } from '@jest/globals';
import { RecurrenceError, checkRule, expandShift, localToInstant } from './recurrence';
import { escapeText, foldLine, renderCalendar } from './ical';

const iso = (d: Date) => d.toISOString();

describe('shift recurrence in a time zone', () => {
  it('keeps 09:00 local across the spring DST change in Europe/Berlin and honours an EXDATE', () => {
    const occ = expandShift(
      {
        timeZone: 'Europe/Berlin',
        startLocal: '2027-03-15T09:00',
        durationMinutes: 180,
        rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=5',
        exdates: ['2027-03-22'],
      },
      100,
    );
    expect(occ.map((o) => o.localStart)).toEqual([
      '2027-03-15T09:00',
      '2027-03-29T09:00',
      '2027-04-05T09:00',
      '2027-04-12T09:00',
    ]);
    // CET (UTC+1) before 28 March 2027, CEST (UTC+2) after.
    expect(occ.map((o) => iso(o.start))).toEqual([
      '2027-03-15T08:00:00.000Z',
      '2027-03-29T07:00:00.000Z',
      '2027-04-05T07:00:00.000Z',
      '2027-04-12T07:00:00.000Z',
    ]);
    expect(occ.map((o) => iso(o.end))).toEqual([
      '2027-03-15T11:00:00.000Z',
      '2027-03-29T10:00:00.000Z',
      '2027-04-05T10:00:00.000Z',
      '2027-04-12T10:00:00.000Z',
    ]);
  });

  it('keeps wall-clock times in America/New_York through the autumn change, UNTIL read as local', () => {
    const occ = expandShift(
      {
        timeZone: 'America/New_York',
        startLocal: '2027-11-05T14:00',
        durationMinutes: 60,
        rrule: 'FREQ=DAILY;UNTIL=20271109T140000',
        exdates: ['2027-11-07T14:00'],
      },
      100,
    );
    // US clocks go back on Sunday 7 November 2027; UNTIL 14:00 local includes the 9th.
    expect(occ.map((o) => o.localStart)).toEqual([
      '2027-11-05T14:00',
      '2027-11-06T14:00',
      '2027-11-08T14:00',
      '2027-11-09T14:00',
    ]);
    expect(occ.map((o) => o.start.getUTCHours())).toEqual([18, 18, 19, 19]); // EDT UTC-4, then EST UTC-5
  });

  it('defaults nothing magic: Asia/Shanghai has no DST, 09:00 is 01:00Z all year', () => {
    const occ = expandShift(
      {
        timeZone: 'Asia/Shanghai',
        startLocal: '2027-03-01T09:00',
        durationMinutes: 240,
        rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12',
      },
      100,
    );
    expect(occ).toHaveLength(12);
    expect(new Set(occ.map((o) => o.start.getUTCHours()))).toEqual(new Set([1]));
    expect(occ[0].localDate).toBe('2027-03-01');
  });

  it('widens the blocked time by the buffers, and a wall-clock duration over a DST night', () => {
    const [o] = expandShift(
      {
        timeZone: 'Europe/Berlin',
        startLocal: '2027-03-27T22:00',
        durationMinutes: 8 * 60,
        bufferBeforeMinutes: 30,
        bufferAfterMinutes: 15,
      },
      10,
    );
    expect(iso(o.start)).toBe('2027-03-27T21:00:00.000Z');
    expect(iso(o.end)).toBe('2027-03-28T04:00:00.000Z'); // 06:00 CEST: 7 real hours that night
    expect(iso(o.blockedStart)).toBe('2027-03-27T20:30:00.000Z');
    expect(iso(o.blockedEnd)).toBe('2027-03-28T04:15:00.000Z');
  });

  it('moves a start inside the spring-forward gap forward', () => {
    expect(iso(localToInstant('2027-03-28T02:30', 'Europe/Berlin'))).toBe(
      '2027-03-28T01:30:00.000Z',
    ); // 03:30 CEST
  });

  it('refuses unbounded, too long, or malformed rules with a message', () => {
    const base = { timeZone: 'Asia/Shanghai', startLocal: '2027-01-04T09:00', durationMinutes: 60 };
    expect(() => expandShift({ ...base, rrule: 'FREQ=WEEKLY' }, 50)).toThrow(/COUNT or UNTIL/);
    expect(() => expandShift({ ...base, rrule: 'FREQ=DAILY;COUNT=51' }, 50)).toThrow(
      /more than 50/,
    );
    expect(() => expandShift({ ...base, rrule: 'FREQ=DAILY;COUNT=50' }, 50)).not.toThrow();
    expect(() => expandShift({ ...base, rrule: 'FREQ=MINUTELY;COUNT=5' }, 50)).toThrow(
      RecurrenceError,
    );
    expect(() =>
      expandShift({ ...base, rrule: 'DTSTART:20270101T000000Z\nRRULE:FREQ=DAILY;COUNT=2' }, 50),
    ).toThrow(/only the RRULE value/);
    expect(() => expandShift({ ...base, timeZone: 'Mars/Olympus' }, 50)).toThrow(/IANA/);
    expect(() => expandShift({ ...base, exdates: ['next monday'] }, 50)).toThrow(/exdate/);
  });
});

describe('a bad recurrence rule says what is wrong', () => {
  const base = { timeZone: 'Asia/Shanghai', startLocal: '2027-01-04T09:00', durationMinutes: 60 };
  const problem = (rrule: string, max = 50): RecurrenceError => {
    try {
      expandShift({ ...base, rrule }, max);
    } catch (e) {
      expect(e).toBeInstanceOf(RecurrenceError);
      return e as RecurrenceError;
    }
    throw new Error(`"${rrule}" was accepted`);
  };

  it.each([
    [
      'FREQ=FORTNIGHTLY;COUNT=3',
      /FREQ=FORTNIGHTLY is unknown: use DAILY, WEEKLY, MONTHLY or YEARLY/,
    ],
    ['FREQ=HOURLY;COUNT=3', /FREQ=HOURLY is not supported for shifts/],
    ['BYDAY=MO;COUNT=3', /no FREQ/],
    ['COUNT=3', /no FREQ/],
    ['FREQ=WEEKLY;BYDAY=XX;COUNT=3', /BYDAY "XX" is not a weekday: use MO, TU/],
    ['FREQ=WEEKLY;BYDAY=MO,;COUNT=3', /BYDAY "" is not a weekday/],
    ['FREQ=WEEKLY;BYDAY=1MO;COUNT=3', /position \(1\) only goes with FREQ=MONTHLY or YEARLY/],
    ['FREQ=MONTHLY;BYDAY=6FR;COUNT=3', /position should be 1 to 5/],
    ['FREQ=WEEKLY;COUNT=3;UNTIL=20270301T000000', /both COUNT and UNTIL/],
    ['FREQ=WEEKLY;COUNT=abc', /COUNT "ABC" should be a whole number/],
    ['FREQ=WEEKLY;COUNT=0', /COUNT=0 makes no occurrence/],
    ['FREQ=WEEKLY;UNTIL=garbage', /UNTIL "GARBAGE" should be a local date/],
    ['FREQ=WEEKLY;UNTIL=20270230', /UNTIL "20270230" should be a local date/],
    ['FREQ=WEEKLY;INTERVAL=0;COUNT=3', /INTERVAL "0" should be a whole number from 1/],
    ['FREQ=WEEKLY;FOO=1;COUNT=3', /part "FOO" is unknown/],
    ['FREQ=DAILY;BYHOUR=25;COUNT=2', /BYHOUR is not used: the time of day comes from the shift/],
    ['FREQ=WEEKLY;COUNT=2;COUNT=3', /COUNT twice/],
    ['FREQ=WEEKLY;BYDAY;COUNT=3', /BYDAY has no value/],
    [
      'FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3',
      /BYMONTHDAY "32" should be a whole number from 1 to 31 or -1 to -31/,
    ],
    ['FREQ=YEARLY;BYMONTH=13;COUNT=3', /BYMONTH "13" should be a whole number from 1 to 12/],
    ['FREQ=WEEKLY;BYMONTHDAY=3;COUNT=3', /BYMONTHDAY does not go with FREQ=WEEKLY/],
    ['FREQ=DAILY;BYSETPOS=1;COUNT=3', /BYSETPOS picks among the days another BY part gives/],
    [
      'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5',
      /BYMONTHDAY=30 never falls in February: the rule has no occurrence/,
    ],
    ['FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31;COUNT=5', /never falls in April, June/],
    [
      'FREQ=WEEKLY;UNTIL=20260101',
      /has no occurrence from 2027-01-04T09:00 \(is UNTIL before the start\?\)/,
    ],
    ['FREQ=DAILY;COUNT=51', /more than 50 occurrences/],
    [' ; ', /no FREQ/],
  ])('%s', (rrule, message) => {
    const e = problem(rrule);
    expect(e.code).toBe('invalid_rrule');
    expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/Cannot read properties/);
  });

  it('stops a search for occurrences whose parts never meet, within about a second', () => {
    // rrule.js alone would look day by day until the year 9999 (13 s of a blocked event loop).
    const started = Date.now();
    const e = problem('FREQ=WEEKLY;BYDAY=MO;BYSETPOS=3;COUNT=3');
    expect(e.message).toMatch(/finds \(almost\) no occurrence .* seldom or never meet/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('accepts what RFC 5545 allows, case and prefix aside, and normalizes it', () => {
    expect(checkRule('RRULE:freq=weekly;byday=mo,we;count=4;')).toBe(
      'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4',
    );
    expect(() => checkRule('RRULE:')).toThrow(/rrule is empty/);
    expect(
      expandShift({ ...base, rrule: 'FREQ=MONTHLY;BYDAY=-1FR;COUNT=3' }, 50).map(
        (o) => o.localDate,
      ),
    ).toEqual(['2027-01-29', '2027-02-26', '2027-03-26']);
    expect(
      expandShift(
        { ...base, rrule: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=2' },
        50,
      ).map((o) => o.localDate),
    ).toEqual(['2027-01-29', '2027-02-26']);
    expect(
      expandShift({ ...base, rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2' }, 50).map(
        (o) => o.localDate,
      ),
    ).toEqual(['2028-02-29', '2032-02-29']);
  });

  it('gives exdates, times and zones their own codes', () => {
    expect(() => expandShift({ ...base, exdates: ['soon'] }, 50)).toThrow(
      expect.objectContaining({ code: 'invalid_exdate' }),
    );
    expect(() => expandShift({ ...base, timeZone: 'Mars/Olympus' }, 50)).toThrow(
      expect.objectContaining({ code: 'invalid_time_zone' }),
    );
    expect(() => expandShift({ ...base, startLocal: '2027-02-30T09:00' }, 50)).toThrow(
      expect.objectContaining({ code: 'invalid_time' }),
    );
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
    const text = renderCalendar({
      name: 'Dr. 王',
      now: new Date('2027-01-01T00:00:00Z'),
      events: [
        {
          uid: 'x@huizhen',
          start: new Date('2027-03-15T08:00:00Z'),
          end: new Date('2027-03-15T11:00:00Z'),
          summary: 'On-site, 石桥镇',
        },
      ],
    });
    expect(text.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(text).toContain('DTSTART:20270315T080000Z\r\n');
    expect(text).toContain('SUMMARY:On-site\\, 石桥镇\r\n');
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
  });
});
