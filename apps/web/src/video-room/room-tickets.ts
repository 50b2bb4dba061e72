/**
 * Room tokens for the join: requested ahead by the consultation page (prefetch.ts), peeked at by
 * the pre-join check, taken once by the room. Its own module, so the room's code never imports the
 * module that loads the room's chunk.
 */
import type { MediaClient } from '@huizhen/media-client';
import { mediaApi, type RoomTicket } from '../api/media';

interface Prefetched {
  ticket: Promise<RoomTicket>;
  /** When the request was sent (the token's clock starts at the api at about this time). */
  at: number;
}

const tickets = new Map<string, Prefetched>();
/** A token used this late in its life could expire during a slow join: fetch a fresh one instead. */
const MARGIN_S = 120;

/** Requests a room token now (once per consultation until taken or stale); failures are forgotten. */
export function prefetchRoomTicket(consultationId: string): void {
  const held = tickets.get(consultationId);
  if (held && fresh(held)) return;
  const entry: Prefetched = { ticket: mediaApi.roomToken(consultationId), at: Date.now() };
  entry.ticket.catch(() => {
    if (tickets.get(consultationId) === entry) tickets.delete(consultationId);
  });
  tickets.set(consultationId, entry);
}

function fresh(p: Prefetched): boolean {
  // expiresIn is unknown until the answer arrives: 600 s by default, checked again on take.
  return Date.now() - p.at < (600 - MARGIN_S) * 1000;
}

/** The prefetched ticket (once: a later join asks again) or a new request. */
export async function takeRoomTicket(consultationId: string): Promise<RoomTicket> {
  const held = tickets.get(consultationId);
  tickets.delete(consultationId);
  if (held && fresh(held)) {
    const ticket = await held.ticket.catch(() => null);
    if (ticket && Date.now() - held.at < (ticket.expiresIn - MARGIN_S) * 1000) return ticket;
  }
  return mediaApi.roomToken(consultationId);
}

/**
 * The ticket for a look before joining (the pre-join probe): the prefetched one, or one requested
 * now and kept, so that the join right after takes the same ticket without asking again.
 */
export async function peekRoomTicket(consultationId: string): Promise<RoomTicket> {
  const held = tickets.get(consultationId);
  if (!held || !fresh(held)) prefetchRoomTicket(consultationId);
  return tickets.get(consultationId)!.ticket;
}

/**
 * Join fast: a /media socket opened (room token handshake, device loaded from kept capabilities)
 * while the consultation page shows the join button, so the click joins with one request on it.
 * Taken once by the room; closed when the user leaves the page (the address no longer names the
 * consultation, the page hides, a sign-out), or sits idle (no input) for WARM_IDLE_MS — then
 * opened again at the next input while the page still shows.
 */
interface WarmRoom {
  consultationId: string;
  ready: Promise<{ client: MediaClient; ticket: RoomTicket } | null>;
  client: MediaClient | null;
}

const WARM_IDLE_MS = 90_000;
let warm: WarmRoom | null = null;
let watcher: { timer: ReturnType<typeof setInterval>; lastInput: number; id: string } | null = null;

export function warmRoom(consultationId: string): void {
  if (typeof window === 'undefined') return;
  watch(consultationId);
  if (warm?.consultationId === consultationId) return;
  closeWarmRoom();
  const entry: WarmRoom = { consultationId, client: null, ready: Promise.resolve(null) };
  entry.ready = (async () => {
    const ticket = await peekRoomTicket(consultationId);
    const { MediaClient } = await import('@huizhen/media-client');
    if (warm !== entry) return null;
    let first = true;
    const client = new MediaClient({
      url: window.location.origin,
      room: ticket.room,
      // Each reconnect asks for a fresh token: the first one is in hand.
      token: async () => {
        if (first) {
          first = false;
          return ticket.token;
        }
        return (await mediaApi.roomToken(consultationId)).token;
      },
    });
    entry.client = client;
    client.warm();
    return { client, ticket };
  })().catch(() => {
    if (warm === entry) warm = null;
    return null;
  });
  warm = entry;
}

/** The warm client of this consultation (once), or null: the room then connects as usual. */
export async function takeWarmRoom(
  consultationId: string,
): Promise<{ client: MediaClient; ticket: RoomTicket } | null> {
  const entry = warm;
  if (!entry || entry.consultationId !== consultationId) return null;
  warm = null;
  stopWatching();
  const got = await entry.ready;
  // Dropped or refused meanwhile (its socket gave up): the room starts afresh.
  if (!got || got.client.state !== 'idle') {
    got?.client.close();
    return null;
  }
  return got;
}

/** Closes the warm socket, if any. */
export function closeWarmRoom(): void {
  const entry = warm;
  warm = null;
  if (!entry) return;
  if (entry.client) entry.client.close();
  else void entry.ready.then((got) => got?.client.close());
}

function onInput(): void {
  if (!watcher) return;
  watcher.lastInput = Date.now();
  // Back from idle on the same page: open the socket again.
  if (!warm && onPageOf(watcher.id)) warmRoom(watcher.id);
}

function onPageOf(consultationId: string): boolean {
  return document.visibilityState !== 'hidden' && window.location.pathname.includes(consultationId);
}

function watch(consultationId: string): void {
  if (watcher) {
    watcher.id = consultationId;
    watcher.lastInput = Date.now();
    return;
  }
  watcher = {
    id: consultationId,
    lastInput: Date.now(),
    timer: setInterval(() => {
      if (!watcher) return;
      if (!onPageOf(watcher.id)) {
        closeWarmRoom();
        // Gone elsewhere for good (not just hidden): stop watching.
        if (!window.location.pathname.includes(watcher.id)) stopWatching();
      } else if (Date.now() - watcher.lastInput > WARM_IDLE_MS) closeWarmRoom();
    }, 1000),
  };
  for (const e of INPUT_EVENTS) window.addEventListener(e, onInput, { passive: true });
  window.addEventListener('pagehide', closeWarmRoom);
}

const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'focus', 'visibilitychange'];

function stopWatching(): void {
  if (!watcher) return;
  clearInterval(watcher.timer);
  watcher = null;
  for (const e of INPUT_EVENTS) window.removeEventListener(e, onInput);
  window.removeEventListener('pagehide', closeWarmRoom);
}
