import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DicomJson } from '@huizhen/dicom';
import {
  type AssociateRequest,
  associateAc,
  associateRj,
  readAssociateRq,
  refusedAbstractSyntaxes,
  REJECT,
} from './association-negotiation';
import {
  COMMAND,
  commandFieldOf,
  commandPdus,
  type DimseMessage,
  MessageAssembler,
  messagePdus,
  TAG,
} from './dimse-message';
import type { FindAnswer } from './dimse-query';
import { FIND_STATUS } from './dimse-query';
import {
  type DimseRequest,
  echoResponse,
  findResponse,
  type IngestInstance,
  readRequest,
  storeInstance,
  storeResponse,
} from './dimse-services';
import { readIdentifier, writeIdentifier } from './identifier';
import type { DimsePeerIdentity } from './peer-actor';
import { type QrModel, qrSyntax } from './sop-classes';
import { ABORT_PDU, pdu, PDU, PduReader } from './pdu';

/** A registered peer as an association needs it: for whom it acts and what it may do. */
export interface AssociationPeer {
  organizationId: string;
  /** store, query, retrieve_destination, worklist (imaging_dimse_peer.directions). */
  directions: readonly string[];
}

/** PS3.7 C.5 general status: the peer is not allowed this service. */
const NOT_AUTHORIZED = 0x0124;

export interface AssociationSettings {
  aeTitle: string;
  maxPduBytes: number;
  idleTimeoutSeconds: number;
  maxInstanceBytes: number;
}

export interface AssociationPorts {
  /** The calling AE title as registered (its organization, what it may do), null for a stranger. */
  peer(callingAe: string): Promise<AssociationPeer | null>;
  /** Ingest of one Part 10 file received from a station of the organization. */
  ingest(part10: Buffer, organizationId: string): ReturnType<IngestInstance>;
  /** A C-FIND's matches as the peer may see them (DimseQuery), or its refusal. */
  find(peer: DimsePeerIdentity, model: QrModel, identifier: DicomJson): Promise<FindAnswer>;
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
  private directions: readonly string[] = [];
  private work = Promise.resolve();
  /**
   * Messages from the moment they are queued until they are answered. Idle means the peer is
   * silent while nothing of theirs is in our hands: a sender waiting for the answer to an
   * instance we are still storing (the first one starts the digest threads) is not idle.
   */
  private inHand = 0;
  /** Message IDs of the C-FIND/C-GET/C-MOVE requests being answered, and whether a C-CANCEL came for them. */
  private readonly running = new Map<number, { cancelled: boolean }>();

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
        // A C-CANCEL acts at once, beside the request it cancels (which holds the work queue).
        for (const m of messages) {
          if (commandFieldOf(m.command) === COMMAND.cCancelRq) this.cancel(m);
          else this.queue(m);
        }
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
    const peer = await this.ports.peer(rq.callingAe);
    if (peer === null)
      return reject(REJECT.callingAeUnknown, `calling AE title ${rq.callingAe} is not registered`);
    this.organizationId = peer.organizationId;
    this.directions = peer.directions;
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
        const field = commandFieldOf(m.command);
        const what =
          field === COMMAND.cStoreRq
            ? 'C-STORE'
            : field === COMMAND.cFindRq
              ? 'C-FIND'
              : 'DIMSE message';
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

  /** C-CANCEL-RQ: the running request it names answers Cancel at its next match. */
  private cancel(m: DimseMessage): void {
    const id = m.command.get(TAG.messageIdBeingRespondedTo);
    const run = id?.length === 2 ? this.running.get(id.readUInt16LE(0)) : undefined;
    if (run) run.cancelled = true;
  }

  private async dispatch(m: DimseMessage): Promise<void> {
    const rq = readRequest(m.command);
    if (rq.commandField === COMMAND.cEchoRq) return this.sendCommand(m.pcId, echoResponse(rq));
    if (rq.commandField === COMMAND.cFindRq) return this.find(m, rq);
    if (rq.commandField !== COMMAND.cStoreRq) {
      return this.abort(`unsupported DIMSE command 0x${rq.commandField?.toString(16)}`);
    }
    const { callingAe, contexts } = this.request!;
    if (!this.directions.includes('store')) {
      this.ports.warn(`C-STORE from ${callingAe} refused: not registered to store`);
      return this.sendCommand(
        m.pcId,
        storeResponse(rq, { status: NOT_AUTHORIZED, comment: `${callingAe} may not store here` }),
      );
    }
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

  /**
   * C-FIND: the identifier read, the matches asked for (DimseQuery, through QIDO-RS's search),
   * one pending response per match, then the final status. A C-CANCEL for it is honoured
   * between matches (final status Cancel); a refusal answers its status and comment.
   */
  private async find(m: DimseMessage, rq: DimseRequest): Promise<void> {
    const { callingAe, contexts } = this.request!;
    const pc = contexts.get(m.pcId)!;
    const ts = pc.transferSyntax!;
    const qr = qrSyntax(pc.abstractSyntax);
    const final = (status: number, comment?: string) =>
      this.sendCommand(m.pcId, findResponse(rq, pc.abstractSyntax, status, false, comment));
    if (qr?.service !== 'find')
      return final(FIND_STATUS.identifierDoesNotMatchSopClass, 'not a C-FIND context');
    if (!this.directions.includes('query'))
      return final(FIND_STATUS.notAuthorized, `${callingAe} is not registered to query`);
    if (!m.data) return final(FIND_STATUS.outOfResources, 'identifier too large');
    let identifier: DicomJson;
    try {
      identifier = readIdentifier(m.data, ts, pc.abstractSyntax);
    } catch (e) {
      return final(FIND_STATUS.identifierDoesNotMatchSopClass, (e as Error).message);
    }
    const run = { cancelled: false };
    this.running.set(rq.messageId, run);
    try {
      const answer = await this.ports.find(
        { aeTitle: callingAe, organizationId: this.organizationId },
        qr.model,
        identifier,
      );
      if ('status' in answer) {
        this.ports.warn(`C-FIND from ${callingAe} refused: ${answer.comment}`);
        return final(answer.status, answer.comment);
      }
      for (const match of answer.matches) {
        if (run.cancelled) return final(FIND_STATUS.cancel);
        if (this.socket.destroyed) return;
        const pending = findResponse(rq, pc.abstractSyntax, FIND_STATUS.pending, true);
        for (const p of messagePdus(m.pcId, pending, writeIdentifier(match, ts), this.maxSend()))
          this.send(p);
        // Let a C-CANCEL that arrived in the meantime be read before the next match.
        await nextTurn();
      }
      final(run.cancelled ? FIND_STATUS.cancel : FIND_STATUS.success);
    } finally {
      this.running.delete(rq.messageId);
    }
  }

  private maxSend(): number {
    return this.request?.maxSendPdu ?? 16384;
  }

  private sendCommand(pcId: number, cmd: Buffer): void {
    for (const p of commandPdus(pcId, cmd, this.request?.maxSendPdu ?? 16384)) this.send(p);
  }
}
