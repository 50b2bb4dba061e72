import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { EmbeddedPostgres } from './embedded-postgres';

/** Starts the embedded PGlite server when no DATABASE_URL is configured. */
@Injectable()
export class DatabaseEndpoint implements OnApplicationShutdown {
  private embedded: EmbeddedPostgres | null = null;
  private url: string | null = null;
  dataSource: DataSource | null = null;

  constructor(@Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig) {}

  get isEmbedded(): boolean {
    return !this.config.databaseUrl;
  }

  async resolveUrl(): Promise<string> {
    if (this.url) return this.url;
    if (this.config.databaseUrl) return (this.url = this.config.databaseUrl);
    this.embedded = new EmbeddedPostgres(this.config.dataDir, this.config.embeddedDatabasePort);
    return (this.url = await this.embedded.start());
  }

  async onApplicationShutdown(): Promise<void> {
    // The embedded server must outlive the pool that talks to it.
    if (this.dataSource?.isInitialized) await this.dataSource.destroy().catch(() => undefined);
    await this.embedded?.stop();
  }
}
