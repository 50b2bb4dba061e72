import { Module } from '@nestjs/common';

/** Video: socket.io /media signaling and mediasoup workers. Needs no database. Filled by the media issue. */
@Module({})
export class MediaModule {}
