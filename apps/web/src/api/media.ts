import { api } from './client';

/** Role in the live room, as the server signs it into the room token. */
export type RoomRole = 'host' | 'guest_specialist' | 'township_doctor' | 'observer';

export interface RoomTicket {
  token: string;
  room: string;
  role: RoomRole;
  /** Seconds the token is accepted. */
  expiresIn: number;
  namespace: string;
}

export const mediaApi = {
  /** A short-lived token for the consultation's live room (only participants of a live consultation get one). */
  roomToken: (consultationId: string) =>
    api.post<RoomTicket>(`/api/consultations/${encodeURIComponent(consultationId)}/room-token`),
};
