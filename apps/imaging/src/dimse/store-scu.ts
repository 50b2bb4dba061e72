/**
 * Our side of an association we open (PS3.8 as an association requestor): to a C-MOVE
 * destination, to send it instances by C-STORE. One request at a time: each C-STORE waits for
 * its response before the next goes.
 */
import { connect, type Socket } from 'node:net';
import { associateRqPdu, type ProposedContext, readAssociateAc } from './association-negotiation';
import {
  COMMAND,
  commandFieldOf,
  type DimseMessage,
  MessageAssembler,
  messagePdus,
  TAG,
} from './dimse-message';
import { storeRequest } from './dimse-services';
import { pdu, PDU, PduReader } from './pdu';

export interface StoreScuTarget {
  host: string;
  port: number;
  calledAe: string;
  callingAe: string;
}

export interface StoreScuSettings {
  maxPduBytes: number;
  maxInstanceBytes: number;
  /** How long to wait for the connection, the association's answer and each response. */
  timeoutMs: number;
}

type Waiter = { resolve: (m: DimseMessage | 'released') => void; reject: (e: Error) => void };

export class StoreScu {
  private readonly reader: PduReader;
  private readonly assembler: MessageAssembler;
  private accepted = new Map<number, string>();
  private maxSendPdu = 16384;
  private waiter: Waiter | null = null;
  /** Tagged, not told apart by instanceof: a socket's Error may come from another realm (jest's VM). */
  private associated: ((answer: { ac: Buffer } | { error: Error }) => void) | null = null;
  private failure: Error | null = null;
  private messageId = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly settings: StoreScuSettings,
  ) {
    this.reader = new PduReader(settings.maxPduBytes);
    this.assembler = new MessageAssembler(settings.maxInstanceBytes, (id) => this.accepted.has(id));
    socket.setNoDelay(true);
    socket.setTimeout(settings.timeoutMs, () => this.fail(new Error('no answer in time')));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects and negotiates; rejects when the destination cannot be reached or refuses us. */
  static async open(
    target: StoreScuTarget,
    contexts: ProposedContext[],
    settings: StoreScuSettings,
  ): Promise<StoreScu> {
    const socket = connect(target.port, target.host);
    const scu = new StoreScu(socket, settings);
    const answer = new Promise<{ ac: Buffer } | { error: Error }>(
      (resolve) => (scu.associated = resolve),
    );
    socket.write(associateRqPdu(target.callingAe, target.calledAe, contexts, settings.maxPduBytes));
    const got = await answer;
    if ('error' in got) {
      socket.destroy();
      throw got.error;
    }
    const ac = readAssociateAc(got.ac);
    scu.accepted = ac.accepted;
    scu.maxSendPdu = ac.maxSendPdu;
    return scu;
  }

  /** The accepted context for this SOP class in exactly this transfer syntax, if any. */
  contextFor(proposed: ProposedContext[], sopClass: string, transferSyntax: string): number | null {
    const c = proposed.find(
      (p) =>
        p.abstractSyntax === sopClass &&
        p.transferSyntax === transferSyntax &&
        this.accepted.get(p.id) === transferSyntax,
    );
    return c ? c.id : null;
  }

  /** One C-STORE (a C-MOVE's names its originator); resolves with the response's status. */
  async store(
    pcId: number,
    item: { sopClass: string; sopInstance: string; dataSet: Buffer },
    originator?: { aeTitle: string; messageId: number },
  ): Promise<number> {
    const id = (this.messageId = (this.messageId % 0xffff) + 1);
    const cmd = storeRequest(id, item.sopClass, item.sopInstance, originator);
    const answer = this.next();
    for (const p of messagePdus(pcId, cmd, item.dataSet, this.maxSendPdu)) this.socket.write(p);
    const m = await answer;
    if (m === 'released') throw new Error('released by the destination');
    return m.command.get(TAG.status)?.readUInt16LE(0) ?? 0xffff;
  }

  /** A-RELEASE, then the connection ends. */
  async release(): Promise<void> {
    if (this.failure) return;
    const done = this.next().catch(() => 'released' as const);
    this.socket.write(pdu(PDU.releaseRq, Buffer.alloc(4)));
    await done;
    this.socket.end();
  }

  /** A-ABORT: for a C-MOVE cancelled or failed midway. */
  abort(): void {
    if (!this.socket.destroyed) this.socket.end(pdu(PDU.abort, Buffer.from([0, 0, 0, 0])));
  }

  private next(): Promise<DimseMessage | 'released'> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.associated?.({ error: e });
    this.associated = null;
    this.waiter?.reject(e);
    this.waiter = null;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    for (let read = this.reader.next(); read; read = this.reader.next()) {
      if ('refused' in read) return this.fail(new Error(read.refused));
      const { type, body } = read;
      if (type === PDU.associateAc && this.associated) {
        this.associated({ ac: Buffer.from(body) });
        this.associated = null;
      } else if (type === PDU.associateRj) {
        return this.fail(
          new Error(
            `association rejected (result ${body[1]}, source ${body[2]}, reason ${body[3]})`,
          ),
        );
      } else if (type === PDU.pData) {
        const { messages, abort } = this.assembler.read(body);
        for (const m of messages) {
          if (commandFieldOf(m.command) === COMMAND.cStoreRsp) {
            this.waiter?.resolve(m);
            this.waiter = null;
          }
        }
        if (abort) return this.fail(new Error(abort));
      } else if (type === PDU.releaseRp) {
        this.waiter?.resolve('released');
        this.waiter = null;
      } else if (type === PDU.abort) {
        return this.fail(new Error('aborted by the destination'));
      } else {
        return this.fail(new Error(`unexpected PDU type ${type}`));
      }
    }
  }
}
