import {
  LinkGuard,
  type LinkGuardOptions,
  type MediaNotifications,
  type VideoCap,
} from '@huizhen/media-signaling';

/**
 * Watches the scores (0-10) of what a receiver gets and says when audio-only would serve it
 * better: the mean video score stayed at or below `lowScore` for `forMs`. Says it once per low
 * spell; a recovery above `recoverScore` re-arms it.
 */
export class AudioOnlyAdvisor {
  private lowSince: number | null = null;
  private suggested = false;

  constructor(
    private readonly lowScore = 3,
    private readonly recoverScore = 6,
    private readonly forMs = 10_000,
  ) {}

  /** Feed the current video consumer scores; returns the mean score when audio-only should be suggested now. */
  observe(scores: number[], now: number): number | null {
    if (!scores.length) {
      this.lowSince = null;
      return null;
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    if (mean > this.lowScore) {
      this.lowSince = null;
      if (mean >= this.recoverScore) this.suggested = false;
      return null;
    }
    this.lowSince ??= now;
    if (!this.suggested && now - this.lowSince >= this.forMs) {
      this.suggested = true;
      return mean;
    }
    return null;
  }
}

/** What the node sees of one receiver's downlink, every 2 s. */
export interface DownlinkSample {
  /** Scores (0-10) of the video it receives (unpaused). */
  scores: number[];
  /** The node's estimate of the bitrate it can send this peer (its receive transport), kbit/s; null = unknown. */
  availableKbps: number | null;
  /** Loss this peer reports (RTCP receiver reports) over what the node sent it since the last sample, percent; null = nothing sent. */
  lossPct: number | null;
  /** Round-trip time to this peer (ms, from its receiver reports); null = unknown. */
  rttMs: number | null;
}

export interface DownlinkAdvice {
  /** How much video to send this peer: full (mediasoup picks layers), low (smallest layer; lowTemporalLayer), off (paused). */
  cap: VideoCap;
  /** Tell the peer audio-only would serve it (once per bad spell). */
  suggest: MediaNotifications['suggestAudioOnly'] | null;
  /** The cap stays but its layers changed (lowTemporalLayer: a trial up from off held): apply them again. */
  relayer?: boolean;
}

/**
 * Audio first toward one receiver: the node's bandwidth estimate and the loss the receiver
 * reports (not scores alone: they stayed "good" at 100 kbit/s) cap or pause the video it gets,
 * and video comes back by trial when the link recovers (LinkGuard, the same rules the sender
 * applies to its uplink). Says audio-only once per spell in which video had to go off, or the
 * scores stayed low.
 */
export class DownlinkAdvisor {
  private readonly guard: LinkGuard;
  private readonly scores: AudioOnlyAdvisor;
  private suggested = false;
  /** When `low` came up from `off` (a trial), until the trial held; null otherwise. */
  private trialSince: number | null = null;

  constructor(options: Partial<LinkGuardOptions> = {}) {
    // Samples come every 2 s: a bad reading must last two of them. A trial up from off costs a
    // quarter of the smallest layer's frames, so the wait between trials stops at 30 s (not 60):
    // video comes back sooner after a long thin spell.
    this.guard = new LinkGuard({ downAfterMs: 3_000, maxBackoffMs: 30_000, ...options });
    this.scores = new AudioOnlyAdvisor();
  }

  get cap(): VideoCap {
    return this.guard.cap;
  }

  /**
   * The temporal layer a capped (`low`) receiver gets at most: 0 (a quarter of the frames, about a
   * third of the layer's bitrate) while `low` is a trial up from `off`, whose link carried only
   * audio until then (at 100 kbit/s the smallest layer at full rate flooded it on every trial);
   * null (the rate it asked for) when `low` came down from `full`.
   */
  get lowTemporalLayer(): number | null {
    return this.guard.cap === 'low' && this.trialSince !== null ? 0 : null;
  }

  observe(s: DownlinkSample, now: number): DownlinkAdvice {
    const was = this.guard.cap;
    const wasTemporal = this.lowTemporalLayer;
    const cap = this.guard.observe(
      { availableKbps: s.availableKbps, lossPct: s.lossPct, rttMs: s.rttMs },
      now,
    );
    if (cap !== was) this.trialSince = was === 'off' && cap === 'low' ? now : null;
    // The trial held: the capped receiver gets the frame rate it asked for.
    if (this.trialSince !== null && now - this.trialSince >= this.guard.options.trialMs)
      this.trialSince = null;
    const relayer = cap === was && this.lowTemporalLayer !== wasTemporal;
    const round = (x: number) => Math.round(x * 10) / 10;
    const mean = s.scores.length ? s.scores.reduce((a, b) => a + b, 0) / s.scores.length : 10;
    let suggest: DownlinkAdvice['suggest'] = null;
    const low = this.scores.observe(s.scores, now);
    if (cap === 'full') this.suggested = false;
    if (cap === 'off' && !this.suggested) {
      this.suggested = true;
      const lossy = s.lossPct !== null && s.lossPct >= this.guard.options.congestedLossPct;
      suggest = {
        reason: lossy ? 'loss' : 'low_bandwidth',
        score: round(mean),
        ...(s.availableKbps !== null ? { availableKbps: Math.round(s.availableKbps) } : {}),
        ...(s.lossPct !== null ? { lossPct: round(s.lossPct) } : {}),
      };
    } else if (low !== null && !this.suggested) {
      suggest = { reason: 'low_score', score: round(low) };
    }
    return { cap, suggest, ...(relayer ? { relayer } : {}) };
  }
}
