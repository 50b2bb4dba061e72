import { Module } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { PlatformModule } from '@huizhen/platform-http';
import { ApiModule } from '../../../apps/api/src/api.module';
import { ImagingModule } from '../../../apps/imaging/src/imaging.module';

/**
 * The api and imaging in one process, as the single server mounts them (media aside: no room in
 * the machine tests): what a machine calls (DICOMweb, DIMSE, the API) and the admin routes that
 * register it. A root module for startTestApp.
 */
export function apiAndImaging(config: HuizhenConfig) {
  @Module({
    imports: [PlatformModule.forRoot({ config, database: true }), ApiModule, ImagingModule],
  })
  class ApiAndImaging {}
  return ApiAndImaging;
}
