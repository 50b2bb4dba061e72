import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh DATA_DIR with no DATABASE_URL: the app under test starts the embedded PostgreSQL
 * (PGlite, one connection) there, exactly as `npm start` does on a fresh machine.
 */
export class EmbeddedDataDir {
  readonly path = mkdtempSync(join(tmpdir(), 'huizhen-embedded-'));

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { NODE_ENV: 'test', DATA_DIR: this.path, LOG_LEVEL: 'error', ...extra };
  }

  drop(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
