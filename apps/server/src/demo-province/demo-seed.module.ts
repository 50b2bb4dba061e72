import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { DirectoryModule } from '@huizhen/directory';
import { PlatformModule } from '@huizhen/platform-http';
import { ApiModule } from '../../../api/src/api.module';
import { ImagingModule } from '../../../imaging/src/imaging.module';
import { DemoConsultations } from './demo-consultations';
import { DemoProvinceModule } from './demo-province.module';
import { DemoProvinceSeeder, type DemoSummary } from './demo-province.seeder';

/**
 * What `npm run seed:demo` boots to load the same demo as the first embedded start: the api
 * and the archive, whose services make the demo consultations and store the radiograph. No
 * HTTP server, no media workers; the caller turns the DIMSE listener off.
 */
@Module({})
export class DemoSeedModule {
  static forConfig(config: HuizhenConfig): DynamicModule {
    return {
      module: DemoSeedModule,
      imports: [
        PlatformModule.forRoot({ config, database: true }),
        ApiModule,
        ImagingModule,
        DirectoryModule,
        DemoProvinceModule,
      ],
      providers: [DemoConsultations],
    };
  }
}

/** The configuration a loader runs with: it seeds itself, and opens no DICOM listener. */
export function loaderConfig(loaded: HuizhenConfig): HuizhenConfig {
  return {
    ...loaded,
    seedDemoOnFirstStart: false,
    imaging: { ...loaded.imaging, dimseEnabled: false },
  };
}

/** The demo province and its consultations into an empty database; null when it has organizations already. */
export async function seedDemo(
  app: INestApplicationContext,
): Promise<(DemoSummary & { consultations: number }) | null> {
  const summary = await app.get(DemoProvinceSeeder).seedIfEmpty();
  if (!summary) return null;
  return { ...summary, consultations: await app.get(DemoConsultations).seed() };
}
