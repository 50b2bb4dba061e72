import { Module } from '@nestjs/common';
import { CallEventsModule } from '@huizhen/call-events';
import { MediaGateway } from './media.gateway';
import { MediaRoomsService } from './media-rooms.service';

/**
 * Video: socket.io /media signaling and mediasoup workers (one per core). Needs no database:
 * participants prove who they are with short-lived room tokens signed by the api.
 * Mounted by apps/server (single process) and apps/media (standalone media node).
 */
@Module({
  imports: [CallEventsModule],
  providers: [MediaRoomsService, MediaGateway],
  exports: [MediaRoomsService],
})
export class MediaModule {}
