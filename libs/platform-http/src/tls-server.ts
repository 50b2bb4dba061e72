import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { applyServerTimeouts } from './http-edge';
import type { TlsMaterial } from './tls-certificates';

/**
 * HTTPS on HTTPS_PORT beside the app's plain HTTP server, serving the same app: every request and
 * WebSocket upgrade it receives goes to the HTTP server's own listeners (the edge, Express and Nest,
 * socket.io's engine), which tell the schemes apart by the socket. Closing the app closes it too.
 */
export async function listenHttps(
  app: INestApplication,
  config: Pick<HuizhenConfig, 'host' | 'tls' | 'http'>,
  material: TlsMaterial,
): Promise<HttpsServer> {
  const http: Server = app.getHttpServer();
  const https = createHttpsServer({ key: material.key, cert: material.cert });
  applyServerTimeouts(https as unknown as Server, config.http);
  https.on('request', (req: IncomingMessage, res: ServerResponse) =>
    http.emit('request', req, res),
  );
  https.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (http.listenerCount('upgrade') === 0) socket.destroy();
    else http.emit('upgrade', req, socket, head);
  });
  // A failed handshake (an untrusted certificate refused by the browser) is the client's affair.
  https.on('tlsClientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(config.tls.httpsPort, config.host, () => {
      https.off('error', reject);
      resolve();
    });
  });
  const close = http.close.bind(http);
  http.close = ((cb?: (err?: Error) => void) => {
    https.close();
    https.closeAllConnections();
    return close(cb);
  }) as Server['close'];
  return https;
}
