import { Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { HealthRegistry } from './health-registry';
import { HttpMetricsMiddleware } from './metrics';

@Global()
@Module({
  providers: [HealthRegistry],
  exports: [HealthRegistry],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
