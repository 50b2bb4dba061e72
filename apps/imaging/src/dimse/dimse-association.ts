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
  retrieveResponse,
  storeInstance,
  storeRequest,
  storeResponse,
} from './dimse-services';
import { type ProposedContext } from './association-negotiation';
import { canRewrite, rewriteLittleEndian } from './little-endian';
import { StoreScu } from './store-scu';
import { runSubOperations, type SubOperationTarget } from './sub-operations';
import { RETRIEVE_STATUS, type RetrieveItem, type RetrievePlan } from './dimse-retrieve';
import { readIdentifier, writeIdentifier } from './identifier';
import type { DimsePeerIdentity } from './peer-actor';
import { MODALITY_WORKLIST_FIND, type QrModel, qrSyntax } from './sop-classes';
import { ABORT_PDU, pdu, PDU, PduReader } from './pdu';

/** A registered peer as an association needs it: for whom it acts and what it may do. */
export interface AssociationPeer {
  organizationId: string;
  /** store, query, retrieve_destination, worklist (imaging_dimse_peer.directions). */
  directions: readonly string[];
}

/** Where a C-MOVE sends: a registered peer's address and organization. */
export interface MoveDestination {
  aeTitle: string;
  host: string;
  port: number;
  organizationId: string;
}

/** How long a C-MOVE destination has to connect, answer the association and each C-STORE. */
const DESTINATION_TIMEOUT_MS = 30_000;

