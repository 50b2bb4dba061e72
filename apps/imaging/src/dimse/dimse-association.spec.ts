import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { DimseAssociation } from './dimse-association';
import { COMMAND, decodeCommand, encodeCommand, TAG } from './dimse-message';
import { writeIdentifier } from './identifier';
import { item, pdu, PDU } from './pdu';

/** Just what DimseAssociation uses of a socket, recording what it writes. */
class FakeSocket extends EventEmitter {
  written: Buffer[] = [];
  destroyed = false;
  ended = false;
  setNoDelay() {}
  setTimeout() {}
  pause() {}
  resume() {}
  write(b: Buffer) {
    this.written.push(b);
    return true;
  }
  end() {
    this.ended = true;
  }
  destroy() {
    this.destroyed = true;
  }
}

const settle = () => new Promise((r) => setTimeout(r, 10));

const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

function associateRq(abstractSyntax = '1.2.840.10008.1.1'): Buffer {
  const head = Buffer.alloc(68);
  head.writeUInt16BE(1, 0);
  head.write('HUIZHEN'.padEnd(16), 4, 'latin1');
  head.write('TOWNA_CT'.padEnd(16), 20, 'latin1');
  const context = item(
    0x20,
    Buffer.concat([
      Buffer.from([1, 0, 0, 0]),
      item(0x30, Buffer.from(abstractSyntax)),
      item(0x40, Buffer.from('1.2.840.10008.1.2')),
    ]),
  );
  return pdu(PDU.associateRq, Buffer.concat([head, context]));
}

/** One PDV in its own P-DATA-TF: command (or data set) fragment, last. */
function pData(value: Buffer, command: boolean): Buffer {
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(value.length + 2, 0);
  pdv[4] = 1;
  pdv[5] = command ? 0x03 : 0x02;
  return pdu(PDU.pData, Buffer.concat([pdv, value]));
}

/** The command sets among the PDUs written to the peer (each sent whole in one PDV here). */
function commandsWritten(written: Buffer[]) {
  return written
    .filter((b) => b[0] === PDU.pData && b[11] & 0x01)
    .map((b) => decodeCommand(b.subarray(12)));
}

/** A command set whose command field (0000,0100) is one byte long, no data set. */
function brokenCommand(): Buffer {
  const field = Buffer.from([0, 0, 0x00, 0x01, 1, 0, 0, 0, 0x30]);
  const noData = Buffer.from([0, 0, 0x00, 0x08, 2, 0, 0, 0, 0x01, 0x01]);
  const value = Buffer.concat([field, noData]);
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(value.length + 2, 0);
  pdv[4] = 1;
  pdv[5] = 0x03;
  return pdu(PDU.pData, Buffer.concat([pdv, value]));
}

describe('DimseAssociation', () => {
  it('logs and aborts when a message without a data set cannot be answered, instead of leaving a rejected promise', async () => {
    const socket = new FakeSocket();
    const errors: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      new DimseAssociation(
        socket as unknown as Socket,
        {
          aeTitle: 'HUIZHEN',
          maxPduBytes: 16384,
          idleTimeoutSeconds: 60,
          maxInstanceBytes: 1 << 20,
        },
        {
          peer: async () => ({ organizationId: 'org-1', directions: ['store', 'query'] }),
          find: async () => ({ matches: [] }),
          worklist: async () => ({ matches: [] }),
          retrieve: async () => ({ items: [] }),
          moveDestination: async () => null,
          ingest: async () => ({ ok: true }),
          warn: () => undefined,
          error: (m) => errors.push(m),
        },
      );
      socket.emit('data', associateRq());
      await settle();
      expect(socket.written.map((b) => b[0])).toEqual([PDU.associateAc]);
      socket.emit('data', brokenCommand());
      await settle();
      expect(unhandled).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(socket.written.map((b) => b[0])).toEqual([PDU.associateAc, PDU.abort]);
      expect(socket.ended).toBe(true);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('logs and aborts when the peer lookup fails, instead of leaving a rejected promise', async () => {
    const socket = new FakeSocket();
    const errors: string[] = [];
    new DimseAssociation(
      socket as unknown as Socket,
      { aeTitle: 'HUIZHEN', maxPduBytes: 16384, idleTimeoutSeconds: 60, maxInstanceBytes: 1 << 20 },
      {
        peer: async () => {
          throw new Error('database unavailable');
        },
        find: async () => ({ matches: [] }),
        worklist: async () => ({ matches: [] }),
        retrieve: async () => ({ items: [] }),
        moveDestination: async () => null,
        ingest: async () => ({ ok: true }),
        warn: () => undefined,
        error: (m) => errors.push(m),
      },
    );
    socket.emit('data', associateRq());
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('database unavailable');
    expect(socket.written.map((b) => b[0])).toEqual([PDU.abort]);
  });

  it('honours a C-CANCEL that arrives while the C-FIND is being answered: final status Cancel, no more matches', async () => {
    const socket = new FakeSocket();
    let release: () => void = () => undefined;
    const searched = new Promise<void>((r) => (release = r));
    new DimseAssociation(
      socket as unknown as Socket,
      { aeTitle: 'HUIZHEN', maxPduBytes: 16384, idleTimeoutSeconds: 60, maxInstanceBytes: 1 << 20 },
      {
        peer: async () => ({ organizationId: 'org-1', directions: ['query'] }),
        ingest: async () => ({ ok: true }),
        // The search takes until the test lets it go: the C-CANCEL comes in the meantime.
        worklist: async () => ({ matches: [] }),
        find: async () => {
          await searched;
          const match = { '0020000D': { vr: 'UI', Value: ['1.2.3'] } };
          return { matches: [match, match, match] };
        },
        retrieve: async () => ({ items: [] }),
        moveDestination: async () => null,
        warn: () => undefined,
        error: () => undefined,
      },
    );
    socket.emit('data', associateRq(STUDY_ROOT_FIND));
    await settle();
    const findRq = encodeCommand([
      [TAG.affectedSopClass, 'UI', STUDY_ROOT_FIND],
      [TAG.commandField, 'US', COMMAND.cFindRq],
      [TAG.messageId, 'US', 7],
      [TAG.priority, 'US', 0],
      [TAG.dataSetType, 'US', COMMAND.dataSet],
    ]);
    const identifier = writeIdentifier(
      { '00080052': { vr: 'CS', Value: ['STUDY'] }, '0020000D': { vr: 'UI' } },
      '1.2.840.10008.1.2',
    );
    socket.emit('data', Buffer.concat([pData(findRq, true), pData(identifier, false)]));
    await settle();
    const cancel = encodeCommand([
      [TAG.commandField, 'US', COMMAND.cCancelRq],
      [TAG.messageIdBeingRespondedTo, 'US', 7],
      [TAG.dataSetType, 'US', COMMAND.noDataSet],
    ]);
    socket.emit('data', pData(cancel, true));
    release();
    await settle();
    const answers = commandsWritten(socket.written).map((c) => ({
      field: c.get(TAG.commandField)!.readUInt16LE(0),
      to: c.get(TAG.messageIdBeingRespondedTo)!.readUInt16LE(0),
      status: c.get(TAG.status)!.readUInt16LE(0),
    }));
    expect(answers).toEqual([{ field: COMMAND.cFindRsp, to: 7, status: 0xfe00 }]);
    expect(socket.ended).toBe(false);
  });
});
