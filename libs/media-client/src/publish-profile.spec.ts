import { describe, expect, it } from '@jest/globals';
import { LinkGuard } from '@huizhen/media-signaling';
import {
  RecentEstimate,
  SENDER_GUARD,
  THIN_UPLINK,
  cameraEncodings,
  effectiveEncodings,
  thinUplinkBitrate,
} from './publish-profile';

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

  it('thin uplink: one layer, the smallest, at full frame rate and ~60 % of the estimate; off: nothing', () => {
    const thin = effectiveEncodings(base, 'low', 2, 250);
    expect(thin.map((x) => x.active)).toEqual([true, false, false]);
    expect(thin[0]).toMatchObject({ maxBitrate: 150_000, scaleResolutionDownBy: 4 });
    expect(thin[0].maxFramerate).toBeUndefined();
    // Whatever dynacast wants above it: the layers above would only cost uplink.
    expect(effectiveEncodings(base, 'low', null, 250).filter((x) => x.active)).toHaveLength(1);
    // Nobody watching, or off: nothing.
    expect(effectiveEncodings(base, 'low', -1, 250).every((x) => !x.active)).toBe(true);
    expect(effectiveEncodings(base, 'off', 2, 250).every((x) => !x.active)).toBe(true);
    // A single layer halves its size when capped.
    expect(effectiveEncodings(cameraEncodings(240), 'low', null)[0].scaleResolutionDownBy).toBe(2);
  });

  it("thin uplink's bitrate: the estimate's share in steps, within a floor and the layer's ceiling", () => {
    expect(thinUplinkBitrate(160_000, 250)).toBe(150_000);
    expect(thinUplinkBitrate(160_000, 259)).toBe(150_000); // 155.4 k, stepped down
    expect(thinUplinkBitrate(160_000, 120)).toBe(70_000); // the audio's reserve first
    expect(thinUplinkBitrate(160_000, 100)).toBe(50_000);
    expect(thinUplinkBitrate(160_000, 60)).toBe(THIN_UPLINK.minBitrate);
    expect(thinUplinkBitrate(160_000, 1000)).toBe(160_000);
    expect(thinUplinkBitrate(160_000, null)).toBe(THIN_UPLINK.unknownBitrate);
    expect(thinUplinkBitrate(160_000, 0)).toBe(THIN_UPLINK.unknownBitrate);
  });

  it("thin uplink's estimate: the highest of the last 10 s, so a collapse while the queue drains does not shrink the layer", () => {
    const recent = new RecentEstimate();
    expect(recent.observe(null, 0)).toBeNull();
    expect(recent.observe(250, 1000)).toBe(250);
    expect(recent.observe(70, 2000)).toBe(250); // the queue filled: the estimate collapses
    expect(recent.observe(0, 3000)).toBe(250); // unknown readings are not kept
    expect(thinUplinkBitrate(160_000, recent.observe(90, 9000))).toBe(150_000);
    expect(recent.observe(90, 11_000)).toBe(90); // 10 s later the link really is thinner
    expect(recent.observe(null, 30_000)).toBeNull();
  });

  it('a thin uplink over time: full link below 300 kbit/s goes thin after 2 s, a clean link gets simulcast back by trial', () => {
    const guard = new LinkGuard(SENDER_GUARD);
    const sending = (kbps: number, rttMs: number, at: number) =>
      effectiveEncodings(
        base,
        guard.observe({ availableKbps: kbps, lossPct: 5, rttMs }, at),
        null,
        kbps,
      )
        .filter((e) => e.active)
        .map((e) => e.maxBitrate);
    expect(sending(1500, 300, 0)).toHaveLength(3); // the lowest round trip seen
    expect(sending(250, 500, 1000)).toHaveLength(3); // a queue builds: not yet
    expect(sending(250, 500, 3000)).toEqual([150_000]); // thin: one layer, 60 % of 250 kbit/s
    expect(sending(240, 320, 6000)).toEqual([140_000]); // follows the estimate
    expect(sending(600, 300, 11_500)).toHaveLength(3); // the trial step up after 8 s
  });

  it('a full link whose estimate reads 100-150 kbit/s (random loss) stays thin beside the audio; below 100 video goes off', () => {
    const guard = new LinkGuard(SENDER_GUARD);
    const sending = (kbps: number, at: number) =>
      effectiveEncodings(
        base,
        guard.observe({ availableKbps: kbps, lossPct: 5, rttMs: at ? 500 : 300 }, at),
        null,
        kbps,
      )
        .filter((e) => e.active)
        .map((e) => e.maxBitrate);
    sending(1500, 0);
    sending(120, 1000);
    expect(sending(120, 3000)).toEqual([70_000]); // 120 kbit/s less the audio's 50
    expect(sending(80, 4000)).toEqual([THIN_UPLINK.minBitrate]);
    expect(sending(80, 6000)).toEqual([]); // 2 s below 100: audio only
  });

  it('back to simulcast when the guard lifts the cap (its trial step up)', () => {
    expect(effectiveEncodings(base, 'full', null, 250).map((x) => x.active)).toEqual([
      true,
      true,
      true,
    ]);
    expect(effectiveEncodings(base, 'full', null, 250)[0].maxBitrate).toBe(base[0].maxBitrate);
  });
});
