import { describe, expect, it } from '@jest/globals';
import { LOW_VIDEO, cameraEncodings, effectiveEncodings } from './publish-profile';

describe('camera layers', () => {
  it('sends 320x180, 640x360 and 1280x720 from a 720p capture, each with a ceiling for its size', () => {
    const e = cameraEncodings(720);
    expect(e.map((x) => x.scaleResolutionDownBy)).toEqual([4, 2, 1]);
    expect(e.map((x) => x.maxBitrate)).toEqual([160_000, 500_000, 1_500_000]);
    expect(e.every((x) => x.scalabilityMode === 'L1T3')).toBe(true);
  });

  it('asks only for the layers Chrome sends at smaller captures', () => {
    expect(cameraEncodings(360).map((x) => [x.scaleResolutionDownBy, x.maxBitrate])).toEqual([
      [2, 160_000],
      [1, 500_000],
    ]);
    expect(cameraEncodings(240)).toHaveLength(1);
    expect(cameraEncodings(0)).toHaveLength(3); // unknown: as for 720p
  });
});

describe('what the sender sends', () => {
  const base = cameraEncodings(720);
  it('all layers by default, those above the highest wanted off, none when nobody watches', () => {
    expect(effectiveEncodings(base, 'full', null).map((x) => x.active)).toEqual([true, true, true]);
    expect(effectiveEncodings(base, 'full', 1).map((x) => x.active)).toEqual([true, true, false]);
    expect(effectiveEncodings(base, 'full', -1).map((x) => x.active)).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('capped: the smallest layer only, at a low bitrate and frame rate; off: nothing', () => {
    const low = effectiveEncodings(base, 'low', 2);
    expect(low.map((x) => x.active)).toEqual([true, false, false]);
    expect(low[0]).toMatchObject({
      maxBitrate: LOW_VIDEO.maxBitrate,
      maxFramerate: LOW_VIDEO.maxFramerate,
      scaleResolutionDownBy: 4,
    });
    expect(effectiveEncodings(base, 'off', 2).every((x) => !x.active)).toBe(true);
    // A single layer halves its size when capped.
    expect(effectiveEncodings(cameraEncodings(240), 'low', null)[0].scaleResolutionDownBy).toBe(2);
  });
});
