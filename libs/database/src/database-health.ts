import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthRegistry } from '@huizhen/observability';
import { DatabaseEndpoint } from './database-endpoint';

@Injectable()
export class DatabaseHealth implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoint: DatabaseEndpoint,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit() {
    this.health.register('database', async () => {
      const started = performance.now();
      await this.dataSource.query('SELECT 1');
      return {
        status: 'up',
        mode: this.endpoint.isEmbedded ? 'embedded' : 'postgresql',
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
      };
    });
  }
}
