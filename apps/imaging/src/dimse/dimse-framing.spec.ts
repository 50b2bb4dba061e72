import { describe, expect, it } from '@jest/globals';
import { associateAc, readAssociateRq } from './association-negotiation';
import { commandPdus, decodeCommand, encodeCommand, MessageAssembler } from './dimse-message';
import { item, pdu, PDU, PduReader } from './pdu';

const pdv = (pcId: number, control: number, value: Buffer) => {
  const h = Buffer.alloc(6);
  h.writeUInt32BE(value.length + 2, 0);
  h[4] = pcId;
  h[5] = control;
  return Buffer.concat([h, value]);
};

describe('DIMSE framing', () => {
  it('cuts PDUs out of arbitrary chunks and refuses an oversized one from its header', () => {
    const reader = new PduReader(1000);
    const stream = Buffer.concat([
      pdu(PDU.releaseRq, Buffer.alloc(4)),
      pdu(PDU.pData, Buffer.alloc(10, 7)),
    ]);
    const read: unknown[] = [];
    for (const byte of stream) {
      reader.push(Buffer.from([byte]));
      for (let r = reader.next(); r; r = reader.next()) read.push(r);
    }
    expect(read).toEqual([
      { type: PDU.releaseRq, body: Buffer.alloc(4) },
      { type: PDU.pData, body: Buffer.alloc(10, 7) },
    ]);
    const big = new PduReader(1000);
    big.push(Buffer.from([PDU.pData, 0, 0, 0, 0x03, 0xef]));
    expect(big.next()).toEqual({ refused: 'PDU type 4 length 1007 refused' });
  });

  it('negotiates contexts: verification uncompressed only, storage in a supported syntax, the rest refused', () => {
    const ctx = (id: number, abstract: string, ...ts: string[]) =>
      item(
        0x20,
        Buffer.concat([
          Buffer.from([id, 0, 0, 0]),
          item(0x30, Buffer.from(abstract)),
          ...ts.map((t) => item(0x40, Buffer.from(t))),
        ]),
      );
    const head = Buffer.alloc(68);
    head.write('HUIZHEN'.padEnd(16), 4, 'latin1');
    head.write('TOWNA_CT'.padEnd(16), 20, 'latin1');
    const max = Buffer.alloc(4);
    max.writeUInt32BE(32768);
    const rq = readAssociateRq(
      Buffer.concat([
        head,
        ctx(1, '1.2.840.10008.1.1', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2'),
        ctx(3, '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.4.90'),
        ctx(5, '1.2.840.10008.5.1.4.1.1.2', '1.2.3.4'),
        // Basic Grayscale Print Management: a service we do not provide; Modality Worklist we do.
        ctx(7, '1.2.840.10008.5.1.1.9', '1.2.840.10008.1.2'),
        ctx(9, '1.2.840.10008.5.1.4.31', '1.2.840.10008.1.2'),
        // A vendor's private storage class is storage.
        ctx(11, '1.3.12.2.1107.5.9.1', '1.2.840.10008.1.2.1'),
        item(0x50, item(0x51, max)),
      ]),
    );
    expect(rq.calledAe).toBe('HUIZHEN');
    expect(rq.callingAe).toBe('TOWNA_CT');
    expect(rq.maxSendPdu).toBe(32768);
    expect([...rq.contexts.values()].map((c) => [c.id, c.transferSyntax, c.result])).toEqual([
      [1, '1.2.840.10008.1.2', 0],
      [3, '1.2.840.10008.1.2.4.90', 0],
      [5, null, 4],
      [7, null, 3],
      [9, '1.2.840.10008.1.2', 0],
      [11, '1.2.840.10008.1.2.1', 0],
    ]);
    const ac = associateAc(rq, 262144);
    expect(ac[0]).toBe(PDU.associateAc);
    expect(ac.subarray(10, 26).toString('latin1')).toBe('HUIZHEN'.padEnd(16));
    // The A-ASSOCIATE-AC's presentation context items (0x21) carry those results (byte 2 of the item's body).
    const results: number[][] = [];
    for (let i = 6 + 68; i + 4 <= ac.length;) {
      const len = ac.readUInt16BE(i + 2);
      if (ac[i] === 0x21) results.push([ac[i + 4], ac[i + 6]]);
      i += 4 + len;
    }
    expect(results).toEqual([
      [1, 0],
      [3, 0],
      [5, 4],
      [7, 3],
      [9, 0],
      [11, 0],
    ]);
  });

  it('assembles a fragmented command and data set, and drops a data set past the limit', () => {
    const cmd = encodeCommand([
      [0x0100, 'US', 0x0001],
      [0x0800, 'US', 0x0000],
      [0x1000, 'UI', '1.2.3'],
    ]);
    expect(decodeCommand(cmd).get(0x1000)?.toString('latin1')).toBe('1.2.3\0');
    const assembler = new MessageAssembler(8, (pcId) => pcId === 1);
    const cut = (control: number, b: Buffer) => [
      pdv(1, control, b.subarray(0, 5)),
      pdv(1, control | 0x02, b.subarray(5)),
    ];
    const small = assembler.read(
      Buffer.concat([...cut(0x01, cmd), ...cut(0x00, Buffer.from('abcdefgh'))]),
    );
    expect(small.abort).toBeUndefined();
    expect(small.messages.map((m) => [m.pcId, m.hasDataSet, m.data?.toString()])).toEqual([
      [1, true, 'abcdefgh'],
    ]);
    const large = assembler.read(
      Buffer.concat([...cut(0x01, cmd), ...cut(0x00, Buffer.from('abcdefghi'))]),
    );
    expect(large.messages.map((m) => m.data)).toEqual([null]);
    expect(assembler.read(pdv(3, 0x03, cmd))).toEqual({
      messages: [],
      abort: 'P-DATA on a presentation context that was not accepted',
    });
    expect(assembler.read(pdv(1, 0x02, Buffer.from('xx'))).abort).toBe(
      'data set without a command',
    );
  });

  it('cuts an answer to the peer’s maximum PDU length', () => {
    const pdus = commandPdus(1, Buffer.alloc(150, 1), 70);
    expect(pdus.map((p) => [p.length, p[11]])).toEqual([
      [6 + 6 + 64, 0x01],
      [6 + 6 + 64, 0x01],
      [6 + 6 + 22, 0x03],
    ]);
  });
});
