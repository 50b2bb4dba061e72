import { describe, expect, it } from '@jest/globals';
import { callRecords, type StoredCallEvent } from './consultation-calls';

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

describe('call records from room events', () => {
  it('a call runs from the first join to the last leave; each person counts their own time', () => {
    const [call, ...rest] = callRecords(
      [
        ev('joined', 'spec', 0),
        ev('joined', 'town', 30),
        ev('left', 'town', 630),
        ev('left', 'spec', 660),
      ],
      at(1000),
    );
    expect(rest).toEqual([]);
    expect(call).toMatchObject({
      startedAt: at(0).toISOString(),
      endedAt: at(660).toISOString(),
      ending: 'everyone_left',
      endedBy: null,
      seconds: 660,
    });
    expect(call.participants).toEqual([
      {
        practitionerId: 'spec',
        displayName: '李医生',
        role: 'host',
        firstJoinedAt: at(0).toISOString(),
        lastLeftAt: at(660).toISOString(),
        seconds: 660,
        present: false,
        mediaFailed: false,
      },
      {
        practitionerId: 'town',
        displayName: '王医生',
        role: 'township_doctor',
        firstJoinedAt: at(30).toISOString(),
        lastLeftAt: at(630).toISOString(),
        seconds: 600,
        present: false,
        mediaFailed: false,
      },
    ]);
  });

  it('a drop and a rejoin inside one call sum; the host ending the room closes everyone present', () => {
    const [call] = callRecords(
      [
        ev('joined', 'spec', 0),
        ev('joined', 'town', 0),
        ev('left', 'town', 100),
        ev('joined', 'town', 160),
        ev('ended', 'spec', 400),
      ],
      at(500),
    );
    expect(call).toMatchObject({
      ending: 'ended_by_host',
      endedBy: 'spec',
      endedAt: at(400).toISOString(),
      seconds: 400,
    });
    expect(call.participants.map((p) => [p.practitionerId, p.seconds, p.lastLeftAt])).toEqual([
      ['spec', 400, at(400).toISOString()],
      ['town', 340, at(400).toISOString()],
    ]);
  });

  it('an empty room ends a call: joining later starts the next one', () => {
    const calls = callRecords(
      [
        ev('joined', 'spec', 0),
        ev('left', 'spec', 60),
        ev('joined', 'town', 3600),
        ev('joined', 'spec', 3610),
        ev('ended', 'spec', 4000),
      ],
      at(5000),
    );
    expect(calls.map((c) => [c.startedAt, c.endedAt, c.ending, c.participants.length])).toEqual([
      [at(0).toISOString(), at(60).toISOString(), 'everyone_left', 1],
      [at(3600).toISOString(), at(4000).toISOString(), 'ended_by_host', 2],
    ]);
  });

  it('a call still going counts up to now and shows who is present', () => {
    const [call] = callRecords(
      [ev('joined', 'spec', 0), ev('joined', 'town', 10), ev('left', 'town', 70)],
      at(300),
    );
    expect(call).toMatchObject({ endedAt: null, ending: 'in_progress', seconds: 300 });
    expect(
      call.participants.map((p) => [p.practitionerId, p.present, p.seconds, p.lastLeftAt]),
    ).toEqual([
      ['spec', true, 300, null],
      ['town', false, 60, at(70).toISOString()],
    ]);
  });

  it('a call the media node went silent on for a day ends at its last event, ending unknown', () => {
    const [old, next] = callRecords(
      [ev('joined', 'spec', 0), ev('joined', 'town', 20), ev('joined', 'town', 2 * 86400)],
      at(2 * 86400 + 5),
    );
    expect(old).toMatchObject({ endedAt: at(20).toISOString(), ending: 'unknown', seconds: 20 });
    expect(old.participants.map((p) => p.seconds)).toEqual([20, 0]);
    expect(next).toMatchObject({ startedAt: at(2 * 86400).toISOString(), ending: 'in_progress' });
    const [silent] = callRecords([ev('joined', 'spec', 0)], at(2 * 86400));
    expect(silent).toMatchObject({ endedAt: at(0).toISOString(), ending: 'unknown' });
  });

  it('a call whose media node stopped ends when the last one present is lost, at that time; a leave the node sends after is ignored', () => {
    const [call] = callRecords(
      [
        ev('joined', 'spec', 0),
        ev('joined', 'town', 10),
        ev('left', 'town', 100),
        ev('lost', 'spec', 250),
        ev('left', 'spec', 300),
      ],
      at(1000),
    );
    expect(call).toMatchObject({
      ending: 'media_node_lost',
      endedAt: at(250).toISOString(),
      endedBy: null,
      seconds: 250,
    });
    expect(call.participants.map((p) => [p.practitionerId, p.seconds, p.present])).toEqual([
      ['spec', 250, false],
      ['town', 90, false],
    ]);
  });

  it('ignores what does not fit: a leave without a join, a second join of someone present, an end with no call', () => {
    const calls = callRecords(
      [
        ev('left', 'town', 0),
        ev('ended', 'spec', 1),
        ev('joined', 'spec', 10),
        ev('joined', 'spec', 20),
        ev('left', 'spec', 70),
        ev('left', 'spec', 80),
      ],
      at(100),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      startedAt: at(10).toISOString(),
      endedAt: at(70).toISOString(),
      seconds: 60,
    });
    expect(calls[0].participants.map((p) => p.seconds)).toEqual([60]);
  });

  it('a call where someone’s media never flowed is failed; media that flowed later, or a rejoin that works, is not', () => {
    const [failed] = callRecords(
      [
        ev('joined', 'spec', 0),
        ev('joined', 'town', 5),
        ev('media_failed', 'town', 15),
        ev('media_failed', 'spec', 15),
        ev('left', 'town', 40),
        ev('left', 'spec', 45),
      ],
      at(100),
    );
    expect(failed).toMatchObject({ outcome: 'failed', ending: 'everyone_left', seconds: 45 });
    expect(failed.participants.map((p) => [p.practitionerId, p.mediaFailed])).toEqual([
      ['spec', true],
      ['town', true],
    ]);
    // The media events are no leave: the sweeper's and the record's people stay present.
    const [live] = callRecords(
      [ev('joined', 'spec', 0), ev('joined', 'town', 5), ev('media_failed', 'town', 15)],
      at(30),
    );
    expect(live).toMatchObject({ outcome: 'failed', ending: 'in_progress', seconds: 30 });
    expect(live.participants.every((p) => p.present)).toBe(true);
    const [late] = callRecords(
      [
        ev('joined', 'spec', 0),
        ev('joined', 'town', 5),
        ev('media_failed', 'town', 15),
        ev('media_flowing', 'town', 22),
        ev('ended', 'spec', 300),
      ],
      at(400),
    );
    expect(late).toMatchObject({ outcome: 'ok', ending: 'ended_by_host' });
    const [rejoined] = callRecords(
      [
        ev('joined', 'spec', 0),
        ev('joined', 'town', 5),
        ev('media_failed', 'town', 15),
        ev('left', 'town', 20),
        ev('joined', 'town', 25),
        ev('ended', 'spec', 300),
      ],
      at(400),
    );
    expect(rejoined).toMatchObject({ outcome: 'ok' });
    // A media event of someone not in the call is ignored.
    expect(
      callRecords(
        [ev('joined', 'spec', 0), ev('media_failed', 'town', 15), ev('left', 'spec', 20)],
        at(30),
      )[0],
    ).toMatchObject({ outcome: 'ok' });
  });
});
