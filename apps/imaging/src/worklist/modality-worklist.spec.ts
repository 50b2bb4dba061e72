import { describe, expect, it } from '@jest/globals';
import type { DicomJson } from '@huizhen/dicom';
import { itemMatches, requestedKeys, studyUidOf, worklistItem } from './modality-worklist';
import type { ProcedureStep } from './procedure-step-store';

const step: ProcedureStep = {
  consultationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  organizationId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  urgency: 'emergency',
  modality: 'DX',
  procedure: '胸部正位 DR',
  accessionNumber: 'HZ0000000042',
  // 23:30 UTC is the next morning in China: the step's date is the township's.
  requestedAt: new Date('2026-12-06T23:30:00Z'),
  patient: {
    id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
    name: '王小东',
    sex: 'male',
    birthDate: '19680412',
  },
  requesterName: '尹丽',
};
const item = worklistItem(step, 'TOWN01_DR');

const sps = (keys: DicomJson): DicomJson => ({ '00400100': { vr: 'SQ', Value: [keys] } });
const value = (json: DicomJson, tag: string) => json[tag]?.Value?.[0];

describe('a worklist item and the matching of a Modality Worklist query (PS3.4 K.6)', () => {
  it('carries the exam and patient as the modality needs them, dated in China time', () => {
    expect(value(item, '00080050')).toBe('HZ0000000042');
    expect(value(item, '00100010')).toEqual({ Alphabetic: '王小东' });
    expect(value(item, '00100040')).toBe('M');
    expect(value(item, '00401003')).toBe('STAT');
    expect(value(item, '0020000D')).toBe(studyUidOf(step.consultationId));
    expect(studyUidOf(step.consultationId)).toMatch(/^2\.25\.\d{1,39}$/);
    const s = value(item, '00400100') as DicomJson;
    expect([value(s, '00400002'), value(s, '00400003'), value(s, '00400020')]).toEqual([
      '20261207',
      '073000',
      'SCHEDULED',
    ]);
  });

  it('matches universal keys, wildcards (* and ?, names without case) and date ranges', () => {
    expect(itemMatches({ '00100010': { vr: 'PN' }, '00080050': { vr: 'SH' } }, item)).toBe(true);
    expect(itemMatches({ '00100010': { vr: 'PN', Value: [{ Alphabetic: '王*' }] } }, item)).toBe(
      true,
    );
    expect(itemMatches({ '00100010': { vr: 'PN', Value: [{ Alphabetic: '李*' }] } }, item)).toBe(
      false,
    );
    expect(itemMatches({ '00080050': { vr: 'SH', Value: ['HZ00000000??'] } }, item)).toBe(true);
    expect(itemMatches({ '00080050': { vr: 'SH', Value: ['HZ0000000043'] } }, item)).toBe(false);
    const on = (range: string) =>
      itemMatches(sps({ '00400002': { vr: 'DA', Value: [range] } }), item);
    expect([on('20261207'), on('20261201-20261207'), on('20261207-'), on('-20261206')]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(itemMatches(sps({ '00080060': { vr: 'CS', Value: ['CT'] } }), item)).toBe(false);
    // Steps are the centre's: the asking station's own AE title never excludes one.
    expect(itemMatches(sps({ '00400001': { vr: 'AE', Value: ['OTHER_AE'] } }), item)).toBe(true);
  });

  it('answers the requested keys only, in a sequence its requested item keys', () => {
    const query: DicomJson = {
      '00100010': { vr: 'PN' },
      '00100021': { vr: 'LO' },
      ...sps({ '00080060': { vr: 'CS' }, '00400009': { vr: 'SH' } }),
    };
    expect(requestedKeys(query, item)).toEqual({
      '00100010': { vr: 'PN', Value: [{ Alphabetic: '王小东' }] },
      // A key we hold no value for comes back empty.
      '00100021': { vr: 'LO' },
      '00400100': {
        vr: 'SQ',
        Value: [
          {
            '00080060': { vr: 'CS', Value: ['DX'] },
            '00400009': { vr: 'SH', Value: ['HZ0000000042'] },
          },
        ],
      },
    });
  });
});
