/**
 * Dynacast: a simulcast producer's owner sends no layer that no consumer wants. The room works
 * out the highest spatial layer wanted by any live (unpaused) consumer of the producer, from the
 * consumers' preferred layers (what the receiver asked for, or the cap its link got), and tells
 * the owner (`producerLayers`); -1 when every consumer is paused, the smallest layer alone when
 * there is no consumer yet (so a joiner's first frame needs no encoder restart). A raise is said at once (the receiver
 * waits for it), a drop only once it held for holdMs (a receiver switching tiles or resuming
 * does not make the sender flap). mediasoup's own bandwidth estimate still picks lower layers
 * per consumer under congestion: those layers stay on.
 */

/** What one consumer of the producer wants. */
export interface LayerWant {
  /** Paused by its receiver, audio-only, or by the node for the receiver's link: wants nothing. */
  paused: boolean;
  /** Its preferred spatial layer (undefined: the highest). */
  spatialLayer?: number;
}

/**
 * The highest spatial layer any live consumer wants, within the producer's `layers`; -1 when every
 * consumer is paused. With no consumer at all (the host alone, the other side still in the waiting
 * room) the smallest layer stays on: re-enabling an encoding restarts the encoder and its rate
 * estimate, which delayed the next joiner's first frame by 1.2-2.6 s after its transport connected
 * (bench timelines); one small layer costs the sender ~150 kbit/s of uplink while it waits.
 */
export function highestWantedLayer(wants: LayerWant[], layers: number): number {
  if (wants.length === 0) return 0;
  let top = -1;
  for (const w of wants) {
    if (w.paused) continue;
    top = Math.max(top, Math.min(w.spatialLayer ?? layers - 1, layers - 1));
  }
  return top;
}

/** One producer's dynacast state: what its owner was last told. */
export class Dynacast {
  /** null: nothing said yet (the owner sends every layer). */
  private told: number | null = null;
  private lowerSince: number | null = null;

  constructor(
    readonly layers: number,
    private readonly holdMs = 3_000,
  ) {}

  get current(): number {
    return this.told ?? this.layers - 1;
  }

  /** The value to tell the owner now, or null when nothing changes. */
  update(wanted: number, now: number): number | null {
    const current = this.current;
    if (wanted > current) {
      this.lowerSince = null;
      this.told = wanted;
      return wanted;
    }
    if (wanted === current) {
      this.lowerSince = null;
      return null;
    }
    this.lowerSince ??= now;
    if (now - this.lowerSince < this.holdMs) return null;
    this.lowerSince = null;
    this.told = wanted;
    return wanted;
  }
}
