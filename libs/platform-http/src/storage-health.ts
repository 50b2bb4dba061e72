import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { constants } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { HealthRegistry } from '@huizhen/observability';

// Below this, new DICOM studies and the embedded database would start failing.
const MIN_FREE_BYTES = 1024 ** 3;

/** DATA_DIR must exist, be writable and have room: the DICOM store and the embedded database live there. */
@Injectable()
export class StorageHealth implements OnModuleInit {
  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit() {
    this.health.register('storage', async () => {
      await mkdir(this.config.dataDir, { recursive: true });
      await access(this.config.dataDir, constants.W_OK);
      const fs = await statfs(this.config.dataDir);
      const freeBytes = fs.bavail * fs.bsize;
      return {
        status: freeBytes >= MIN_FREE_BYTES ? 'up' : 'down',
        path: this.config.dataDir,
        freeGiB: Math.round((freeBytes / 1024 ** 3) * 10) / 10,
      };
    });
  }
}
