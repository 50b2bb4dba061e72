import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type Server, type Socket, createServer } from 'node:net';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { HealthRegistry } from '@huizhen/observability';
import { IMPLEMENTATION_UID, IMPLEMENTATION_VERSION, SUPPORTED_TRANSFER_SYNTAXES, part10Header } from '@huizhen/dicom';
import { ImagingIndex } from '../imaging-index.service';
import { IngestService } from '../ingest/ingest.service';

const APP_CONTEXT = '1.2.840.10008.3.1.1.1';
const VERIFICATION = '1.2.840.10008.1.1';

interface PresentationContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string | null;
}

function uidText(b: Buffer): string {
  return b.toString('latin1').replace(/[\0 ]+$/, '');
}

function item(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function pdu(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function aeField(ae: string): Buffer {
  return Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');
}

/** Command set elements (implicit VR little endian, group 0000). */
function encodeCommand(elements: [number, 'UI' | 'US' | 'UL' | 'LO', string | number][]): Buffer {
  const parts: Buffer[] = [];
  for (const [element, vr, value] of [...elements].sort((a, b) => a[0] - b[0])) {
    let v: Buffer;
    if (vr === 'US') {
      v = Buffer.alloc(2);
      v.writeUInt16LE(value as number);
    } else if (vr === 'UL') {
      v = Buffer.alloc(4);
      v.writeUInt32LE(value as number);
    } else {
      v = Buffer.from(String(value), 'latin1');
      if (v.length % 2) v = Buffer.concat([v, Buffer.from(vr === 'UI' ? '\0' : ' ')]);
    }
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0x0000, 0);
    h.writeUInt16LE(element, 2);
    h.writeUInt32LE(v.length, 4);
    parts.push(h, v);
  }
  const body = Buffer.concat(parts);
  const gl = Buffer.alloc(12);
  gl.writeUInt32LE(0x00000000, 0);
  gl.writeUInt32LE(4, 4);
  gl.writeUInt32LE(body.length, 8);
  return Buffer.concat([gl, body]);
}

function decodeCommand(b: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let i = 0;
  while (i + 8 <= b.length) {
    const element = b.readUInt16LE(i + 2);
    const len = b.readUInt32LE(i + 4);
    if (i + 8 + len > b.length) break;
    out.set(element, b.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return out;
}

/**
 * DIMSE C-ECHO and C-STORE SCP, written against PS3.8 directly (a few hundred lines are easier
 * to make robust than to harden a general library): binds to DIMSE_HOST only, accepts only
 * known calling AE titles (imaging_dimse_peer), accepts compressed transfer syntaxes as
 * proposed, stores the received bytes untouched, refuses oversized PDUs and aborts idle
 * associations. Every instance goes through IngestService like STOW-RS.
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
    private readonly index: ImagingIndex,
    private readonly health: HealthRegistry,
  ) {}

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
    this.health.register('dimse', async () => ({ status: 'up', aeTitle: c.dimseAeTitle, port: this.port, associations: this.sockets.size }));
  }

  async onApplicationShutdown(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private associate(socket: Socket): void {
    const c = this.config.imaging;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    // Idle means the peer is silent while nothing of theirs is in our hands: a sender waiting for
    // the answer to an instance we are still storing (the first one starts the digest threads) is not idle.
    let inHand = 0;
    socket.setTimeout(c.dimseIdleTimeoutSeconds * 1000, () => {
      if (inHand === 0) abort('idle timeout');
    });
    let buffered: Buffer[] = [];
    let size = 0;
    let associated = false;
    let callingAe = '';
    let organizationId = '';
    let maxSendPdu = 16384;
    const contexts = new Map<number, PresentationContext>();
    let work = Promise.resolve();
    // The message being received: command, then (for C-STORE) dataset fragments.
    let command: Buffer[] = [];
    let dataset: Buffer[] = [];
    let datasetBytes = 0;
    let datasetTooBig = false;
    let pendingCommand: Map<number, Buffer> | null = null;
    let pcOfMessage = 0;

    const send = (b: Buffer) => {
      if (!socket.destroyed) socket.write(b);
    };
    function abort(reason: string) {
      if (socket.destroyed) return;
      socket.write(pdu(0x07, Buffer.from([0, 0, 2, 0])));
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
      void reason;
    }
    socket.on('close', () => {
      this.sockets.delete(socket);
      buffered = [];
      dataset = [];
    });
    socket.on('error', () => undefined);

    const sendDimse = (pcId: number, cmd: Buffer) => {
      // Fragment the command to the peer's maximum PDU length.
      const maxData = Math.max(64, maxSendPdu - 6);
      for (let at = 0; at < cmd.length; at += maxData) {
        const chunk = cmd.subarray(at, at + maxData);
        const last = at + maxData >= cmd.length;
        const pdv = Buffer.alloc(6);
        pdv.writeUInt32BE(chunk.length + 2, 0);
        pdv[4] = pcId;
        pdv[5] = 0x01 | (last ? 0x02 : 0);
        send(pdu(0x04, Buffer.concat([pdv, chunk])));
      }
    };

    const onAssociateRq = async (body: Buffer) => {
      const called = body.subarray(4, 20).toString('latin1').trim();
      callingAe = body.subarray(20, 36).toString('latin1').trim();
      const reject = (source: number, reason: number) => {
        send(pdu(0x03, Buffer.from([0, 1, source, reason])));
        socket.end();
      };
      if (called !== c.dimseAeTitle) return reject(1, 7); // called AE title not recognized
      const peers: { organization_id: string }[] = await this.index.db.query('SELECT organization_id FROM imaging_dimse_peer WHERE ae_title = $1', [callingAe]);
      if (!peers.length) return reject(1, 3); // calling AE title not recognized
      organizationId = peers[0].organization_id;
      let i = 68;
      while (i + 4 <= body.length) {
        const type = body[i];
        const len = body.readUInt16BE(i + 2);
        const data = body.subarray(i + 4, i + 4 + len);
        if (type === 0x20) {
          const id = data[0];
          let abstractSyntax = '';
          const proposed: string[] = [];
          let j = 4;
          while (j + 4 <= data.length) {
            const st = data[j];
            const sl = data.readUInt16BE(j + 2);
            const v = uidText(data.subarray(j + 4, j + 4 + sl));
            if (st === 0x30) abstractSyntax = v;
            if (st === 0x40) proposed.push(v);
            j += 4 + sl;
          }
          const ts = abstractSyntax === VERIFICATION ? (proposed.find((t) => t === '1.2.840.10008.1.2' || t === '1.2.840.10008.1.2.1') ?? null) : (proposed.find((t) => SUPPORTED_TRANSFER_SYNTAXES.includes(t)) ?? null);
          contexts.set(id, { id, abstractSyntax, transferSyntax: ts });
        } else if (type === 0x50) {
          let j = 0;
          while (j + 4 <= data.length) {
            const st = data[j];
            const sl = data.readUInt16BE(j + 2);
            if (st === 0x51 && sl === 4) maxSendPdu = data.readUInt32BE(j + 4) || 1 << 20;
            j += 4 + sl;
          }
        }
        i += 4 + len;
      }
      const items: Buffer[] = [item(0x10, Buffer.from(APP_CONTEXT, 'latin1'))];
      for (const pc of contexts.values()) {
        const result = pc.transferSyntax ? 0 : 4;
        items.push(item(0x21, Buffer.concat([Buffer.from([pc.id, 0, result, 0]), item(0x40, Buffer.from(pc.transferSyntax ?? '1.2.840.10008.1.2', 'latin1'))])));
      }
      const maxLen = Buffer.alloc(4);
      maxLen.writeUInt32BE(c.dimseMaxPduBytes);
      items.push(
        item(0x50, Buffer.concat([item(0x51, maxLen), item(0x52, Buffer.from(IMPLEMENTATION_UID, 'latin1')), item(0x55, Buffer.from(IMPLEMENTATION_VERSION, 'latin1'))])),
      );
      const head = Buffer.alloc(68);
      head.writeUInt16BE(1, 0);
      aeField(called).copy(head, 4);
      aeField(callingAe).copy(head, 20);
      send(pdu(0x02, Buffer.concat([head, ...items])));
      associated = true;
    };

    const onMessage = async (pcId: number, cmd: Map<number, Buffer>, data: Buffer | null) => {
      const field = cmd.get(0x0100)?.readUInt16LE(0);
      const messageId = cmd.get(0x0110)?.readUInt16LE(0) ?? 0;
      const sopClass = uidText(cmd.get(0x0002) ?? Buffer.alloc(0));
      if (field === 0x0030) {
        sendDimse(pcId, encodeCommand([[0x0002, 'UI', VERIFICATION], [0x0100, 'US', 0x8030], [0x0120, 'US', messageId], [0x0800, 'US', 0x0101], [0x0900, 'US', 0x0000]]));
        return;
      }
      if (field !== 0x0001) return abort(`unsupported DIMSE command 0x${field?.toString(16)}`);
      const sopInstance = uidText(cmd.get(0x1000) ?? Buffer.alloc(0));
      const reply = (status: number, comment?: string) =>
        sendDimse(
          pcId,
          encodeCommand([
            [0x0002, 'UI', sopClass],
            [0x0100, 'US', 0x8001],
            [0x0120, 'US', messageId],
            [0x0800, 'US', 0x0101],
            [0x0900, 'US', status],
            [0x1000, 'UI', sopInstance],
            ...(comment ? ([[0x0902, 'LO', comment.slice(0, 64)]] as [number, 'LO', string][]) : []),
          ]),
        );
      if (!data) return reply(0xa700, `instance larger than ${c.maxInstanceBytes} bytes`);
      const pc = contexts.get(pcId)!;
      const bytes = Buffer.concat([part10Header(sopClass, sopInstance, pc.transferSyntax!, callingAe), data]);
      const outcome = await this.ingest.ingest(bytes, { organizationId, actor: null, via: 'dimse' });
      if (outcome.ok) return reply(0x0000);
      this.logger.warn(`C-STORE from ${callingAe} refused ${sopInstance}: ${outcome.message}`);
      reply(outcome.failureReason === 0x0111 ? 0xa900 : outcome.failureReason, outcome.message);
    };

    /** A message from the moment it is queued until it is answered counts as in hand (see the idle timeout). */
    const handle = (pcId: number, cmd: Map<number, Buffer>, data: Buffer | null) => onMessage(pcId, cmd, data).finally(() => inHand--);

    const onPData = (body: Buffer) => {
      let i = 0;
      while (i + 6 <= body.length) {
        const len = body.readUInt32BE(i);
        const pcId = body[i + 4];
        const control = body[i + 5];
        const value = body.subarray(i + 6, i + 4 + len);
        i += 4 + len;
        if (!contexts.get(pcId)?.transferSyntax) return abort('P-DATA on a presentation context that was not accepted');
        if (control & 0x01) {
          command.push(Buffer.from(value));
          if (control & 0x02) {
            const cmd = decodeCommand(Buffer.concat(command));
            command = [];
            pcOfMessage = pcId;
            const hasData = cmd.get(0x0800)?.readUInt16LE(0) !== 0x0101;
            if (hasData) pendingCommand = cmd;
            else {
              inHand++;
              work = work.then(() => handle(pcId, cmd, null));
            }
          }
        } else {
          if (!pendingCommand) return abort('data set without a command');
          datasetBytes += value.length;
          if (datasetBytes > c.maxInstanceBytes) {
            datasetTooBig = true;
            dataset = [];
          } else if (!datasetTooBig) dataset.push(Buffer.from(value));
          if (control & 0x02) {
            const cmd = pendingCommand;
            const data = datasetTooBig ? null : Buffer.concat(dataset);
            pendingCommand = null;
            dataset = [];
            datasetBytes = 0;
            datasetTooBig = false;
            const pcIdForMessage = pcOfMessage;
            inHand++;
            work = work.then(() => handle(pcIdForMessage, cmd, data)).catch((e) => {
              this.logger.error(`C-STORE failed: ${e instanceof Error ? e.stack : String(e)}`);
              abort('internal error');
            });
          }
        }
      }
    };

    socket.on('data', (chunk: Buffer) => {
      buffered.push(chunk);
      size += chunk.length;
      while (size >= 6) {
        const head = buffered.length === 1 ? buffered[0] : Buffer.concat(buffered);
        buffered = [head];
        const type = head[0];
        const len = head.readUInt32BE(2);
        const limit = type === 0x04 ? c.dimseMaxPduBytes + 6 : 65536;
        if (type < 0x01 || type > 0x07 || len > limit) return abort(`PDU type ${type} length ${len} refused`);
        if (size < 6 + len) return;
        const body = head.subarray(6, 6 + len);
        const rest = head.subarray(6 + len);
        buffered = rest.length ? [rest] : [];
        size = rest.length;
        switch (type) {
          case 0x01:
            if (associated) return abort('second A-ASSOCIATE-RQ');
            socket.pause();
            work = work.then(() => onAssociateRq(Buffer.from(body))).finally(() => socket.resume());
            break;
          case 0x04:
            if (!associated) return abort('P-DATA before association');
            onPData(body);
            break;
          case 0x05:
            work = work.then(() => {
              send(pdu(0x06, Buffer.alloc(4)));
              socket.end();
            });
            break;
          case 0x07:
            socket.destroy();
            return;
          default:
            return abort(`unexpected PDU type ${type}`);
        }
      }
    });
  }
}
