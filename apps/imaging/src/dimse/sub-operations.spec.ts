import { describe, expect, it } from '@jest/globals';
import { RETRIEVE_STATUS, type RetrieveItem } from './dimse-retrieve';
import { finalStatus, runSubOperations } from './sub-operations';
import { readIdentifier, writeIdentifier } from './identifier';

const item = (n: number): RetrieveItem => ({
  sopClass: '1.2.840.10008.5.1.4.1.1.2',
  sopInstance: `1.2.3.${n}`,
  transferSyntax: '1.2.840.10008.1.2.1',
  dataSet: async () => Buffer.from([n, 0]),
});

describe('C-GET / C-MOVE sub-operations', () => {
  it('counts completed, warning and failed by C-STORE status, answers pending after each, and the final status the counts call for', async () => {
    const statuses = [0x0000, 0xb007, 0xa700, null, 0x0000];
    const pending: unknown[] = [];
    const outcome = await runSubOperations(
      [1, 2, 3, 4, 5].map(item),
      { store: async () => statuses.shift() ?? null },
      { cancelled: false },
      (c) => pending.push(c),
    );
    expect(outcome).toEqual({
      status: RETRIEVE_STATUS.subOperationsFailed,
      counts: { completed: 2, warning: 1, failed: 2 },
      failedUids: ['1.2.3.3', '1.2.3.4'],
      firstFailure: 'C-STORE status 0xa700',
    });
    expect(pending).toHaveLength(4);
    expect(pending[0]).toEqual({ remaining: 4, completed: 1, failed: 0, warning: 0 });
    expect(finalStatus({ completed: 0, failed: 3, warning: 0 })).toBe(
      RETRIEVE_STATUS.unableToPerformSubOperations,
    );
    expect(finalStatus({ completed: 3, failed: 0, warning: 0 })).toBe(RETRIEVE_STATUS.success);
  });

  it('stops at a C-CANCEL with status Cancel and the remaining count', async () => {
    const run = { cancelled: false };
    const outcome = await runSubOperations(
      [1, 2, 3].map(item),
      {
        store: async () => {
          run.cancelled = true;
          return 0x0000;
        },
      },
      run,
      () => undefined,
    );
    expect(outcome.status).toBe(RETRIEVE_STATUS.cancel);
    expect(outcome.counts).toEqual({ remaining: 2, completed: 1, failed: 0, warning: 0 });
  });
});

describe('identifier codec', () => {
  it('writes a match in either little endian syntax, UTF-8 with ISO_IR 192 for Chinese names, and reads it back', () => {
    const match = {
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Wang^Fang', Ideographic: '王^芳' }] },
      '00201208': { vr: 'IS', Value: [3] },
      '00080052': { vr: 'CS', Value: ['STUDY'] },
      '00081032': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['CT01'] } }] },
    };
    for (const ts of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']) {
      const back = readIdentifier(writeIdentifier(match, ts), ts, '1.2.840.10008.5.1.4.1.2.2.1');
      expect(back).toEqual(match);
    }
    expect(
      writeIdentifier(
        { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'LI^NA' }] } },
        '1.2.840.10008.1.2',
      ).toString('latin1'),
    ).not.toContain('ISO_IR 192');
  });
});
