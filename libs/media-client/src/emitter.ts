type Listener = (...args: any[]) => void;

/** A tiny typed event emitter that runs in browsers and Node alike. */
export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners = new Map<keyof E, Set<Listener>>();

  on<K extends keyof E>(event: K, f: (...args: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(f as Listener);
    return () => this.off(event, f);
  }

  once<K extends keyof E>(event: K, f: (...args: E[K]) => void): () => void {
    const off = this.on(event, (...args) => {
      off();
      f(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, f: (...args: E[K]) => void): void {
    this.listeners.get(event)?.delete(f as Listener);
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    for (const f of [...(this.listeners.get(event) ?? [])]) {
      try {
        f(...args);
      } catch (e) {
        // A listener's bug must not break the client's own bookkeeping.
        setTimeout(() => {
          throw e;
        });
      }
    }
  }
}
