import { Controller, Get, Header, HttpStatus, Inject, Res, UnauthorizedException, Headers } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { HealthRegistry, metricsRegistry } from '@huizhen/observability';
import { Public } from './public-route';

/** The doors operators use: /health for load balancers, /metrics for Prometheus. */
@ApiExcludeController()
@Controller()
export class OperationsController {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
  ) {}

  @Public()
  @Get('health')
  async check(@Res() res: Response) {
    const result = await this.health.check();
    res.status(result.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(result);
  }

  /** Open on one machine; with METRICS_TOKEN set, the scraper must present it as a Bearer token. */
  @Public()
  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  async metrics(@Headers('authorization') authorization?: string): Promise<string> {
    const expected = this.config.metricsToken;
    if (expected) {
      const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
      const want = Buffer.from(expected);
      if (given.length !== want.length || !timingSafeEqual(given, want)) throw new UnauthorizedException('metrics need the METRICS_TOKEN bearer token');
    }
    return metricsRegistry.metrics();
  }
}
