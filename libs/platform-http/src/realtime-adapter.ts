import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { HuizhenConfig } from '@huizhen/config';

/**
 * socket.io for /events and /media. With REDIS_URL, rooms span every node (an event emitted
 * on one api node reaches a client connected to another); without, one node serves alone.
 */
export class RealtimeAdapter extends IoAdapter {
  private adapterFactory: ReturnType<typeof createAdapter> | null = null;
  private clients: { quit(): Promise<unknown> }[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly config: HuizhenConfig,
  ) {
    super(app);
  }

  async connect(): Promise<void> {
    if (!this.config.redisUrl) return;
    const pub = createClient({ url: this.config.redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    this.clients = [pub, sub];
    this.adapterFactory = createAdapter(pub, sub, { key: 'huizhen' });
    new Logger('Realtime').log('socket.io rooms shared through Redis');
  }

  /**
   * Every gateway on the HTTP server shares one socket.io server and so one engine (Nest creates
   * it with the first gateway's options and only adds namespaces for the others). The heartbeat
   * is the engine's: it takes the shortest pingInterval and pingTimeout any namespace asks for,
   * whichever gateway Nest happens to create first (/events, asking nothing, came first in the
   * single-process server and /media's 5 s / 5 s became engine.io's 25 s / 20 s).
   */
  // `any`: Nest's adapter carries its own copy of socket.io's types.
  override create(port: number, options?: any): any {
    const created: any = super.create(port, options);
    const engine = options?.server?.engine ?? created?.server?.engine ?? created?.engine;
    if (engine?.opts) tightenHeartbeat(engine.opts, options);
    return created;
  }

  // `any`: Nest's adapter carries its own copy of socket.io's types.
  override createIOServer(port: number, options?: any): any {
    const cors = { origin: this.config.corsOrigins, credentials: true };
    const server = super.createIOServer(port, { maxHttpBufferSize: 1e6, ...options, cors });
    if (this.adapterFactory) server.adapter(this.adapterFactory);
    return server;
  }

  override async close(server: any): Promise<void> {
    await super.close(server);
    await Promise.all(this.clients.map((c) => c.quit().catch(() => undefined)));
    this.clients = [];
  }
}

/** Lowers the engine's ping settings to a namespace's (engine.io reads them per connection, so later connections get them). */
export function tightenHeartbeat(
  engineOpts: { pingInterval?: number; pingTimeout?: number },
  wanted?: { pingInterval?: unknown; pingTimeout?: unknown },
): void {
  for (const key of ['pingInterval', 'pingTimeout'] as const) {
    const v = wanted?.[key];
    if (typeof v === 'number' && v > 0 && (engineOpts[key] === undefined || v < engineOpts[key]!))
      engineOpts[key] = v;
  }
}

export async function useRealtime(
  app: INestApplicationContext & { useWebSocketAdapter(a: unknown): unknown },
  config: HuizhenConfig,
): Promise<void> {
  const adapter = new RealtimeAdapter(app, config);
  await adapter.connect();
  app.useWebSocketAdapter(adapter);
}
