import { Module } from '@nestjs/common';
import { CallEvents } from './call-events';

/** Imported by the media module (publishes) and the consultations module (records): one instance per process. */
@Module({ providers: [CallEvents], exports: [CallEvents] })
export class CallEventsModule {}
