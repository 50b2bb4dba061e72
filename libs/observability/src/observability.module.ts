import { Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { HealthController, HealthRegistry } from './health';
import { HttpMetricsMiddleware, MetricsController } from './metrics';

@Global()
@Module({
  controllers: [HealthController, MetricsController],
  providers: [HealthRegistry],
  exports: [HealthRegistry],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
