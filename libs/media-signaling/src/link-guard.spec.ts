import { describe, expect, it } from '@jest/globals';
import { LinkGuard } from './link-guard';

describe('audio first (LinkGuard)', () => {
  it('keeps full video on a good link and on a lossy 2 Mbps one', () => {
    const g = new LinkGuard();
    for (let t = 0; t < 20_000; t += 1000)
      expect(g.observe({ availableKbps: 1_600, lossPct: 3 }, t)).toBe('full');
  });

  it('keeps full video when the estimate is low but no queue builds (random loss, not a full link)', () => {
    const g = new LinkGuard();
    for (let t = 0; t < 20_000; t += 1000)
      expect(g.observe({ availableKbps: 130, lossPct: 4, rttMs: 210 }, t)).toBe('full');
  });

  it('on a full link (the round trip rising 120 ms over its lowest) caps video below 300 kbit/s and turns it off below 150, after 2 s', () => {
    const g = new LinkGuard();
    expect(g.observe({ availableKbps: 250, lossPct: 5, rttMs: 300 }, 0)).toBe('full');
    expect(g.observe({ availableKbps: 250, lossPct: 5, rttMs: 450 }, 1000)).toBe('full');
    expect(g.observe({ availableKbps: 250, lossPct: 5, rttMs: 480 }, 3000)).toBe('low');
    expect(g.observe({ availableKbps: 90, lossPct: 5, rttMs: 500 }, 4000)).toBe('low');
    expect(g.observe({ availableKbps: 90, lossPct: 5, rttMs: 520 }, 6000)).toBe('off');
  });

  it('treats heavy loss as congestion whatever the estimate', () => {
    const g = new LinkGuard();
    g.observe({ availableKbps: 2000, lossPct: 25 }, 0);
    expect(g.observe({ availableKbps: 2000, lossPct: 25 }, 2000)).toBe('low');
  });

  it('tries a step up after the backoff, doubles it when the trial fails, and comes back when the link recovers', () => {
    const g = new LinkGuard({ congestedQueueMs: 0 }); // every reading counts as a full link here
    g.observe({ availableKbps: 80, lossPct: 5 }, 0);
    expect(g.observe({ availableKbps: 80, lossPct: 5 }, 2000)).toBe('off'); // straight to off
    expect(g.observe({ availableKbps: 60, lossPct: 0 }, 9_000)).toBe('off'); // 7 s: not yet
    expect(g.observe({ availableKbps: 60, lossPct: 0 }, 10_000)).toBe('low'); // trial after 8 s
    g.observe({ availableKbps: 90, lossPct: 0 }, 11_000);
    expect(g.observe({ availableKbps: 90, lossPct: 0 }, 12_000)).toBe('low');
    expect(g.observe({ availableKbps: 90, lossPct: 0 }, 13_000)).toBe('off'); // trial failed (2 s below 150)
    expect(g.observe({ availableKbps: 90, lossPct: 0 }, 13_000 + 15_000)).toBe('off'); // backoff now 16 s
    expect(g.observe({ availableKbps: 90, lossPct: 0 }, 13_000 + 16_000)).toBe('low');
    // The link recovered: the trial holds, and the next step up follows after the (reset) backoff.
    expect(g.observe({ availableKbps: 250, lossPct: 0 }, 31_000)).toBe('low');
    expect(g.observe({ availableKbps: 800, lossPct: 0 }, 36_000)).toBe('low'); // trial held: backoff back to 8 s
    expect(g.observe({ availableKbps: 800, lossPct: 0 }, 37_000)).toBe('full'); // 8 s after the last step
    expect(g.observe({ availableKbps: 1500, lossPct: 0 }, 60_000)).toBe('full');
  });
});
