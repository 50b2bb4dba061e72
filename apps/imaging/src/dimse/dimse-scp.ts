import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type Server, type Socket, createServer } from 'node:net';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { HealthRegistry } from '@huizhen/observability';
import { ImagingAccess } from '../access/imaging-access.service';
import { QidoSearch } from '../dicomweb/qido-search.service';
import { ImagingStore } from '../imaging-store';
import { peerAllows } from '../peers/peer-model';
import { InstanceStore } from '../storage/instance-store';
import { PeerStore } from '../peers/peer-store';
import { ModalityWorklist } from '../worklist/modality-worklist';
import { IngestService } from '../ingest/ingest.service';
import { type AssociationPorts, DimseAssociation } from './dimse-association';
import { DimseQuery } from './dimse-query';
import { DimseRetrieve } from './dimse-retrieve';

/** The most matches a C-FIND answers (more is refused: narrow the query), as QIDO-RS's default page. */
const MAX_FIND_MATCHES = 1000;

/**
 * DIMSE SCP (C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE, Modality Worklist C-FIND), written against PS3.8 directly (a few
 * hundred lines are easier to make robust than to harden a general library): binds to
 * DIMSE_HOST only, accepts only known, enabled calling AE titles (PeerStore) and refuses in the
 * A-ASSOCIATE-AC any context it does not serve (sop-classes.ts), accepts compressed transfer
 * syntaxes as proposed, stores the received bytes untouched, refuses oversized PDUs and aborts
 * idle associations. Every instance goes through IngestService like STOW-RS; every query
 * through QIDO-RS's search (DimseQuery) and every retrieve through ImagingAccess as WADO-RS
 * (DimseRetrieve), as the calling peer's organization (peer-actor.ts).
 *
 * This class owns the listening socket; each connection is a DimseAssociation
 * (dimse-association.ts), which reads PDUs (pdu.ts), negotiates (association-negotiation.ts),
 * assembles messages (dimse-message.ts) and answers them (dimse-services.ts); a C-MOVE's
 * sub-operations go out through StoreScu (store-scu.ts), a C-GET's back on the association.
 */
@Injectable()
export class DimseScp implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DimseScp');
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly ingest: IngestService,
    private readonly peers: PeerStore,
    private readonly health: HealthRegistry,
    private readonly worklist: ModalityWorklist,
    qido: QidoSearch,
    access: ImagingAccess,
    store: ImagingStore,
    files: InstanceStore,
  ) {
    this.query = new DimseQuery(qido, {
      aeTitle: config.imaging.dimseAeTitle,
      maxMatches: MAX_FIND_MATCHES,
    });
    this.retrieve = new DimseRetrieve({
      qido,
      access,
      store,
      files,
      deidentificationKey: () => ingest.deidentificationKey,
    });
  }

  private readonly query: DimseQuery;
  private readonly retrieve: DimseRetrieve;

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config.imaging;
    if (!c.dimseEnabled) return;
    const server = createServer((s) => this.associate(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(c.dimsePort, c.dimseHost, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    this.logger.log(`DIMSE SCP ${c.dimseAeTitle} listening on ${c.dimseHost}:${this.port}`);
    this.health.register('dimse', async () => ({
      status: 'up',
      aeTitle: c.dimseAeTitle,
      port: this.port,
      associations: this.sockets.size,
    }));
  }

  async onApplicationShutdown(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private readonly ports: AssociationPorts = {
    // A known, enabled peer calls for its organization; one switched off is a stranger.
    peer: async (callingAe) => {
      const peer = await this.peers.findByAeTitle(callingAe);
      return peer?.enabled
        ? { organizationId: peer.organizationId, directions: peer.directions }
        : null;
    },
    ingest: (part10, organizationId, callingAe) =>
      this.ingest.ingest(part10, { organizationId, actor: null, via: 'dimse', callingAe }),
    find: (peer, model, identifier) => this.query.find(peer, model, identifier),
    worklist: (peer, identifier) => this.worklist.find(peer, identifier),
    retrieve: (peer, model, identifier) => this.retrieve.plan(peer, model, identifier),
    // A C-MOVE goes only to a peer registered as a retrieve destination, with its address.
    moveDestination: async (aeTitle) => {
      const peer = await this.peers.findByAeTitle(aeTitle);
      if (!peerAllows(peer, 'retrieve_destination') || !peer?.host || !peer.port) return null;
      return {
        aeTitle: peer.aeTitle,
        host: peer.host,
        port: peer.port,
        organizationId: peer.organizationId,
      };
    },
    warn: (message) => this.logger.warn(message),
    error: (message) => this.logger.error(message),
  };

  private associate(socket: Socket): void {
    const c = this.config.imaging;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    new DimseAssociation(
      socket,
      {
        aeTitle: c.dimseAeTitle,
        maxPduBytes: c.dimseMaxPduBytes,
        idleTimeoutSeconds: c.dimseIdleTimeoutSeconds,
        maxInstanceBytes: c.maxInstanceBytes,
      },
      this.ports,
    );
  }
}
