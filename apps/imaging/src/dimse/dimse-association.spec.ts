import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { DimseAssociation } from './dimse-association';
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

function associateRq(): Buffer {
  const head = Buffer.alloc(68);
  head.writeUInt16BE(1, 0);
  head.write('HUIZHEN'.padEnd(16), 4, 'latin1');
  head.write('TOWNA_CT'.padEnd(16), 20, 'latin1');
  const verification = item(
    0x20,
    Buffer.concat([
      Buffer.from([1, 0, 0, 0]),
      item(0x30, Buffer.from('1.2.840.10008.1.1')),
      item(0x40, Buffer.from('1.2.840.10008.1.2')),
    ]),
  );
  return pdu(PDU.associateRq, Buffer.concat([head, verification]));
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
          peerOrganization: async () => 'org-1',
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
        peerOrganization: async () => {
          throw new Error('database unavailable');
        },
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
});
