import { Logger, type OnModuleInit } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AuthService, SessionRevocations, handshakeToken, type Actor } from '@huizhen/auth';
import { EventsService, organizationRoom, userRoom } from './events.service';

/**
 * socket.io namespace /events: live notifications to signed-in users. The handshake must
 * carry the access token (`auth: { token }`); a socket joins its user's room and its
 * organization's room and nothing else, so emits can only reach people entitled to them.
 * Clients only listen here: every change goes through the HTTP API.
 */
@WebSocketGateway({ namespace: '/events' })
export class EventsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleInit {
  private readonly logger = new Logger('Events');
  @WebSocketServer() private readonly ns: Namespace;

  constructor(
    private readonly auth: AuthService,
    private readonly events: EventsService,
    private readonly revocations: SessionRevocations,
  ) {}

  onModuleInit() {
    this.events.bind(() => this.ns);
    // A socket outlives the token it was opened with: when a session ends (logout, deactivation),
    // this node's sockets check their tokens again and those refused are closed.
    this.revocations.onRevoked(() => void this.closeEndedSessions());
  }

  private async closeEndedSessions(): Promise<void> {
    if (!this.ns) return;
    for (const socket of this.ns.sockets.values()) {
      const token = socket.data.token as string | undefined;
      if (!token) continue;
      await this.auth.verifyAccessToken(token).catch(() => {
        socket.emit('session_ended', { reason: 'this session has ended; sign in again' });
        socket.disconnect(true);
      });
    }
  }

  afterInit(ns: Namespace) {
    // Authenticate before the connection is accepted: an anonymous client never gets a socket.
    ns.use((socket, next) => {
      const token = handshakeToken(socket.handshake);
      this.auth
        .verifyAccessToken(token)
        .then((actor) => {
          socket.data.actor = actor;
          socket.data.token = token;
          next();
        })
        .catch(() =>
          next(
            Object.assign(new Error('unauthorized: a valid access token is required'), {
              data: { statusCode: 401 },
            }),
          ),
        );
    });
  }

  async handleConnection(socket: Socket) {
    const actor = socket.data.actor as Actor | undefined;
    if (!actor) {
      socket.disconnect(true);
      return;
    }
    await socket.join([userRoom(actor.id), organizationRoom(actor.organizationId)]);
    socket.emit('ready', { userId: actor.id, organizationId: actor.organizationId });
    this.logger.debug(`socket ${socket.id} for ${actor.username}`);
  }
}
