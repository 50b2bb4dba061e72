import { describe, expect, it } from '@jest/globals';
import { writeGreyscaleImage } from './greyscale-image';
import { parseInstance } from './parse-instance';
import { writePart10 } from './part10-writer';

describe('writeGreyscaleImage', () => {
  it('writes the same file as the element list it stands for, extras in tag order', () => {
    const pixels = new Uint16Array(4 * 3).map((_, i) => i * 300);
    const uids = { study: '1.2.3.1', series: '1.2.3.2', instance: '1.2.3.3' };
    const { bytes } = writeGreyscaleImage({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
      uids,
      patient: { name: '张^三', id: 'P1', birthDate: '19700506', sex: 'F' },
      study: { date: '20261201', time: '101500', accession: 'ACC1', description: 'probe' },
      modality: 'OT',
      pixels,
      rows: 3,
      columns: 4,
      extra: [{ tag: '00281050', vr: 'DS', value: '2000' }],
    });
    const expected = writePart10([
      { tag: '00080005', vr: 'CS', value: 'ISO_IR 192' },
      { tag: '00080016', vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
      { tag: '00080018', vr: 'UI', value: uids.instance },
      { tag: '00080020', vr: 'DA', value: '20261201' },
      { tag: '00080030', vr: 'TM', value: '101500' },
      { tag: '00080050', vr: 'SH', value: 'ACC1' },
      { tag: '00080060', vr: 'CS', value: 'OT' },
      { tag: '00081030', vr: 'LO', value: 'probe' },
      { tag: '00100010', vr: 'PN', value: '张^三' },
      { tag: '00100020', vr: 'LO', value: 'P1' },
      { tag: '00100030', vr: 'DA', value: '19700506' },
      { tag: '00100040', vr: 'CS', value: 'F' },
      { tag: '0020000D', vr: 'UI', value: uids.study },
      { tag: '0020000E', vr: 'UI', value: uids.series },
      { tag: '00200011', vr: 'IS', value: '1' },
      { tag: '00200013', vr: 'IS', value: '1' },
      { tag: '00280002', vr: 'US', value: [1] },
      { tag: '00280004', vr: 'CS', value: 'MONOCHROME2' },
      { tag: '00280010', vr: 'US', value: [3] },
      { tag: '00280011', vr: 'US', value: [4] },
      { tag: '00280100', vr: 'US', value: [16] },
      { tag: '00280101', vr: 'US', value: [12] },
      { tag: '00280102', vr: 'US', value: [11] },
      { tag: '00280103', vr: 'US', value: [0] },
      { tag: '00281050', vr: 'DS', value: '2000' },
      { tag: '7FE00010', vr: 'OW', value: new Uint8Array(pixels.buffer) },
    ]);
    expect(bytes.equals(expected)).toBe(true);
    const parsed = parseInstance(bytes);
    expect([parsed.studyInstanceUid, parsed.seriesInstanceUid, parsed.sopInstanceUid]).toEqual([
      uids.study,
      uids.series,
      uids.instance,
    ]);
  });

  it('makes the UIDs it is not given', () => {
    const { uids } = writeGreyscaleImage({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
      uids: { study: '1.2.3.1' },
      patient: { name: 'A', id: 'B', birthDate: '19700101', sex: 'O' },
      study: { date: '20261201', time: '101500', accession: 'A', description: 'd' },
      modality: 'OT',
      pixels: new Uint16Array(4),
      rows: 2,
      columns: 2,
    });
    expect(uids.study).toBe('1.2.3.1');
    expect(uids.series).toMatch(/^[0-9.]+$/);
    expect(uids.instance).not.toBe(uids.series);
  });
});
