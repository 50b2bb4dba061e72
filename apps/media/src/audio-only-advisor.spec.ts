import { describe, expect, it } from '@jest/globals';
import { AudioOnlyAdvisor, DownlinkAdvisor } from './audio-only-advisor';

describe('audio-only advice', () => {
  it('suggests audio-only once a low score lasted 10 s, once per low spell', () => {
    const a = new AudioOnlyAdvisor();
    expect(a.observe([2, 3], 0)).toBeNull();
    expect(a.observe([2, 3], 9_000)).toBeNull();
    expect(a.observe([2, 3], 10_000)).toBe(2.5);
    expect(a.observe([1], 20_000)).toBeNull(); // already said
    expect(a.observe([5], 21_000)).toBeNull(); // middling: not recovered
    expect(a.observe([1], 22_000)).toBeNull();
    expect(a.observe([9], 23_000)).toBeNull(); // recovered: re-armed
    expect(a.observe([2], 24_000)).toBeNull();
    expect(a.observe([2], 34_000)).toBe(2);
  });

  it('resets the clock when the score recovers or nothing is received', () => {
    const a = new AudioOnlyAdvisor();
    a.observe([1], 0);
    a.observe([8], 5_000);
    expect(a.observe([1], 12_000)).toBeNull();
    a.observe([], 13_000);
    expect(a.observe([1], 20_000)).toBeNull();
    expect(a.observe([1], 30_000)).toBe(1);
  });
});

describe('audio first toward a receiver (DownlinkAdvisor)', () => {
  it('keeps video on a 2 Mbps link with 3 % loss, whatever the scores', () => {
    const a = new DownlinkAdvisor();
    for (let t = 0; t < 30_000; t += 2000)
      expect(a.observe({ scores: [10], availableKbps: 1800, lossPct: 3, rttMs: 200 }, t)).toEqual({
        cap: 'full',
        suggest: null,
      });
  });

  it('at 100 kbit/s with a queue building pauses the video and says audio-only once, though the scores stay good', () => {
    const a = new DownlinkAdvisor();
    expect(a.observe({ scores: [9], availableKbps: 90, lossPct: 6, rttMs: 300 }, 0).cap).toBe(
      'full',
    );
    expect(a.observe({ scores: [9], availableKbps: 90, lossPct: 6, rttMs: 600 }, 2000).cap).toBe(
      'full',
    ); // a queue builds
    const off = a.observe({ scores: [9], availableKbps: 90, lossPct: 6, rttMs: 620 }, 6000);
    expect(off).toEqual({
      cap: 'off',
      suggest: { reason: 'low_bandwidth', score: 9, availableKbps: 90, lossPct: 6 },
    });
    expect(a.observe({ scores: [], availableKbps: 80, lossPct: 5, rttMs: 620 }, 8000)).toEqual({
      cap: 'off',
      suggest: null,
    });
  });

  it('caps to the smallest layer at 300 kbit/s or on heavy loss, and brings video back when the link recovers', () => {
    const a = new DownlinkAdvisor();
    a.observe({ scores: [8], availableKbps: 240, lossPct: 5, rttMs: 300 }, 0);
    a.observe({ scores: [8], availableKbps: 240, lossPct: 5, rttMs: 500 }, 1000);
    expect(a.observe({ scores: [8], availableKbps: 240, lossPct: 5, rttMs: 500 }, 4000).cap).toBe(
      'low',
    );
    const lossy = new DownlinkAdvisor();
    lossy.observe({ scores: [8], availableKbps: 900, lossPct: 30, rttMs: 300 }, 0);
    expect(
      lossy.observe({ scores: [8], availableKbps: 900, lossPct: 30, rttMs: 300 }, 4000).cap,
    ).toBe('low');
    // Recovered: a trial after 8 s, kept.
    expect(
      a.observe({ scores: [8], availableKbps: 1500, lossPct: 0, rttMs: 300 }, 12_000).cap,
    ).toBe('full');
    expect(
      a.observe({ scores: [8], availableKbps: 1500, lossPct: 0, rttMs: 300 }, 20_000).cap,
    ).toBe('full');
  });

  it('a trial up from off gets the smallest layer at a quarter of its frames; low from full keeps the rate asked for', () => {
    const a = new DownlinkAdvisor();
    a.observe({ scores: [9], availableKbps: 90, lossPct: 6, rttMs: 300 }, 0);
    a.observe({ scores: [9], availableKbps: 90, lossPct: 6, rttMs: 600 }, 2000);
    expect(a.observe({ scores: [9], availableKbps: 90, lossPct: 6, rttMs: 620 }, 6000).cap).toBe(
      'off',
    );
    expect(a.lowTemporalLayer).toBeNull();
    // Only audio on the link now: no queue; the trial up after 8 s.
    expect(a.observe({ scores: [], availableKbps: 70, lossPct: 5, rttMs: 300 }, 14_000).cap).toBe(
      'low',
    );
    expect(a.lowTemporalLayer).toBe(0);
    // The trial held 5 s: the rate the receiver asked for, applied again (relayer).
    expect(a.observe({ scores: [9], availableKbps: 90, lossPct: 5, rttMs: 300 }, 16_000)).toEqual({
      cap: 'low',
      suggest: null,
    });
    expect(a.observe({ scores: [9], availableKbps: 90, lossPct: 5, rttMs: 300 }, 19_000)).toEqual({
      cap: 'low',
      suggest: null,
      relayer: true,
    });
    expect(a.lowTemporalLayer).toBeNull();
    const down = new DownlinkAdvisor();
    down.observe({ scores: [8], availableKbps: 240, lossPct: 5, rttMs: 300 }, 0);
    down.observe({ scores: [8], availableKbps: 240, lossPct: 5, rttMs: 500 }, 1000);
    expect(
      down.observe({ scores: [8], availableKbps: 240, lossPct: 5, rttMs: 500 }, 4000).cap,
    ).toBe('low');
    expect(down.lowTemporalLayer).toBeNull();
  });
});
