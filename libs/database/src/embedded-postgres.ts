import { Logger } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * PostgreSQL for a single machine with no database server: PGlite (PostgreSQL in
 * WebAssembly) served over the wire protocol on 127.0.0.1, so TypeORM and pg connect as to
 * any PostgreSQL. PGlite has ONE session: keep the client pool at one connection.
 */
export class EmbeddedPostgres {
  private readonly logger = new Logger('EmbeddedPostgres');
  private server: { stop(): Promise<void> } | null = null;
  private db: { close(): Promise<void> } | null = null;
  url = '';

  constructor(
    private readonly dataDir: string,
    private readonly port = 0,
  ) {}

  async start(): Promise<string> {
    const dir = join(this.dataDir, 'pg');
    mkdirSync(dir, { recursive: true });
    const started = Date.now();
    const { PGlite } = await import('@electric-sql/pglite');
    const { btree_gist } = await import('@electric-sql/pglite/contrib/btree_gist');
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create(dir, { extensions: { btree_gist, pg_trgm } });
    this.db = db;
    const port = this.port || (await freePort());
    // Two connections: one for the pool, one spare so a health probe or a reconnect is
    // never refused while the pool's connection is being replaced.
    const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 2 });
    await server.start();
    this.server = server;
    this.url = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
    this.logger.log(
      `embedded PostgreSQL (PGlite) on 127.0.0.1:${port}, data ${dir}, ready in ${Date.now() - started} ms`,
    );
    return this.url;
  }

  async stop(): Promise<void> {
    await this.server?.stop().catch(() => undefined);
    await this.db?.close().catch(() => undefined);
    this.server = null;
    this.db = null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
