/**
 * Audio first, the same rules at both ends of a link: the sender for its uplink (the browser's
 * own bandwidth estimate, libs/media-client) and the media node toward each receiver (its
 * estimate of what it can send that peer, apps/media). Pure: unit-tested in link-guard.spec.ts.
 */

/** How much video the link leaves room for: everything, the smallest layer capped, or none. */
export type VideoCap = 'full' | 'low' | 'off';

export interface LinkSample {
  /** Estimated bitrate available (kbit/s): the sender's estimate, or the SFU's toward a receiver; null = unknown. */
  availableKbps: number | null;
  /** Loss over the last interval (percent), as the far end reports it; null = unknown. */
  lossPct: number | null;
  /** Round-trip time now (ms); its rise over the lowest seen is the queue building up on the link. */
  rttMs?: number | null;
}

export interface LinkGuardOptions {
  /** Below this (kbit/s) video goes off: only audio fits. */
  offBelowKbps: number;
  /** Below this (kbit/s) video is capped to its smallest layer. */
  lowBelowKbps: number;
  /** Loss (percent) that counts as congestion whatever the estimate says. */
  congestedLossPct: number;
  /** Round-trip time this far above the lowest seen (ms): a queue is building, the link is full. */
  congestedQueueMs: number;
  /** How long a bad reading must last before stepping down (ms). */
  downAfterMs: number;
  /** First wait before trying one step up again (ms); doubled after each failed trial, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** A trial step up that stays good this long is kept (and the backoff reset). */
  trialMs: number;
}

export const LINK_GUARD_DEFAULTS: LinkGuardOptions = {
  offBelowKbps: 150,
  lowBelowKbps: 300,
  congestedLossPct: 15,
  congestedQueueMs: 120,
  downAfterMs: 2_000,
  backoffMs: 8_000,
  maxBackoffMs: 60_000,
  trialMs: 5_000,
};

const ORDER: VideoCap[] = ['off', 'low', 'full'];

/**
 * Audio first: steps video down (to low or off) when the link's estimate or loss says it does
 * not fit for downAfterMs, and tries one step up again after a backoff (doubling after a
 * trial that fails), because a capped sender's estimate cannot grow by itself.
 */
export class LinkGuard {
  readonly options: LinkGuardOptions;
  private level: VideoCap = 'full';
  private badSince: number | null = null;
  private changedAt = 0;
  private backoff: number;
  private trialUntil: number | null = null;
  private minRtt: number | null = null;

  constructor(options: Partial<LinkGuardOptions> = {}) {
    this.options = { ...LINK_GUARD_DEFAULTS, ...options };
    this.backoff = this.options.backoffMs;
  }

  get cap(): VideoCap {
    return this.level;
  }

  /**
   * What the link fits now, from one reading. A low estimate alone is no reason: with random loss
   * (3 % on a 2 Mbit/s link) Chrome's estimate stays near 200 kbit/s on a link that is nowhere near
   * full. The link is full when a queue builds (the round trip rises over the lowest seen) or loss
   * is heavy; then the estimate says how much video still fits.
   */
  private fits(s: LinkSample): VideoCap {
    const o = this.options;
    if (typeof s.rttMs === 'number' && s.rttMs > 0)
      this.minRtt = Math.min(this.minRtt ?? s.rttMs, s.rttMs);
    const queued = typeof s.rttMs === 'number' && this.minRtt !== null ? s.rttMs - this.minRtt : 0;
    const lossy = s.lossPct !== null && s.lossPct >= o.congestedLossPct;
    if (!lossy && queued < o.congestedQueueMs) return 'full';
    if (s.availableKbps !== null && s.availableKbps < o.offBelowKbps) return 'off';
    if (s.availableKbps === null || s.availableKbps < o.lowBelowKbps || lossy) return 'low';
    return 'full';
  }

  observe(s: LinkSample, now: number): VideoCap {
    const o = this.options;
    const fits = this.fits(s);
    const rank = (c: VideoCap) => ORDER.indexOf(c);
    if (rank(fits) < rank(this.level)) {
      this.badSince ??= now;
      // The reading must last (a trial step up gets as long for the estimate to catch up).
      if (now - this.badSince >= o.downAfterMs) {
        if (this.trialUntil !== null) this.backoff = Math.min(this.backoff * 2, o.maxBackoffMs);
        this.level = fits;
        this.trialUntil = null;
        this.badSince = null;
        this.changedAt = now;
      }
      return this.level;
    }
    this.badSince = null;
    if (this.trialUntil !== null && now >= this.trialUntil) {
      this.trialUntil = null;
      this.backoff = o.backoffMs;
    }
    if (this.level !== 'full' && this.trialUntil === null && now - this.changedAt >= this.backoff) {
      this.level = ORDER[rank(this.level) + 1];
      this.changedAt = now;
      this.trialUntil = now + o.trialMs;
    }
    return this.level;
  }
}
