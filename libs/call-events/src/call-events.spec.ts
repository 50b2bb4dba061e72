import { afterEach, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@huizhen/config';
import { type CallEvent, CallEvents } from './call-events';

// In process (the single server, no REDIS_URL): what the media rooms publish reaches the api's
// recipient in order, and a failing store is tried again.
describe('call events in process', () => {
  const base = CallEvents.RETRY_BASE_MS;
  afterEach(() => {
    CallEvents.RETRY_BASE_MS = base;
  });
  const config = () =>
    loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: 'x'.repeat(40),
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    });

  it('delivers in the order published, with an id, the time and the node', async () => {
    const events = new CallEvents(config());
    const got: CallEvent[] = [];
    await events.consume(async (batch) => void got.push(...batch));
    events.publish({ kind: 'joined', room: 'r', practitionerId: 'a', role: 'host' });
    events.publish({ kind: 'joined', room: 'r', practitionerId: 'b', role: 'township_doctor' });
    events.publish({
      kind: 'ended',
      room: 'r',
      practitionerId: 'a',
      role: 'host',
      at: new Date('2026-12-01T08:00:00Z'),
    });
    await events.drained();
    expect(got.map((e) => [e.kind, e.practitionerId])).toEqual([
      ['joined', 'a'],
      ['joined', 'b'],
      ['ended', 'a'],
    ]);
    expect(new Set(got.map((e) => e.id)).size).toBe(3);
    expect(got[2].at).toBe('2026-12-01T08:00:00.000Z');
    expect(got[0].node).toMatch(/:\d+$/);
  });

  it('tries a failing store again, keeping the order; gives up after five tries without throwing', async () => {
    CallEvents.RETRY_BASE_MS = 1;
    const events = new CallEvents(config());
    const stored: string[] = [];
    let failures = 2;
    let tries = 0;
    await events.consume(async ([e]) => {
      tries++;
      if (e.practitionerId === 'first' && failures-- > 0) throw new Error('database restarting');
      if (e.practitionerId === 'never') throw new Error('still down');
      stored.push(e.practitionerId);
    });
    events.publish({ kind: 'joined', room: 'r', practitionerId: 'first', role: 'host' });
    events.publish({
      kind: 'joined',
      room: 'r',
      practitionerId: 'second',
      role: 'guest_specialist',
    });
    events.publish({ kind: 'left', room: 'r', practitionerId: 'never', role: 'host' });
    events.publish({ kind: 'left', room: 'r', practitionerId: 'last', role: 'host' });
    await events.drained();
    expect(stored).toEqual(['first', 'second', 'last']);
    expect(tries).toBe(3 + 1 + 5 + 1);
  });

  it('without a recipient in this process, publishing drops the event and does not throw', async () => {
    const events = new CallEvents(config());
    expect(() =>
      events.publish({ kind: 'joined', room: 'r', practitionerId: 'a', role: 'host' }),
    ).not.toThrow();
    await events.drained();
  });
});
