import { visibleText } from '@huizhen/dicom';

/** PS3.8 upper layer PDUs: their types, how one is written, and how a TCP stream is cut into them. */

export const PDU = {
  associateRq: 0x01,
  associateAc: 0x02,
  associateRj: 0x03,
  pData: 0x04,
  releaseRq: 0x05,
  releaseRp: 0x06,
  abort: 0x07,
} as const;

/** Longest PDU other than P-DATA-TF we take (association requests, releases, aborts). */
const MAX_CONTROL_PDU = 65536;

/** A PDU: type, reserved byte, 32-bit length, body. */
export function pdu(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

/** An item (or sub-item) of an association PDU: type, reserved byte, 16-bit length, body. */
export function item(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

/** The items of an association PDU's variable part (or of an item), in order. */
export function* items(body: Buffer, from = 0): Generator<{ type: number; data: Buffer }> {
  let i = from;
  while (i + 4 <= body.length) {
    const len = body.readUInt16BE(i + 2);
    yield { type: body[i], data: body.subarray(i + 4, i + 4 + len) };
    i += 4 + len;
  }
}

/**
 * A UID (or AE title) as sent: trailing NUL or space padding removed, any other control byte
 * written as \xNN (such a value is never valid, and it is repeated in log lines and comments).
 */
export function uidText(b: Buffer): string {
  return visibleText(b.toString('latin1').replace(/[\0 ]+$/, ''));
}

/** An AE title field: 16 bytes, space padded. */
export function aeField(ae: string): Buffer {
  return Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');
}

/** A-ABORT from the service provider (source 2), reason not specified. */
export const ABORT_PDU = pdu(PDU.abort, Buffer.from([0, 0, 2, 0]));

export type PduRead = { type: number; body: Buffer } | { refused: string } | null;

/**
 * Cuts the bytes a peer sends into whole PDUs. Refuses an unknown type and a length above the
 * limit (a P-DATA-TF up to our maximum PDU length, anything else up to 64 KB) as soon as the
 * header is in, before the body is waited for.
 */
export class PduReader {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxPDataLength: number) {}

  push(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.size += chunk.length;
  }

  /** The next whole PDU (its body a view of the received bytes), null until more bytes come, or why the stream is refused. */
  next(): PduRead {
    if (this.size < 6) return null;
    const head = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    this.buffered = [head];
    const type = head[0];
    const len = head.readUInt32BE(2);
    const limit = type === PDU.pData ? this.maxPDataLength + 6 : MAX_CONTROL_PDU;
    if (type < PDU.associateRq || type > PDU.abort || len > limit) {
      return { refused: `PDU type ${type} length ${len} refused` };
    }
    if (this.size < 6 + len) return null;
    const body = head.subarray(6, 6 + len);
    const rest = head.subarray(6 + len);
    this.buffered = rest.length ? [rest] : [];
    this.size = rest.length;
    return { type, body };
  }

  /** Lets go of what is buffered (the connection closed). */
  clear(): void {
    this.buffered = [];
    this.size = 0;
  }
}
