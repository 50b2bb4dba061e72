/**
 * DIMSE messages over P-DATA-TF (PS3.7 section 9.3, PS3.8 section 9.3.5): command sets in
 * implicit VR little endian, presentation data values cut to the peer's maximum PDU, and the
 * assembly of received fragments into messages (command, then for C-STORE its data set).
 */
import { pdu, PDU } from './pdu';

type CommandVr = 'UI' | 'US' | 'UL' | 'LO' | 'AE';
export type CommandElement = [element: number, vr: CommandVr, value: string | number];

/** Command field (0000,0100) values and the elements of group 0000 we read or write. */
export const COMMAND = {
  cStoreRq: 0x0001,
  cStoreRsp: 0x8001,
  cGetRq: 0x0010,
  cGetRsp: 0x8010,
  cFindRq: 0x0020,
  cFindRsp: 0x8020,
  cMoveRq: 0x0021,
  cMoveRsp: 0x8021,
  cEchoRq: 0x0030,
  cEchoRsp: 0x8030,
  cCancelRq: 0x0fff,
  /** (0000,0800): no data set follows */
  noDataSet: 0x0101,
  /** (0000,0800): a data set follows (any value but 0x0101 says so) */
  dataSet: 0x0000,
} as const;
export const TAG = {
  affectedSopClass: 0x0002,
  commandField: 0x0100,
  messageId: 0x0110,
  messageIdBeingRespondedTo: 0x0120,
  moveDestination: 0x0600,
  priority: 0x0700,
  dataSetType: 0x0800,
  status: 0x0900,
  errorComment: 0x0902,
  affectedSopInstance: 0x1000,
  remainingSubOperations: 0x1020,
  completedSubOperations: 0x1021,
  failedSubOperations: 0x1022,
  warningSubOperations: 0x1023,
  moveOriginatorAe: 0x1030,
  moveOriginatorMessageId: 0x1031,
} as const;

/** A control header bit of a presentation data value. */
const PDV_COMMAND = 0x01;
const PDV_LAST = 0x02;

function commandValue(vr: CommandVr, value: string | number): Buffer {
  if (vr === 'US') {
    const v = Buffer.alloc(2);
    v.writeUInt16LE(value as number);
    return v;
  }
  if (vr === 'UL') {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(value as number);
    return v;
  }
  const v = Buffer.from(String(value), 'latin1');
  return v.length % 2 ? Buffer.concat([v, Buffer.from(vr === 'UI' ? '\0' : ' ')]) : v;
}

