import { Module } from '@nestjs/common';
import { PlatformModule } from '@huizhen/platform-http';
import { type TestSchema, startTestApp } from '@huizhen/testing';
import { ApiModule } from './api.module';

/** The api app as its process runs it, on a test schema. */
export function startApiForTest(schema: TestSchema, env: Record<string, string> = {}) {
  return startTestApp(schema.env(env), (config) => {
    @Module({ imports: [PlatformModule.forRoot({ config, database: true }), ApiModule] })
    class ApiUnderTest {}
    return ApiUnderTest;
  });
}
