import { describe, expect, it } from '@jest/globals';
import type { DicomJson } from '@huizhen/dicom';
import type { QidoSearch } from '../dicomweb/qido-search.service';
import { DimseQuery, FIND_STATUS, qidoQueryOf } from './dimse-query';

const level = (l: string): DicomJson => ({ '00080052': { vr: 'CS', Value: [l] } });

describe('DimseQuery (C-FIND over QIDO-RS search)', () => {
  it('turns matching keys into QIDO-RS parameters; universal keys, lone * and keys QIDO does not match are return keys', () => {
    const q = qidoQueryOf(
      {
        ...level('STUDY'),
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'WANG*' }] },
        '0020000D': { vr: 'UI', Value: ['1.2.3', '1.2.4'] },
        '00080020': { vr: 'DA', Value: ['20260101-'] },
        '00100020': { vr: 'LO', Value: ['*'] },
        '00081030': { vr: 'LO' },
        '00100040': { vr: 'CS', Value: ['F'] },
      },
      'STUDY',
      11,
    );
    expect(q).toEqual({
      limit: '11',
      '00100010': 'WANG*',
      '0020000D': '1.2.3\\1.2.4',
      '00080020': '20260101-',
    });
    // At PATIENT level only patient keys match (a study date is a return key there).
    expect(
      qidoQueryOf(
        {
          ...level('PATIENT'),
          '00100020': { vr: 'LO', Value: ['PA1'] },
          '00080020': { vr: 'DA', Value: ['20260101'] },
        },
        'PATIENT',
        5,
      ),
    ).toEqual({ limit: '5', '00100020': 'PA1' });
    // At IMAGE level every key is also asked for as an includefield.
    expect(qidoQueryOf({ ...level('IMAGE'), '00080018': { vr: 'UI' } }, 'IMAGE', 5)).toEqual({
      limit: '5',
      includefield: '00080018',
    });
  });

  it('refuses more matches than its limit (out of resources) instead of a silently cut list, and a wrong level', async () => {
    const asked: Record<string, unknown>[] = [];
    const qido = {
      search: async (_actor: unknown, _level: unknown, q: Record<string, unknown>) => {
        asked.push(q);
        return Array.from({ length: Number(q.limit) }, (_, i) => ({
          '0020000D': { vr: 'UI', Value: [`1.2.${i}`] },
        }));
      },
    } as unknown as QidoSearch;
    const query = new DimseQuery(qido, { aeTitle: 'HUIZHEN', maxMatches: 3 });
    const peer = { aeTitle: 'TOWNA_CT', organizationId: 'org-1' };
    const identifier = { ...level('STUDY'), '0020000D': { vr: 'UI' } };
    expect(await query.find(peer, 'study', identifier)).toEqual({
      status: FIND_STATUS.outOfResources,
      comment: 'more than 3 matches: narrow the query',
    });
    expect(asked[0].limit).toBe('4');
    expect(await query.find(peer, 'study', { ...level('PATIENT') })).toMatchObject({
      status: FIND_STATUS.identifierDoesNotMatchSopClass,
    });
    expect(await query.find(peer, 'study', { ...level('FRAME') })).toMatchObject({
      status: FIND_STATUS.identifierDoesNotMatchSopClass,
    });
  });
});
