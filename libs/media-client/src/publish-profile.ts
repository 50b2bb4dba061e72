import type { LinkGuardOptions, VideoCap } from '@huizhen/media-signaling';

/**
 * What the camera publishes, and how it shrinks to fit the link (no DOM or mediasoup imports:
 * pure decisions, unit-tested in publish-profile.spec.ts).
 *
 * - Capture 1280x720 (Chrome sends at most two simulcast layers for 640x360 and three from 960x540
 *   up, so a 640x360 capture never had a 640x360 layer to forward).
 * - Simulcast layers by the capture's height: 1/4, 1/2 and full size, each with a bitrate ceiling
 *   fitting its size, temporal layers (L1T3) so the SFU can also drop frame rate.
 * - Audio first: the sender's own bandwidth estimate (and the loss the SFU reports) decides whether
 *   video goes full, thin (one layer sized to the estimate, at full frame rate), or off, and
 *   simulcast comes back by trial when the link recovers (Chrome probes the link when more bitrate
 *   is allowed again).
 * - Dynacast: the server says the highest spatial layer anyone wants (-1: nobody); higher layers
 *   are switched off.
 */

/** getUserMedia / applyConstraints for the camera: 720p where the camera has it, at most 30 fps. */
export const CAMERA_CAPTURE = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 24, max: 30 },
} as const;

/**
 * The sender's LinkGuard: video off only below 100 kbit/s of estimate (the node's guard toward a
 * receiver keeps 150). Chrome's estimate under random loss reads a 300 kbit/s link as 100-150
 * kbit/s; off there left the picture frozen where a thin layer fits beside the audio.
 */
export const SENDER_GUARD: Partial<LinkGuardOptions> = { offBelowKbps: 100 };

/** One simulcast encoding, as mediasoup-client and RTCRtpSender take it. */
export interface CameraEncoding {
  rid: string;
  scaleResolutionDownBy: number;
  maxBitrate: number;
  scalabilityMode: string;
  active?: boolean;
  maxFramerate?: number;
}

/** Bitrate ceiling for a VP8 layer of this height (bits/s). */
export function layerBitrate(height: number): number {
  if (height <= 120) return 80_000;
  if (height <= 200) return 160_000;
  if (height <= 400) return 500_000;
  if (height <= 600) return 900_000;
  return 1_500_000;
}

/**
 * Simulcast encodings for a capture of this height: three layers (1/4, 1/2, 1) from 540 lines up,
 * two (1/2, 1) from 360 (Chrome's own limit at that size), otherwise one.
 */
export function cameraEncodings(captureHeight: number): CameraEncoding[] {
  const h = captureHeight > 0 ? captureHeight : 720;
  const scales = h >= 540 ? [4, 2, 1] : h >= 360 ? [2, 1] : [1];
  return scales.map((s, i) => ({
    rid: `r${i}`,
    scaleResolutionDownBy: s,
    maxBitrate: layerBitrate(Math.round(h / s)),
    scalabilityMode: 'L1T3',
  }));
}

/**
 * Thin uplink (the guard's `low`: the link is full and its estimate is below what the layers need):
 * one layer, the smallest, at full frame rate, its bitrate about 60 % of the estimate and never
 * more than the estimate less `audioReserve` (the microphone's Opus with FEC and packet overhead,
 * ~50 kbit/s), between `minBitrate` and the layer's own ceiling; with no estimate, `unknownBitrate`.
 * With random loss Chrome's estimate of a 300 kbit/s link sits near 100-150 kbit/s, where a 30-70
 * kbit/s picture still fits beside the audio (the bare harness's 38 kbit/s did, with <1 % of its
 * audio concealed). The ceiling moves in `stepBitrate` steps so the sender is not reconfigured on
 * every reading.
 */
export const THIN_UPLINK = {
  share: 0.6,
  audioReserve: 50_000,
  minBitrate: 30_000,
  unknownBitrate: 90_000,
  stepBitrate: 10_000,
} as const;

/** The single layer's bitrate ceiling (bits/s) for an uplink estimate (kbit/s, null: unknown). */
export function thinUplinkBitrate(layerCeiling: number, availableKbps: number | null): number {
  if (availableKbps === null || !(availableKbps > 0))
    return Math.min(layerCeiling, THIN_UPLINK.unknownBitrate);
  const available = availableKbps * 1000;
  const fits = Math.min(available * THIN_UPLINK.share, available - THIN_UPLINK.audioReserve);
  const stepped = Math.floor(fits / THIN_UPLINK.stepBitrate) * THIN_UPLINK.stepBitrate;
  return Math.min(layerCeiling, Math.max(THIN_UPLINK.minBitrate, stepped));
}

/**
 * The estimate thin-uplink mode sizes its layer by: the highest reading of the last `windowMs`.
 * Chrome's estimate collapses for a few seconds each time the link's queue fills and recovers
 * soon after; a ceiling following each reading kept the layer far below what the link carries
 * (36-40 kbit/s of video on a 300 kbit/s link). The browser's encoder never sends more than its
 * current estimate allows anyway, so the ceiling only needs to track where the link has been.
 */
export class RecentEstimate {
  private readings: { at: number; kbps: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  /** Adds a reading (kbit/s; null or 0: unknown, not kept) and answers the recent highest (null: none). */
  observe(kbps: number | null, now: number): number | null {
    if (kbps !== null && kbps > 0) this.readings.push({ at: now, kbps });
    this.readings = this.readings.filter((r) => now - r.at < this.windowMs);
    return this.readings.length ? Math.max(...this.readings.map((r) => r.kbps)) : null;
  }
}

/**
 * The encodings to set on the sender: the published ones narrowed by the cap and by dynacast's
 * highest wanted layer (null: unknown, all layers; -1: nobody watches). Capped (`low`), the sender
 * is in thin-uplink mode: a single active layer sized to the uplink estimate (kbit/s) at full frame
 * rate, no simulcast (the layers above it would only cost uplink).
 */
export function effectiveEncodings(
  base: CameraEncoding[],
  cap: VideoCap,
  maxSpatialLayer: number | null,
  availableKbps: number | null = null,
): CameraEncoding[] {
  const top = maxSpatialLayer === null ? base.length - 1 : maxSpatialLayer;
  return base.map((e, i) => {
    if (cap === 'off' || top < 0) return { ...e, active: false };
    if (cap === 'low') {
      if (i > 0) return { ...e, active: false };
      // A single layer at full size halves its size when capped.
      const scale = base.length === 1 ? e.scaleResolutionDownBy * 2 : e.scaleResolutionDownBy;
      const { maxFramerate: _full, ...layer } = e;
      return {
        ...layer,
        active: true,
        scaleResolutionDownBy: scale,
        maxBitrate: thinUplinkBitrate(e.maxBitrate, availableKbps),
      };
    }
    return { ...e, active: i <= top };
  });
}
