import type { Socket } from 'node:net';
import {
  type AssociateRequest,
  associateAc,
  associateRj,
  readAssociateRq,
  refusedAbstractSyntaxes,
  REJECT,
} from './association-negotiation';
import { COMMAND, commandPdus, type DimseMessage, MessageAssembler } from './dimse-message';
import {
  echoResponse,
  type IngestInstance,
  readRequest,
  storeInstance,
  storeResponse,
} from './dimse-services';
import { ABORT_PDU, pdu, PDU, PduReader } from './pdu';

export interface AssociationSettings {
  aeTitle: string;
  maxPduBytes: number;
  idleTimeoutSeconds: number;
  maxInstanceBytes: number;
}

export interface AssociationPorts {
  /** The organization a calling AE title sends for (imaging_dimse_peer), null for a stranger. */
  peerOrganization(callingAe: string): Promise<string | null>;
  /** Ingest of one Part 10 file received from a station of the organization. */
  ingest(part10: Buffer, organizationId: string): ReturnType<IngestInstance>;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * One association on one connection, from A-ASSOCIATE-RQ to release or abort. The socket's
 * bytes are cut into PDUs (PduReader); the request is negotiated (association-negotiation.ts);
 * P-DATA is assembled into messages (MessageAssembler) and each is answered (dimse-services.ts)
 * one after the other, in the order received, on one work queue.
 */
export class DimseAssociation {
  private readonly reader: PduReader;
  private readonly assembler: MessageAssembler;
  private request: AssociateRequest | null = null;
  private organizationId = '';
  private work = Promise.resolve();
  /**
   * Messages from the moment they are queued until they are answered. Idle means the peer is
   * silent while nothing of theirs is in our hands: a sender waiting for the answer to an
   * instance we are still storing (the first one starts the digest threads) is not idle.
   */
  private inHand = 0;

