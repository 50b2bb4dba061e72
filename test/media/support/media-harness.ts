import { Module } from '@nestjs/common';
import { io, type Socket } from 'socket.io-client';
import type { HuizhenConfig } from '@huizhen/config';
import { PlatformModule } from '@huizhen/platform-http';
import { startTestApp } from '@huizhen/testing';
import { type RoomRole, signRoomToken } from '@huizhen/room-token';
import { type Ack, MEDIA_NAMESPACE } from '@huizhen/media-signaling';
import { MediaModule } from '../../../apps/media/src/media.module';
import { MediaRoomsService } from '../../../apps/media/src/media-rooms.service';
import { MediaGateway } from '../../../apps/media/src/media.gateway';

export const TEST_JWT_SECRET = 'media-test-secret-media-test-secret-01';

/** The standalone media process (no database), on loopback with any free ports. */
export async function startMediaApp(env: Record<string, string> = {}) {
  const started = await startTestApp(
    {
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      DATA_DIR: '/tmp/huizhen-test/media',
      LOG_LEVEL: 'error',
      MEDIA_WORKERS: '2',
      ...env,
    },
    (config: HuizhenConfig) => {
      @Module({ imports: [PlatformModule.forRoot({ config, database: false }), MediaModule] })
      class MediaTestProcess {}
      return MediaTestProcess;
    },
  );
  const rooms = started.app.get(MediaRoomsService);
  const gateway = started.app.get(MediaGateway);
  let n = 0;
  return {
    ...started,
    rooms,
    gateway,
    /** A room token for `sub` (a new practitioner by default), valid `ttlSeconds` (300) from `now` (the clock). */
    token(
      room: string,
      role: RoomRole,
      sub = `p-${role}-${++n}`,
      life: { ttlSeconds?: number; now?: number } = {},
    ) {
      return signRoomToken(
        { sub, name: `Dr ${sub}`, room, role },
        started.config.roomTokenSecret,
        life.ttlSeconds ?? 300,
        life.now,
      );
    },
    /** The server side of a participant's signaling connection. */
    serverSocketOf(practitionerId: string) {
      for (const s of gateway.namespace!.sockets.values()) {
        if (
          (s.data as { session?: { claims: { sub: string } } }).session?.claims.sub ===
          practitionerId
        )
          return s;
      }
      return undefined;
    },
    async close() {
      await started.app.close();
    },
  };
}
export type MediaTestApp = Awaited<ReturnType<typeof startMediaApp>>;

/** A bare socket.io client speaking the protocol by hand (no WebRTC): for protocol and abuse tests. */
export class RawSignalingClient {
  readonly events: { event: string; data: any }[] = [];
  private constructor(readonly socket: Socket) {
    socket.onAny((event, data) => this.events.push({ event, data }));
  }

  static connect(
    url: string,
    auth: Record<string, unknown>,
    opts: { reconnection?: boolean } = {},
  ): Promise<RawSignalingClient> {
    const socket = io(url + MEDIA_NAMESPACE, {
      auth,
      transports: ['websocket'],
      reconnection: opts.reconnection ?? false,
      forceNew: true,
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RawSignalingClient(socket)));
      socket.once('connect_error', (e) => {
        socket.close();
        reject(e);
      });
    });
  }

  request<T = any>(event: string, ...args: unknown[]): Promise<Ack<T>> {
    return this.socket.timeout(5000).emitWithAck(event, ...args);
  }

  async ok<T = any>(event: string, payload: unknown = {}): Promise<T> {
    const a = await this.request<T>(event, payload);
    if (a.error) throw new Error(`${event} failed: ${a.error.code} ${a.error.message}`);
    return a.data as T;
  }

  /** Waits for a server notification (already received or coming). */
  async next(
    event: string,
    pred: (d: any) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.event === event && pred(e.data));
      if (i >= 0) return this.events.splice(i, 1)[0].data;
      if (Date.now() > deadline)
        throw new Error(
          `no ${event} within ${timeoutMs} ms; got ${this.events.map((e) => e.event).join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** RTP parameters a sender would offer (what mediasoup-client derives from a browser's SDP). */
export const VIDEO_RTP_PARAMETERS = {
  mid: '0',
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 96,
      clockRate: 90000,
      rtcpFeedback: [
        { type: 'nack' },
        { type: 'nack', parameter: 'pli' },
        { type: 'ccm', parameter: 'fir' },
      ],
    },
  ],
  headerExtensions: [],
  encodings: [{ ssrc: 11111111 }],
  rtcp: { cname: 'test-cname', reducedSize: true },
};
export const AUDIO_RTP_PARAMETERS = {
  mid: '1',
  codecs: [
    {
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
      parameters: { useinbandfec: 1 },
    },
  ],
  headerExtensions: [],
  encodings: [{ ssrc: 22222222 }],
  rtcp: { cname: 'test-cname', reducedSize: true },
};

export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
