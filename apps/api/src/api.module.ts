import { Module } from '@nestjs/common';

/**
 * The HTTP API and the /events namespace: directory, auth, consultations, scheduling, audit.
 * Expects ConfigModule, DatabaseModule and ObservabilityModule from its host (see PlatformModule).
 */
@Module({
  imports: [],
})
export class ApiModule {}
