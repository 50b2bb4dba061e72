import {
  Controller,
  ForbiddenException,
  Get,
  HttpStatus,
  Inject,
  Optional,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { HealthRegistry, metricsRegistry } from '@huizhen/observability';
import { REQUEST_AUTHENTICATOR, type RequestAuthenticator } from './direct-routes';
import { Public } from './public-route';

/** A loopback address (what a server bound to loopback only listens on). */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address) || address === 'localhost';
}

/**
 * The doors operators use: /health for load balancers, /metrics for Prometheus.
 *
 * /metrics: with METRICS_TOKEN set, the scraper presents it as a Bearer token; without it, only
 * a server listening on loopback answers (one machine, where only local processes reach it),
 * any other answers 403 saying so. /health: anyone gets up or down (200 or 503, `{status}`);
 * the details (each probe, storage, workers, ports) go to whoever may read /metrics and to
 * authenticated admins.
 */
@ApiExcludeController()
@Controller()
export class OperationsController {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly adapterHost: HttpAdapterHost,
    @Optional()
    @Inject(REQUEST_AUTHENTICATOR)
    private readonly authenticator?: RequestAuthenticator,
  ) {}

  @Public()
  @Get('health')
  async check(@Req() req: Request, @Res() res: Response) {
    const result = await this.health.check();
    const status = result.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE;
    const details =
      this.metricsAccess(req.headers.authorization) === 'granted' || (await this.isAdmin(req));
    res.status(status).json(details ? result : { status: result.status });
  }

  @Public()
  @Get('metrics')
  async metrics(@Req() req: Request, @Res() res: Response) {
    const access = this.metricsAccess(req.headers.authorization);
    if (access === 'wrong_token')
      throw new UnauthorizedException('metrics need the METRICS_TOKEN bearer token');
    if (access === 'closed') {
      throw new ForbiddenException(
        'metrics are closed: this server listens beyond loopback and METRICS_TOKEN is not set (set it and scrape with it as a Bearer token)',
      );
    }
    res.setHeader('Content-Type', metricsRegistry.contentType);
    res.send(await metricsRegistry.metrics());
  }

  private metricsAccess(authorization: string | undefined): 'granted' | 'wrong_token' | 'closed' {
    const expected = this.config.metricsToken;
    if (!expected) return this.listensOnLoopbackOnly() ? 'granted' : 'closed';
    const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
    const want = Buffer.from(expected);
    return given.length === want.length && timingSafeEqual(given, want) ? 'granted' : 'wrong_token';
  }

  /** Where the HTTP server is actually bound (not the HOST setting: tests and embedders bind their own). */
  private listensOnLoopbackOnly(): boolean {
    const address = this.adapterHost.httpAdapter?.getHttpServer()?.address() as
      AddressInfo | string | null | undefined;
    return typeof address === 'object' && address !== null && isLoopbackAddress(address.address);
  }

  private async isAdmin(req: Request): Promise<boolean> {
    if (!this.authenticator || !req.headers.authorization) return false;
    const actor = (await this.authenticator.authenticate(req).catch(() => null)) as {
      roles?: string[];
    } | null;
    return !!actor?.roles?.includes('admin');
  }
}
