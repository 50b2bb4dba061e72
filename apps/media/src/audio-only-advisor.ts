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
