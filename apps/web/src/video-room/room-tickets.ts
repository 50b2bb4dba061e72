/**
 * Room tokens for the join: requested ahead by the consultation page (prefetch.ts), peeked at by
 * the pre-join check, taken once by the room. Its own module, so the room's code never imports the
 * module that loads the room's chunk.
 */
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
