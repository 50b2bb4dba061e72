import type { VideoCap } from '@huizhen/media-signaling';

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
 * one layer, the smallest, at full frame rate, its bitrate about 60 % of the estimate (the rest is
 * audio, its FEC and headroom for loss), between `minBitrate` and the layer's own ceiling; with no
 * estimate, `unknownBitrate`. The ceiling moves in `stepBitrate` steps so the sender is not
 * reconfigured on every reading.
 */
export const THIN_UPLINK = {
  share: 0.6,
  minBitrate: 60_000,
  unknownBitrate: 90_000,
  stepBitrate: 10_000,
} as const;

/** The single layer's bitrate ceiling (bits/s) for an uplink estimate (kbit/s, null: unknown). */
export function thinUplinkBitrate(layerCeiling: number, availableKbps: number | null): number {
  if (availableKbps === null || !(availableKbps > 0))
    return Math.min(layerCeiling, THIN_UPLINK.unknownBitrate);
  const share = availableKbps * 1000 * THIN_UPLINK.share;
  const stepped = Math.floor(share / THIN_UPLINK.stepBitrate) * THIN_UPLINK.stepBitrate;
  return Math.min(layerCeiling, Math.max(THIN_UPLINK.minBitrate, stepped));
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
