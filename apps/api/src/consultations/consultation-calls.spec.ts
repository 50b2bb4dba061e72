import { describe, expect, it } from '@jest/globals';
import {
  callRecords,
  type CallParticipant,
  type CallRecord,
  type StoredCallEvent,
} from './consultation-calls';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const ev = (
  kind: StoredCallEvent['kind'],
  who: 'spec' | 'town',
  seconds: number,
): StoredCallEvent => ({
  kind,
  practitionerId: who,
  displayName: who === 'spec' ? '李医生' : '王医生',
  role: who === 'spec' ? 'host' : 'township_doctor',
  at: at(seconds),
});

/** The specialist opens the room at T0, the township doctor joins `seconds` later. */
const bothJoinedBy = (seconds: number) => [ev('joined', 'spec', 0), ev('joined', 'town', seconds)];
/** The call records of these events, read at `now` seconds after T0. */
const recordsAt = (now: number, ...events: StoredCallEvent[]) => callRecords(events, at(now));
/** The instant `seconds` after T0 as the records write it. */
const iso = (seconds: number) => at(seconds).toISOString();
/** Each participant's [id, ...the fields asked for], in the record's order. */
const people = <K extends keyof CallParticipant>(call: CallRecord, ...fields: K[]) =>
  call.participants.map((p) => [p.practitionerId, ...fields.map((f) => p[f])]);

