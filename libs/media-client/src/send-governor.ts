import type { types } from 'mediasoup-client';
import { LinkGuard, type LinkSample, type VideoCap } from '@huizhen/media-signaling';
import {
  type CameraEncoding,
  RecentEstimate,
  SENDER_GUARD,
  effectiveEncodings,
} from './publish-profile';

/**
 * Keeps the camera's encodings fitting the uplink and what the room watches: every second it reads
 * the send transport's stats (the browser's own estimate of the bitrate available, the loss the
 * SFU reports), lets a LinkGuard decide full / low / off, and applies that with dynacast's highest
 * wanted layer to the RTCRtpSender (setParameters: no renegotiation). `low` is the thin-uplink mode:
 * one layer at full frame rate, its ceiling following the recent highest estimate
 * (publish-profile.ts: RecentEstimate).
 */
export class SendGovernor {
  private readonly guard = new LinkGuard(SENDER_GUARD);
  private maxSpatial: number | null = null;
  private applied = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;
  private lastCap: VideoCap = 'full';
  private availableKbps: number | null = null;
  private readonly recent = new RecentEstimate();

  constructor(
    private readonly transport: types.Transport,
    private readonly producer: types.Producer,
    private readonly base: CameraEncoding[],
    private readonly onCap: (cap: VideoCap, sample: LinkSample) => void = () => {},
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.tick(), intervalMs);
  }

  get cap(): VideoCap {
    return this.guard.cap;
  }

  /** Dynacast: the highest spatial layer anyone in the room wants (-1: nobody). */
  setMaxSpatialLayer(layer: number): void {
    this.maxSpatial = layer;
    void this.apply();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    if (this.producer.closed || this.transport.closed) return this.stop();
    this.busy = true;
    try {
      const sample = await uplinkSample(this.transport);
      const now = Date.now();
      const cap = this.guard.observe(sample, now);
      // The guard judges each reading; thin mode's ceiling follows the recent highest.
      this.availableKbps = this.recent.observe(sample.availableKbps, now);
      if (cap !== this.lastCap) {
        this.lastCap = cap;
        this.onCap(cap, sample);
      }
      await this.apply();
    } catch {
      // stats or parameters unavailable this time (closing, renegotiating): next tick
    } finally {
      this.busy = false;
    }
  }

  private async apply(): Promise<void> {
    const sender = this.producer.rtpSender as unknown as SenderLike | undefined;
    if (!sender || this.producer.closed) return;
    const want = effectiveEncodings(this.base, this.guard.cap, this.maxSpatial, this.availableKbps);
    const key = JSON.stringify(want);
    if (key === this.applied) return;
    const params = sender.getParameters();
    if (!params.encodings?.length) return;
    params.encodings.forEach((e, i) => {
      const w = want[i];
      if (!w) return;
      e.active = !!w.active;
      e.maxBitrate = w.maxBitrate;
      e.scaleResolutionDownBy = w.scaleResolutionDownBy;
      if (w.maxFramerate) e.maxFramerate = w.maxFramerate;
      else delete e.maxFramerate;
    });
    await sender.setParameters(params);
    this.applied = key;
  }
}

interface EncodingLike {
  active?: boolean;
  maxBitrate?: number;
  maxFramerate?: number;
  scaleResolutionDownBy?: number;
}
/** The parts of an RTCRtpSender used here (no DOM typings needed to build it). */
interface SenderLike {
  getParameters(): { encodings?: EncodingLike[] };
  setParameters(p: { encodings?: EncodingLike[] }): Promise<void>;
}

/** The send side's view of its link: the selected candidate pair's estimate and the worst loss the SFU reports. */
async function uplinkSample(transport: types.Transport): Promise<LinkSample> {
  const report = await transport.getStats();
  let availableKbps: number | null = null;
  let lossPct: number | null = null;
  let rttMs: number | null = null;
  report.forEach((s: Record<string, unknown>) => {
    if (
      s.type === 'candidate-pair' &&
      s.nominated &&
      typeof s.availableOutgoingBitrate === 'number'
    ) {
      availableKbps = s.availableOutgoingBitrate / 1000;
      if (typeof s.currentRoundTripTime === 'number') rttMs = s.currentRoundTripTime * 1000;
    }
    if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') {
      lossPct = Math.max(lossPct ?? 0, s.fractionLost * 100);
    }
  });
  return { availableKbps, lossPct, rttMs };
}
