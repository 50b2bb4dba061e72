import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { defaultWebClientDir, webClientMiddleware } from './web-client.middleware';

/**
 * The browser client, served from apps/web/dist by the single-node server and by the api process (built by
 * `npm run build:web`, resolved from the working directory `npm start` runs in).
 */
@Module({})
export class WebClientModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer
      .apply(webClientMiddleware(defaultWebClientDir()))
      .forRoutes({ path: '{*path}', method: RequestMethod.GET });
  }
}
