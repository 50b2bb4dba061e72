import { Logger } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { RoomTokenError } from '@huizhen/room-token';
import {
  type Ack,
  MEDIA_NAMESPACE,
  SIGNALING_LIMITS,
  SignalingError,
  type SignalingErrorBody,
  validateMediaRequest,
} from '@huizhen/media-signaling';
import { MediaRoomsService, type MediaSession } from './media-rooms.service';

/** Time a connection with an expired token (admitted only to resume its peer) gets to do so. */
const RESUME_MS = 30_000;

/** Per-connection request budget: a burst of 100, then 50 requests a second. */
class RequestBudget {
  private tokens = 100;
  private at = Date.now();
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(100, this.tokens + ((now - this.at) / 1000) * 50);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface SocketData {
  session: MediaSession;
  budget: RequestBudget;
  /** Requests wait for a join in progress on the same connection (never run against a half-joined peer). */
  joining: Promise<unknown>;
}

function errorBody(e: unknown): SignalingErrorBody {
  if (e instanceof SignalingError) return e.toBody();
  const name = (e as { name?: string })?.name;
  const message = e instanceof Error ? e.message : String(e);
  // mediasoup names what was wrong with RTP/DTLS parameters in TypeErrors.
  if (e instanceof TypeError || name === 'TypeError')
    return { code: 'invalid_message', message: message.slice(0, 300) };
  if (name === 'UnsupportedError')
    return { code: 'invalid_message', message: message.slice(0, 300) };
  if (name === 'InvalidStateError' || name === 'WorkerClosedError' || /closed/i.test(message)) {
    return {
      code: 'not_found',
      message: 'the transport, producer or consumer was closed meanwhile',
    };
  }
  // The worker refused the request (duplicate MID/SSRC, transport connected twice...): the client's doing, say why.
  if (e instanceof Error && /Channel\.processResponse/.test(e.stack ?? ''))
    return { code: 'rejected', message: message.slice(0, 300) };
  return { code: 'server_error', message: 'the media server failed to do this' };
}

/**
 * socket.io namespace /media. Handshake `auth: {token, resume?}` carries the room token; every
 * request is `emit(name, payload, ack)` and is answered `{data}` or `{error: {code, message}}`.
 *
 * The HTTP server's gateways share one engine: its heartbeat is the shortest any namespace asks
 * for (RealtimeAdapter), so /media's 5 s / 5 s holds beside /events in the single-process server.
 */
@WebSocketGateway({
  namespace: MEDIA_NAMESPACE,
  maxHttpBufferSize: SIGNALING_LIMITS.maxHttpBufferSize,
  // Authentication is the bearer room token in the handshake, never a cookie: any origin may connect.
  cors: { origin: true, credentials: false },
  // A dead connection is noticed within ~10 s (server) instead of 45 s; the peer then waits out its grace period.
  pingInterval: 5000,
  pingTimeout: 5000,
})
export class MediaGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger('MediaSignaling');
  namespace: Namespace | null = null;

  constructor(private readonly rooms: MediaRoomsService) {}

  afterInit(nsp: Namespace): void {
    this.namespace = nsp;
    nsp.use((socket, next) => {
      try {
        const { claims, resumeOnly } = this.rooms.authenticate(socket.handshake.auth);
        const data: SocketData = {
          session: {
            channel: socket,
            claims,
            resumeOnly,
            peer: null,
            room: null,
            probe: undefined,
          },
          budget: new RequestBudget(),
          joining: Promise.resolve(),
        };
        socket.data = data;
        next();
      } catch (e) {
        const reason = e instanceof RoomTokenError ? e.code : 'malformed';
        const err = new Error(
          e instanceof RoomTokenError ? e.message : 'room token required',
        ) as Error & { data?: unknown };
        err.data = { code: 'unauthorized', reason };
        next(err);
      }
    });
  }

  handleConnection(socket: Socket): void {
    const data = socket.data as SocketData | undefined;
    if (!data?.session) {
      socket.disconnect(true);
      return;
    }
    // A connection opened ahead of the join (the web client warms one while the consultation page
    // shows the join button) lives on its room token: still neither in the room nor probing when
    // the token expires, it goes (one that came with an expired token to resume has RESUME_MS).
    const s = data.session;
    const untilMs = s.resumeOnly ? RESUME_MS : Math.max(0, s.claims.exp * 1000 - Date.now());
    const unjoined = setTimeout(() => {
      if (!s.peer && !s.probe) socket.disconnect(true);
    }, untilMs);
    unjoined.unref();
    socket.on('disconnect', (reason) => {
      clearTimeout(unjoined);
      this.rooms.socketClosed(data.session, reason);
    });
    socket.onAny((event: unknown, ...args: unknown[]) => {
      const ack =
        typeof args[args.length - 1] === 'function'
          ? (args.pop() as (a: Ack<unknown>) => void)
          : null;
      if (!ack) return; // every request wants an answer; fire-and-forget messages are ignored
      if (!data.budget.take()) {
        ack({ error: { code: 'rate_limited', message: 'too many requests; slow down' } });
        return;
      }
      void this.dispatch(data, String(event), args, ack);
    });
  }

  private async dispatch(
    data: SocketData,
    event: string,
    args: unknown[],
    ack: (a: Ack<unknown>) => void,
  ): Promise<void> {
    try {
      if (args.length > 1)
        throw new SignalingError('invalid_message', 'a request carries one payload object');
      const payload = validateMediaRequest(event, args[0]);
      let run: Promise<unknown>;
      if (event === 'join') {
        run = data.joining.then(() => this.rooms.handle(data.session, 'join', payload));
        data.joining = run.catch(() => undefined);
      } else {
        run = data.joining.then(() => this.rooms.handle(data.session, event as never, payload));
      }
      ack({ data: await run });
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'server_error')
        this.logger.error({
          msg: 'signaling request failed',
          request: event,
          error: e instanceof Error ? e.stack : String(e),
        });
      ack({ error: body });
    }
  }
}
