import { Logger, type OnModuleInit } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AuthService, handshakeToken, type Actor } from '@huizhen/auth';
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
  ) {}

  onModuleInit() {
    this.events.bind(() => this.ns);
  }

  afterInit(ns: Namespace) {
    // Authenticate before the connection is accepted: an anonymous client never gets a socket.
    ns.use((socket, next) => {
      this.auth
        .verifyAccessToken(handshakeToken(socket.handshake))
        .then((actor) => {
          socket.data.actor = actor;
          next();
        })
        .catch(() => next(Object.assign(new Error('unauthorized: a valid access token is required'), { data: { statusCode: 401 } })));
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
