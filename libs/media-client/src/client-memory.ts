/**
 * What the media client keeps in the browser between joins: the router's RTP capabilities per
 * media URL (so the next join loads its device before the server answers), and the debug switch
 * that logs each join step. localStorage in a browser, memory elsewhere; unreadable or full
 * storage only costs the shortcut.
 */
import type { RtpCapabilitiesJson } from '@huizhen/media-signaling';

/** Router capabilities kept from the last join, per media URL (localStorage in a browser, memory elsewhere). */
const keptCaps = new Map<string, RtpCapabilitiesJson>();
const CAPS_KEY = 'huizhen.media.routerCaps ';

function storage(): {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
} | null {
  try {
    return (
      (
        globalThis as {
          localStorage?: { getItem(k: string): string | null; setItem(k: string, v: string): void };
        }
      ).localStorage ?? null
    );
  } catch {
    return null;
  }
}

export function keptRouterCaps(url: string): RtpCapabilitiesJson | null {
  const held = keptCaps.get(url);
  if (held) return held;
  try {
    const raw = storage()?.getItem(CAPS_KEY + url);
    const caps = raw ? (JSON.parse(raw) as RtpCapabilitiesJson) : null;
    if (caps && Array.isArray(caps.codecs)) {
      keptCaps.set(url, caps);
      return caps;
    }
  } catch {
    // unreadable: join the slow way
  }
  return null;
}

export function keepRouterCaps(url: string, caps: RtpCapabilitiesJson): void {
  keptCaps.set(url, caps);
  try {
    storage()?.setItem(CAPS_KEY + url, JSON.stringify(caps));
  } catch {
    // full or forbidden: kept in memory only
  }
}

/** `localStorage['huizhen.media.debug'] = '1'` logs the join's steps with their times. */
export function debugging(): boolean {
  try {
    return storage()?.getItem('huizhen.media.debug') === '1';
  } catch {
    return false;
  }
}
