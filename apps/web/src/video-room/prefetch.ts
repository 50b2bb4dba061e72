/**
 * Join fast: the consultation page prefetches, while it shows a joinable live room, the room
 * route's chunk and a room token, so the click on 进入视频会诊 goes straight to the media server.
 * Kept out of the room chunk (the consultation page imports it).
 */
export { prefetchRoomTicket } from './room-tickets';

/** The room route's chunk (the same module App.tsx loads lazily; the bundler shares it). */
export function prefetchRoomChunk(): void {
  void import('./VideoRoomPage').catch(() => undefined);
}