describe('call records from room events', () => {
  it('a call runs from the first join to the last leave; each person counts their own time', () => {
    const [call, ...rest] = recordsAt(
      1000,
      ev('joined', 'spec', 0),
      ev('joined', 'town', 30),
      ev('left', 'town', 630),
      ev('left', 'spec', 660),
    );
    expect(rest).toEqual([]);
    expect(call).toMatchObject({
      startedAt: iso(0),
      endedAt: iso(660),
      ending: 'everyone_left',
      endedBy: null,
      seconds: 660,
    });
    expect(call.participants).toEqual([
      {
        practitionerId: 'spec',
        displayName: '李医生',
        role: 'host',
        firstJoinedAt: iso(0),
        lastLeftAt: iso(660),
        seconds: 660,
        present: false,
        mediaFailed: false,
      },
      {
        practitionerId: 'town',
        displayName: '王医生',
        role: 'township_doctor',
        firstJoinedAt: iso(30),
        lastLeftAt: iso(630),
        seconds: 600,
        present: false,
        mediaFailed: false,
      },
    ]);
  });

  it('a drop and a rejoin inside one call sum; the host ending the room closes everyone present', () => {
    const [call] = recordsAt(
      500,
      ev('joined', 'spec', 0),
      ev('joined', 'town', 0),
      ev('left', 'town', 100),
      ev('joined', 'town', 160),
      ev('ended', 'spec', 400),
    );
    expect(call).toMatchObject({
      ending: 'ended_by_host',
      endedBy: 'spec',
      endedAt: iso(400),
      seconds: 400,
    });
    expect(people(call, 'seconds', 'lastLeftAt')).toEqual([
      ['spec', 400, iso(400)],
      ['town', 340, iso(400)],
    ]);
  });

  it('an empty room ends a call: joining later starts the next one', () => {
    const calls = recordsAt(
      5000,
      ev('joined', 'spec', 0),
      ev('left', 'spec', 60),
      ev('joined', 'town', 3600),
      ev('joined', 'spec', 3610),
      ev('ended', 'spec', 4000),
    );
    expect(calls.map((c) => [c.startedAt, c.endedAt, c.ending, c.participants.length])).toEqual([
      [iso(0), iso(60), 'everyone_left', 1],
      [iso(3600), iso(4000), 'ended_by_host', 2],
    ]);
  });

  it('a call still going counts up to now and shows who is present', () => {
    const [call] = recordsAt(
      300,
      ev('joined', 'spec', 0),
      ev('joined', 'town', 10),
      ev('left', 'town', 70),
    );
    expect(call).toMatchObject({ endedAt: null, ending: 'in_progress', seconds: 300 });
    expect(people(call, 'present', 'seconds', 'lastLeftAt')).toEqual([
      ['spec', true, 300, null],
      ['town', false, 60, iso(70)],
    ]);
  });

  it('a call the media node went silent on for a day ends at its last event, ending unknown', () => {
    const [old, next] = recordsAt(
      2 * 86400 + 5,
      ev('joined', 'spec', 0),
      ev('joined', 'town', 20),
      ev('joined', 'town', 2 * 86400),
    );
    expect(old).toMatchObject({ endedAt: iso(20), ending: 'unknown', seconds: 20 });
    expect(old.participants.map((p) => p.seconds)).toEqual([20, 0]);
    expect(next).toMatchObject({ startedAt: iso(2 * 86400), ending: 'in_progress' });
    const [silent] = recordsAt(2 * 86400, ev('joined', 'spec', 0));
    expect(silent).toMatchObject({ endedAt: iso(0), ending: 'unknown' });
  });

  it('a call whose media node stopped ends when the last one present is lost, at that time; a leave the node sends after is ignored', () => {
    const [call] = recordsAt(
      1000,
      ev('joined', 'spec', 0),
      ev('joined', 'town', 10),
      ev('left', 'town', 100),
      ev('lost', 'spec', 250),
      ev('left', 'spec', 300),
    );
    expect(call).toMatchObject({
      ending: 'media_node_lost',
      endedAt: iso(250),
      endedBy: null,
      seconds: 250,
    });
    expect(people(call, 'seconds', 'present')).toEqual([
      ['spec', 250, false],
      ['town', 90, false],
    ]);
  });

  it('ignores what does not fit: a leave without a join, a second join of someone present, an end with no call', () => {
    const calls = recordsAt(
      100,
      ev('left', 'town', 0),
      ev('ended', 'spec', 1),
      ev('joined', 'spec', 10),
      ev('joined', 'spec', 20),
      ev('left', 'spec', 70),
      ev('left', 'spec', 80),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      startedAt: iso(10),
      endedAt: iso(70),
      seconds: 60,
    });
    expect(calls[0].participants.map((p) => p.seconds)).toEqual([60]);
  });

  it('a call where someone’s media never flowed is failed; media that flowed later, or a rejoin that works, is not', () => {
    const [failed] = recordsAt(
      100,
      ...bothJoinedBy(5),
      ev('media_failed', 'town', 15),
      ev('media_failed', 'spec', 15),
      ev('left', 'town', 40),
      ev('left', 'spec', 45),
    );
    expect(failed).toMatchObject({ outcome: 'failed', ending: 'everyone_left', seconds: 45 });
    expect(people(failed, 'mediaFailed')).toEqual([
      ['spec', true],
      ['town', true],
    ]);
    // The media events are no leave: the sweeper's and the record's people stay present.
    const [live] = recordsAt(30, ...bothJoinedBy(5), ev('media_failed', 'town', 15));
    expect(live).toMatchObject({ outcome: 'failed', ending: 'in_progress', seconds: 30 });
    expect(live.participants.every((p) => p.present)).toBe(true);
    const [late] = recordsAt(
      400,
      ...bothJoinedBy(5),
      ev('media_failed', 'town', 15),
      ev('media_flowing', 'town', 22),
      ev('ended', 'spec', 300),
    );
    expect(late).toMatchObject({ outcome: 'ok', ending: 'ended_by_host' });
    const [rejoined] = recordsAt(
      400,
      ...bothJoinedBy(5),
      ev('media_failed', 'town', 15),
      ev('left', 'town', 20),
      ev('joined', 'town', 25),
      ev('ended', 'spec', 300),
    );
    expect(rejoined).toMatchObject({ outcome: 'ok' });
    // A media event of someone not in the call is ignored.
    expect(
      recordsAt(
        30,
        ev('joined', 'spec', 0),
        ev('media_failed', 'town', 15),
        ev('left', 'spec', 20),
      )[0],
    ).toMatchObject({ outcome: 'ok' });
  });
});
