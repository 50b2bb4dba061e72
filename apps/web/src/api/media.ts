import { api } from './client';
import type { RoomTicket } from '@huizhen/contract';

/** Role in the live room, and the ticket to it: the contract's, as the server signs them into the room token. */
export type { RoomRole, RoomTicket } from '@huizhen/contract';

export const mediaApi = {
  /** A short-lived token for the consultation's live room (only participants of a live consultation get one). */
  roomToken: (consultationId: string) =>
    api.post<RoomTicket>(`/api/consultations/${encodeURIComponent(consultationId)}/room-token`),
};