/** The status a C-GET's sub-operation counts when the connection closed before its response. */
const CONNECTION_CLOSED = 0xa702;

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
  ingest(part10: Buffer, organizationId: string, callingAe: string): ReturnType<IngestInstance>;
  /** A C-FIND's matches as the peer may see them (DimseQuery), or its refusal. */
  find(peer: DimsePeerIdentity, model: QrModel, identifier: DicomJson): Promise<FindAnswer>;
  /** A Modality Worklist C-FIND's scheduled steps as the peer may see them (ModalityWorklist). */
  worklist(peer: DimsePeerIdentity, identifier: DicomJson): Promise<FindAnswer>;
  /** The instances a C-GET or C-MOVE sends (DimseRetrieve), or its refusal. */
  retrieve(peer: DimsePeerIdentity, model: QrModel, identifier: DicomJson): Promise<RetrievePlan>;
  /** A C-MOVE destination registered under that AE title (retrieve_destination), or null. */
  moveDestination(aeTitle: string): Promise<MoveDestination | null>;
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
  /** Our C-STORE requests of a C-GET on this association, waiting for their responses. */
  private readonly storesSent = new Map<number, (status: number) => void>();
  private lastMessageId = 0;

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
      // A C-GET waiting for the response to its C-STORE goes on (counting it failed) and ends.
      for (const answered of this.storesSent.values()) answered(CONNECTION_CLOSED);
      this.storesSent.clear();
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
          const field = commandFieldOf(m.command);
          if (field === COMMAND.cCancelRq) this.cancel(m);
          else if (field === COMMAND.cStoreRsp) this.storeAnswered(m);
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
              : field === COMMAND.cGetRq
                ? 'C-GET'
                : field === COMMAND.cMoveRq
                  ? 'C-MOVE'
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
    if (rq.commandField === COMMAND.cGetRq || rq.commandField === COMMAND.cMoveRq)
      return this.retrieve(m, rq);
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
      (part10) => this.ports.ingest(part10, this.organizationId, callingAe),
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
    const isWorklist = pc.abstractSyntax === MODALITY_WORKLIST_FIND;
    const final = (status: number, comment?: string) =>
      this.sendCommand(m.pcId, findResponse(rq, pc.abstractSyntax, status, false, comment));
    if (qr?.service !== 'find' && !isWorklist)
      return final(FIND_STATUS.identifierDoesNotMatchSopClass, 'not a C-FIND context');
    const direction = isWorklist ? 'worklist' : 'query';
    if (!this.directions.includes(direction)) {
      this.ports.warn(`C-FIND from ${callingAe} refused: not registered for ${direction}`);
      return final(FIND_STATUS.notAuthorized, `${callingAe} is not registered for ${direction}`);
    }
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
      const peer = { aeTitle: callingAe, organizationId: this.organizationId };
      const answer = qr
        ? await this.ports.find(peer, qr.model, identifier)
        : await this.ports.worklist(peer, identifier);
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

  /** A C-STORE-RSP to one of our C-GET sub-operations. */
  private storeAnswered(m: DimseMessage): void {
    const id = m.command.get(TAG.messageIdBeingRespondedTo);
    const status = m.command.get(TAG.status);
    const waiting = id?.length === 2 ? this.storesSent.get(id.readUInt16LE(0)) : undefined;
    if (!waiting) return this.abort('C-STORE-RSP to no request of ours');
    this.storesSent.delete(id!.readUInt16LE(0));
    waiting(status?.length === 2 ? status.readUInt16LE(0) : 0xffff);
  }

  /**
   * C-GET and C-MOVE: the identifier read, the instances planned (DimseRetrieve: the same access
   * policy and audit as WADO-RS), sent by C-STORE sub-operations (back on this association for
   * C-GET, on a new one to the registered destination for C-MOVE), a pending response with the
   * counts after each, the final status with the completed, failed and warning counts.
   */
  private async retrieve(m: DimseMessage, rq: DimseRequest): Promise<void> {
    const { callingAe, contexts } = this.request!;
    const pc = contexts.get(m.pcId)!;
    const qr = qrSyntax(pc.abstractSyntax);
    const isMove = rq.commandField === COMMAND.cMoveRq;
    const field = isMove ? COMMAND.cMoveRsp : COMMAND.cGetRsp;
    const zero = { completed: 0, failed: 0, warning: 0 };
    const final = (status: number, counts = zero, comment?: string) =>
      this.sendCommand(m.pcId, retrieveResponse(rq, field, status, counts, comment));
    const what = isMove
      ? `C-MOVE from ${callingAe} to ${rq.moveDestination}`
      : `C-GET from ${callingAe}`;
    const refuse = (status: number, comment: string) => {
      this.ports.warn(`${what} refused: ${comment}`);
      final(status, zero, comment);
    };
    if (qr?.service !== (isMove ? 'move' : 'get'))
      return refuse(
        RETRIEVE_STATUS.identifierDoesNotMatchSopClass,
        'not a context of this service',
      );
    if (!this.directions.includes('query'))
      return refuse(RETRIEVE_STATUS.notAuthorized, `${callingAe} is not registered to retrieve`);
    if (!m.data) return refuse(RETRIEVE_STATUS.unableToProcess, 'identifier too large');
    let identifier: DicomJson;
    try {
      identifier = readIdentifier(m.data, pc.transferSyntax!, pc.abstractSyntax);
    } catch (e) {
      return refuse(RETRIEVE_STATUS.identifierDoesNotMatchSopClass, (e as Error).message);
    }
    const destination = isMove ? await this.ports.moveDestination(rq.moveDestination) : null;
    // A destination of another organization would be a disclosure the caller cannot make.
    if (isMove && (!destination || destination.organizationId !== this.organizationId))
      return refuse(
        RETRIEVE_STATUS.moveDestinationUnknown,
        `move destination ${rq.moveDestination} is not registered for this organization`,
      );
    const run = { cancelled: false };
    this.running.set(rq.messageId, run);
    let scu: StoreScu | null = null;
    try {
      const plan = await this.ports.retrieve(
        { aeTitle: callingAe, organizationId: this.organizationId },
        qr.model,
        identifier,
      );
      if ('status' in plan) return refuse(plan.status, plan.comment);
      // Nothing matched (or nothing the caller may see): success with no sub-operations
      // (PS3.4 C.4.2.1.3.1), without an association no context could be proposed on.
      if (plan.items.length === 0) return final(RETRIEVE_STATUS.success);
      let target: SubOperationTarget;
      if (destination) {
        const proposed = proposedContexts(plan.items);
        try {
          scu = await StoreScu.open(
            {
              host: destination.host,
              port: destination.port,
              calledAe: destination.aeTitle,
              callingAe: this.settings.aeTitle,
            },
            proposed,
            {
              maxPduBytes: this.settings.maxPduBytes,
              maxInstanceBytes: this.settings.maxInstanceBytes,
              timeoutMs: DESTINATION_TIMEOUT_MS,
            },
          );
        } catch (e) {
          const counts = { ...zero, failed: plan.items.length };
          this.ports.warn(`${what}: destination unreachable: ${(e as Error).message}`);
          return final(
            RETRIEVE_STATUS.unableToPerformSubOperations,
            counts,
            `destination: ${(e as Error).message}`,
          );
        }
        const open = scu;
        target = {
          store: async (item, dataSet) => {
            const id = open.contextFor(proposed, item.sopClass, item.transferSyntax);
            if (id === null) return null;
            return open.store(
              id,
              { ...item, dataSet },
              { aeTitle: callingAe, messageId: rq.messageId },
            );
          },
        };
      } else {
        target = { store: (item, dataSet) => this.storeHere(item, dataSet) };
      }
      const outcome = await runSubOperations(plan.items, target, run, (counts) =>
        this.sendCommand(m.pcId, retrieveResponse(rq, field, RETRIEVE_STATUS.pending, counts)),
      );
      if (outcome.counts.failed)
        this.ports.warn(
          `${what}: ${outcome.counts.failed} of ${plan.items.length} sub-operations failed, first: ${outcome.firstFailure}`,
        );
      final(outcome.status, outcome.counts);
    } finally {
      this.running.delete(rq.messageId);
      await scu?.release().catch(() => scu?.abort());
    }
  }

  /**
   * A C-GET's sub-operation: C-STORE on this association, over a context the peer accepted for
   * the instance's SOP class with the SCP role (role selection), in its stored transfer syntax
   * or, for an uncompressed little endian instance, in the other little endian syntax.
   */
  private storeHere(item: RetrieveItem, dataSet: Buffer): Promise<number | null> {
    const { contexts, peerScpRoles } = this.request!;
    let pc: { id: number; transferSyntax: string } | null = null;
    for (const c of contexts.values()) {
      if (c.abstractSyntax !== item.sopClass || !c.transferSyntax) continue;
      if (!peerScpRoles.has(c.abstractSyntax)) continue;
      if (c.transferSyntax === item.transferSyntax)
        pc = { id: c.id, transferSyntax: c.transferSyntax };
      else if (!pc && canRewrite(item.transferSyntax, c.transferSyntax))
        pc = { id: c.id, transferSyntax: c.transferSyntax };
    }
    if (pc === null || this.socket.destroyed) return Promise.resolve(null);
    // The other uncompressed little endian syntax than the stored one: values unchanged, headers rewritten.
    const data =
      pc.transferSyntax === item.transferSyntax
        ? dataSet
        : rewriteLittleEndian(dataSet, item.transferSyntax, pc.transferSyntax);
    const id = (this.lastMessageId = (this.lastMessageId % 0xffff) + 1);
    const answered = new Promise<number>((resolve) => this.storesSent.set(id, resolve));
    const cmd = storeRequest(id, item.sopClass, item.sopInstance);
    for (const p of messagePdus(pc.id, cmd, data, this.maxSend())) this.send(p);
    return answered;
  }

  private maxSend(): number {
    return this.request?.maxSendPdu ?? 16384;
  }

  private sendCommand(pcId: number, cmd: Buffer): void {
    for (const p of commandPdus(pcId, cmd, this.request?.maxSendPdu ?? 16384)) this.send(p);
  }
}

/** One context per SOP class and stored transfer syntax among the instances (ids 1, 3, ... 255). */
export function proposedContexts(
  items: Pick<RetrieveItem, 'sopClass' | 'transferSyntax'>[],
): ProposedContext[] {
  const out: ProposedContext[] = [];
  const seen = new Set<string>();
  for (const i of items) {
    const key = `${i.sopClass} ${i.transferSyntax}`;
    if (seen.has(key) || out.length === 128) continue;
    seen.add(key);
    out.push({
      id: out.length * 2 + 1,
      abstractSyntax: i.sopClass,
      transferSyntax: i.transferSyntax,
    });
  }
  return out;
}