/** A command set (implicit VR little endian, group 0000), its group length first. */
export function encodeCommand(elements: CommandElement[]): Buffer {
  const parts: Buffer[] = [];
  for (const [element, vr, value] of [...elements].sort((a, b) => a[0] - b[0])) {
    const v = commandValue(vr, value);
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

/** A received command set: element number to value bytes. */
export type Command = Map<number, Buffer>;

export function decodeCommand(b: Buffer): Command {
  const out: Command = new Map();
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

/** A command (or, with `command` false, a data set) as P-DATA-TF PDUs, each within the peer's maximum PDU length. */
export function commandPdus(
  pcId: number,
  cmd: Buffer,
  maxSendPdu: number,
  command = true,
): Buffer[] {
  const maxData = Math.max(64, maxSendPdu - 6);
  const out: Buffer[] = [];
  for (let at = 0; at < cmd.length || at === 0; at += maxData) {
    const chunk = cmd.subarray(at, at + maxData);
    const last = at + maxData >= cmd.length;
    const pdv = Buffer.alloc(6);
    pdv.writeUInt32BE(chunk.length + 2, 0);
    pdv[4] = pcId;
    pdv[5] = (command ? PDV_COMMAND : 0) | (last ? PDV_LAST : 0);
    out.push(pdu(PDU.pData, Buffer.concat([pdv, chunk])));
  }
  return out;
}

/** A whole message: its command, then its data set if it has one. */
export function messagePdus(
  pcId: number,
  cmd: Buffer,
  data: Buffer | null,
  maxSendPdu: number,
): Buffer[] {
  const out = commandPdus(pcId, cmd, maxSendPdu);
  if (data) out.push(...commandPdus(pcId, data, maxSendPdu, false));
  return out;
}

/** The command field of a received command, undefined when it is missing or malformed. */
export function commandFieldOf(cmd: Command): number | undefined {
  const v = cmd.get(TAG.commandField);
  return v?.length === 2 ? v.readUInt16LE(0) : undefined;
}

/** A whole received message; `data` is null when none came or it was larger than allowed. */
export interface DimseMessage {
  pcId: number;
  command: Command;
  /** Whether the command announced a data set. */
  hasDataSet: boolean;
  data: Buffer | null;
}

export type PDataRead = { messages: DimseMessage[]; abort?: string };

/**
 * Puts a message together from the presentation data values of successive P-DATA-TF PDUs: the
 * command fragments, then (unless the command says none follows) the data set's, counted
 * against the instance size limit: past it the bytes are dropped and the message comes with
 * no data.
 */
export class MessageAssembler {
  private command: Buffer[] = [];
  private dataset: Buffer[] = [];
  private datasetBytes = 0;
  private datasetTooBig = false;
  private pendingCommand: Command | null = null;
  private pcOfMessage = 0;

  constructor(
    private readonly maxInstanceBytes: number,
    /** Whether a presentation context was accepted. */
    private readonly accepted: (pcId: number) => boolean,
  ) {}

  /** The messages a P-DATA-TF body completes, and why the association must end if it must (after those). */
  read(body: Buffer): PDataRead {
    const messages: DimseMessage[] = [];
    let i = 0;
    while (i + 6 <= body.length) {
      const len = body.readUInt32BE(i);
      const pcId = body[i + 4];
      const control = body[i + 5];
      const value = body.subarray(i + 6, i + 4 + len);
      i += 4 + len;
      if (!this.accepted(pcId)) {
        return { messages, abort: 'P-DATA on a presentation context that was not accepted' };
      }
      const done =
        control & PDV_COMMAND
          ? this.commandFragment(pcId, value, control)
          : this.dataFragment(value, control);
      if (done === 'no command') return { messages, abort: 'data set without a command' };
      if (done) messages.push(done);
    }
    return { messages };
  }

  private commandFragment(pcId: number, value: Buffer, control: number): DimseMessage | null {
    this.command.push(Buffer.from(value));
    if (!(control & PDV_LAST)) return null;
    const cmd = decodeCommand(Buffer.concat(this.command));
    this.command = [];
    this.pcOfMessage = pcId;
    const hasData = cmd.get(TAG.dataSetType)?.readUInt16LE(0) !== COMMAND.noDataSet;
    if (!hasData) return { pcId, command: cmd, hasDataSet: false, data: null };
    this.pendingCommand = cmd;
    return null;
  }

  private dataFragment(value: Buffer, control: number): DimseMessage | null | 'no command' {
    if (!this.pendingCommand) return 'no command';
    this.datasetBytes += value.length;
    if (this.datasetBytes > this.maxInstanceBytes) {
      this.datasetTooBig = true;
      this.dataset = [];
    } else if (!this.datasetTooBig) this.dataset.push(Buffer.from(value));
    if (!(control & PDV_LAST)) return null;
    const message = {
      pcId: this.pcOfMessage,
      command: this.pendingCommand,
      hasDataSet: true,
      data: this.datasetTooBig ? null : Buffer.concat(this.dataset),
    };
    this.pendingCommand = null;
    this.clear();
    return message;
  }

  /** Lets go of a data set being received (the connection closed). */
  clear(): void {
    this.dataset = [];
    this.datasetBytes = 0;
    this.datasetTooBig = false;
  }
}
