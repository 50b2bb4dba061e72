/**
 * Join fast: the consultation page prefetches, while it shows a joinable live room, the room
 * route's chunk, a room token and an open /media socket (room-tickets.ts warmRoom: closed when the
 * user leaves the page or idles), so the click on 进入视频会诊 is one request to the media server.
 * Kept out of the room chunk (the consultation page imports it).
 */
import { prefetchRoomTicket as requestRoomTicket, warmRoom } from './room-tickets';

/** A room token now, and the /media socket opened with it. */
export function prefetchRoomTicket(consultationId: string): void {
  requestRoomTicket(consultationId);
  warmRoom(consultationId);
}

/** The room route's chunk (the same module App.tsx loads lazily; the bundler shares it). */
export function prefetchRoomChunk(): void {
  void import('./VideoRoomPage').catch(() => undefined);
}
