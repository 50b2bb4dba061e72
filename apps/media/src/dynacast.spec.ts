import { describe, expect, it } from '@jest/globals';
import { Dynacast, highestWantedLayer } from './dynacast';

describe('dynacast', () => {
  it('the highest layer any live consumer wants; paused ones want nothing; nobody yet: the smallest', () => {
    expect(highestWantedLayer([], 3)).toBe(0);
    expect(highestWantedLayer([{ paused: true, spatialLayer: 2 }], 3)).toBe(-1);
    expect(
      highestWantedLayer(
        [
          { paused: false, spatialLayer: 0 },
          { paused: false, spatialLayer: 1 },
        ],
        3,
      ),
    ).toBe(1);
    expect(highestWantedLayer([{ paused: false }], 3)).toBe(2); // no preference: the top
    expect(highestWantedLayer([{ paused: false, spatialLayer: 9 }], 2)).toBe(1);
  });

  it('raises at once, drops only after the lower want held 3 s', () => {
    const d = new Dynacast(3);
    expect(d.update(2, 0)).toBeNull(); // the owner sends all layers already
    expect(d.update(-1, 1_000)).toBeNull();
    expect(d.update(-1, 3_999)).toBeNull();
    expect(d.update(-1, 4_000)).toBe(-1); // nobody watched for 3 s: off
    expect(d.update(1, 4_500)).toBe(1); // a receiver came: at once
    expect(d.update(0, 5_000)).toBeNull();
    expect(d.update(1, 6_000)).toBeNull(); // back before the hold ran out: nothing said
    expect(d.update(0, 7_000)).toBeNull();
    expect(d.update(0, 10_000)).toBe(0);
    expect(d.current).toBe(0);
  });
});
