import { type DynamicModule, Module } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { PlatformModule } from '@huizhen/platform-http';
import { ApiModule } from '../../api/src/api.module';
import { ImagingModule } from '../../imaging/src/imaging.module';
import { MediaModule } from '../../media/src/media.module';
import { DemoConsultations } from './demo-province/demo-consultations';
import { DemoProvinceModule } from './demo-province/demo-province.module';
import { FirstStartDemo } from './demo-province/first-start-demo';
import { DirectoryModule } from '@huizhen/directory';
import { WebClientModule } from '@huizhen/web-client';

/** The single-node default: api + imaging + media in one process, one database, one port. */
@Module({})
export class ServerModule {
  static forConfig(config?: HuizhenConfig): DynamicModule {
    return {
      module: ServerModule,
      imports: [
        PlatformModule.forRoot({ config, database: true }),
        ApiModule,
        ImagingModule,
        MediaModule,
        DirectoryModule,
        DemoProvinceModule,
        WebClientModule,
      ],
      providers: [DemoConsultations, FirstStartDemo],
    };
  }
}
