/** What the pre-join check hands the room: the open devices, and whether to join with audio only. */
export interface RoomEntry {
  stream: MediaStream | null;
  audioOnly: boolean;
}