  constructor(
    private readonly socket: Socket,
    private readonly settings: AssociationSettings,
    private readonly ports: AssociationPorts,
  ) {
    this.reader = new PduReader(settings.maxPduBytes);
    this.assembler = new MessageAssembler(
      settings.maxInstanceBytes,
      (pcId) => !!this.request?.contexts.get(pcId)?.transferSyntax,
    );
    socket.setNoDelay(true);
    socket.setTimeout(settings.idleTimeoutSeconds * 1000, () => {
      if (this.inHand === 0) this.abort('idle timeout');
    });
    socket.on('close', () => {
      this.reader.clear();
      this.assembler.clear();
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  private send(b: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  /** Who is on the other end, for log lines: the calling AE title once known, and the address. */
  private peer(): string {
    const where = `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
    return this.request ? `${this.request.callingAe} (${where})` : where;
  }

  /**
   * A-ABORT, then the connection ends (destroyed after a second if the peer does not close).
   * Every abort is logged with its reason.
   */
  private abort(reason: string): void {
    if (this.socket.destroyed) return;
    this.ports.warn(`A-ABORT to ${this.peer()}: ${reason}`);
    this.socket.write(ABORT_PDU);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Aborts; nothing more of this connection is to be read. */
  private end(reason: string): false {
    this.abort(reason);
    return false;
  }

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    for (let read = this.reader.next(); read; read = this.reader.next()) {
      if ('refused' in read) return this.abort(read.refused);
      if (!this.onPdu(read.type, read.body)) return;
    }
  }

  /** Acts on one PDU; false when nothing more of this connection is to be read. */
  private onPdu(type: number, body: Buffer): boolean {
    switch (type) {
      case PDU.associateRq:
        if (this.request) return this.end('second A-ASSOCIATE-RQ');
        // No PDU is read until the association is answered.
        this.socket.pause();
        // A failure (the peer lookup's database gone) is logged and aborts: left unhandled, its
        // rejected promise would end the process.
        this.work = this.work
          .then(() => this.negotiate(Buffer.from(body)))
          .catch((e) => {
            this.ports.error(`association failed: ${e instanceof Error ? e.stack : String(e)}`);
            this.abort('internal error');
          })
          .finally(() => this.socket.resume());
        return true;
      case PDU.pData: {
        if (!this.request) return this.end('P-DATA before association');
        const { messages, abort } = this.assembler.read(body);
        for (const m of messages) this.queue(m);
        if (abort) this.abort(abort);
        return true;
      }
      case PDU.releaseRq:
        this.work = this.work.then(() => {
          this.send(pdu(PDU.releaseRp, Buffer.alloc(4)));
          this.socket.end();
        });
        return true;
      case PDU.abort:
        this.ports.warn(
          `A-ABORT from ${this.peer()}: source ${body[2] ?? '?'} reason ${body[3] ?? '?'}`,
        );
        this.socket.destroy();
        return false;
      default:
        return this.end(`unexpected PDU type ${type}`);
    }
  }

  private async negotiate(body: Buffer): Promise<void> {
    const rq = readAssociateRq(body);
    const reject = (reason: number, why: string) => {
      this.ports.warn(`A-ASSOCIATE-RJ to ${rq.callingAe} (${this.peer()}): ${why}`);
      this.send(associateRj(reason));
      this.socket.end();
    };
    if (rq.calledAe !== this.settings.aeTitle)
      return reject(REJECT.calledAeUnknown, `called AE title ${rq.calledAe} is not ours`);
    const organizationId = await this.ports.peerOrganization(rq.callingAe);
    if (organizationId === null)
      return reject(REJECT.callingAeUnknown, `calling AE title ${rq.callingAe} is not registered`);
    this.organizationId = organizationId;
    const refused = refusedAbstractSyntaxes(rq);
    if (refused.length) {
      this.ports.warn(
        `A-ASSOCIATE-AC to ${rq.callingAe}: abstract syntax not supported for ${refused.join(', ')}`,
      );
    }
    this.send(associateAc(rq, this.settings.maxPduBytes));
    this.request = rq;
  }

  /**
   * Queues a message's answer after everything before it. A failure answering it is logged and
   * aborts the association: before, only C-STORE's were, and a malformed command without a data
   * set (a one-byte command field) left a rejected promise nobody handled, which ends a Node
   * process (the single server: api, imaging and media together).
   */
  private queue(m: DimseMessage): void {
    this.inHand++;
    this.work = this.work
      .then(() => this.answer(m))
      .catch((e) => {
        const what = m.hasDataSet ? 'C-STORE' : 'DIMSE message';
        this.ports.error(`${what} failed: ${e instanceof Error ? e.stack : String(e)}`);
        this.abort('internal error');
      });
  }

  private async answer(m: DimseMessage): Promise<void> {
    try {
      await this.dispatch(m);
    } finally {
      this.inHand--;
    }
  }

  private async dispatch(m: DimseMessage): Promise<void> {
    const rq = readRequest(m.command);
    if (rq.commandField === COMMAND.cEchoRq) return this.sendCommand(m.pcId, echoResponse(rq));
    if (rq.commandField !== COMMAND.cStoreRq) {
      return this.abort(`unsupported DIMSE command 0x${rq.commandField?.toString(16)}`);
    }
    const { callingAe, contexts } = this.request!;
    const status = await storeInstance(
      {
        request: rq,
        data: m.data,
        transferSyntax: contexts.get(m.pcId)!.transferSyntax!,
        callingAe,
      },
      this.settings,
      (part10) => this.ports.ingest(part10, this.organizationId),
      (message) =>
        this.ports.warn(`C-STORE from ${callingAe} refused ${rq.sopInstance}: ${message}`),
    );
    this.sendCommand(m.pcId, storeResponse(rq, status));
  }

  private sendCommand(pcId: number, cmd: Buffer): void {
    for (const p of commandPdus(pcId, cmd, this.request?.maxSendPdu ?? 16384)) this.send(p);
  }
}
