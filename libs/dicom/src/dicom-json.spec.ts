import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseInstance } from './parse-instance';
import { explicitElement, part10Header, writePart10 } from './part10-writer';
import { TS } from './transfer-syntax';
import { writeDicomJson } from './dicom-json';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

describe('DICOM JSON written as text', () => {
  const file = writePart10([
    { tag: '00080005', vr: 'CS', value: 'ISO_IR 192' },
    { tag: '00080016', vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: '00080018', vr: 'UI', value: '2.25.42' },
    { tag: '00080050', vr: 'SH', value: '' },
    { tag: '00081030', vr: 'LO', value: 'Chest "PA"\\AP view ' },
    { tag: '00100010', vr: 'PN', value: 'Wang^Xiaodong=王^小东' },
    { tag: '00180050', vr: 'DS', value: ' 2.5\\x\\-0.75 ' },
    { tag: '00181310', vr: 'US', value: [0, 2, 3, 0] },
    { tag: '00200013', vr: 'IS', value: '7' },
    { tag: '0020000D', vr: 'UI', value: '2.25.1' },
    { tag: '0020000E', vr: 'UI', value: '2.25.2' },
    { tag: '00280002', vr: 'US', value: [1] },
    { tag: '00280004', vr: 'CS', value: 'MONOCHROME2' },
    { tag: '00280010', vr: 'US', value: [2] },
    { tag: '00280011', vr: 'US', value: [2] },
    { tag: '00280100', vr: 'US', value: [16] },
    { tag: '00280101', vr: 'US', value: [12] },
    { tag: '00291010', vr: 'OB', value: Uint8Array.of(1, 2, 3, 4) },
    { tag: '00291011', vr: 'OB', value: new Uint8Array(10) },
    { tag: '7FE00010', vr: 'OW', value: new Uint8Array(8) },
  ]);
  const p = parseInstance(file);
  const opts = {
    inlineBinaryLimit: 8,
    bulkDataUri: (offset: number, length: number) => `/bulk/${offset}-${length}`,
    pixelDataUri: '/bulk/7FE00010',
  };

  it('writes every kind of value in tag order (as numbers: 0020,000D before 0020,0013), escaped as JSON', () => {
    const { text } = writeDicomJson(p.dataSet, p.charsets, opts);
    const bulk = p.dataSet.elements.x00291011;
    expect(text).toBe(
      '{' +
        [
          '"00080005":{"vr":"CS","Value":["ISO_IR 192"]}',
          '"00080016":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.7"]}',
          '"00080018":{"vr":"UI","Value":["2.25.42"]}',
          '"00080050":{"vr":"SH"}',
          '"00081030":{"vr":"LO","Value":["Chest \\"PA\\"","AP view"]}',
          '"00100010":{"vr":"PN","Value":[{"Alphabetic":"Wang^Xiaodong","Ideographic":"王^小东"}]}',
          '"00180050":{"vr":"DS","Value":[2.5,null,-0.75]}',
          '"00181310":{"vr":"US","Value":[0,2,3,0]}',
          '"0020000D":{"vr":"UI","Value":["2.25.1"]}',
          '"0020000E":{"vr":"UI","Value":["2.25.2"]}',
          '"00200013":{"vr":"IS","Value":[7]}',
          '"00280002":{"vr":"US","Value":[1]}',
          '"00280004":{"vr":"CS","Value":["MONOCHROME2"]}',
          '"00280010":{"vr":"US","Value":[2]}',
          '"00280011":{"vr":"US","Value":[2]}',
          '"00280100":{"vr":"US","Value":[16]}',
          '"00280101":{"vr":"US","Value":[12]}',
          '"00291010":{"vr":"OB","InlineBinary":"AQIDBA=="}',
          `"00291011":{"vr":"OB","BulkDataURI":"/bulk/${bulk.dataOffset}-${bulk.length}"}`,
          '"7FE00010":{"vr":"OW","BulkDataURI":"/bulk/7FE00010"}',
        ].join(',') +
        '}',
    );
  });

  it('adds elements in their place, instead of the data set’s own, and hands back the kept ones as objects', () => {
    const { text, kept } = writeDicomJson(p.dataSet, p.charsets, opts, {
      keep: new Set(['00100010', '00200013', '00083002', '00400244']),
      add: {
        '00083002': { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] },
        '00200013': { vr: 'IS', Value: [9] },
      },
    });
    const keys = [...text.matchAll(/"([0-9A-F]{8})":\{"vr"/g)].map((m) => m[1]);
    expect(keys).toEqual([...keys].sort());
    expect(keys.filter((k) => k === '00200013')).toHaveLength(1);
    expect(text).toContain(
      '"00081030":{"vr":"LO","Value":["Chest \\"PA\\"","AP view"]},"00083002":{"vr":"UI","Value":["1.2.840.10008.1.2.1"]},"00100010"',
    );
    expect(JSON.parse(text)['00200013']).toEqual({ vr: 'IS', Value: [9] });
    expect(kept).toEqual({
      '00083002': { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Wang^Xiaodong', Ideographic: '王^小东' }] },
      '00200013': { vr: 'IS', Value: [9] },
    });
  });

  it('keeps the text valid JSON when a malformed file carries a VR that is not two letters', () => {
    const odd = Buffer.concat([
      part10Header('1.2.840.10008.5.1.4.1.1.7', '2.25.43', TS.explicitLittle),
      explicitElement(0x0008, 0x0016, 'UI', Buffer.from('1.2.840.10008.5.1.4.1.1.7')),
      explicitElement(0x0008, 0x0018, 'UI', Buffer.from('2.25.43')),
      explicitElement(0x0009, 0x0010, '"\\', Buffer.from('AB')),
      explicitElement(0x0020, 0x000d, 'UI', Buffer.from('2.25.1')),
      explicitElement(0x0020, 0x000e, 'UI', Buffer.from('2.25.2')),
    ]);
    const q = parseInstance(odd);
    const { text } = writeDicomJson(q.dataSet, q.charsets, opts);
    expect(JSON.parse(text)['00090010']).toEqual({ vr: '"\\', Value: ['AB'] });
  });

  it('writes valid JSON for every file of pydicom’s test set it accepts, sequences and character sets included', () => {
    let written = 0;
    for (const name of readdirSync(PYDICOM_FILES)) {
      let q;
      try {
        q = parseInstance(readFileSync(join(PYDICOM_FILES, name)));
      } catch {
        continue; // refused files are the parser's tests
      }
      const { text } = writeDicomJson(q.dataSet, q.charsets, opts);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        parsed = String(e);
      }
      expect({ name, parsed: typeof parsed }).toEqual({ name, parsed: 'object' });
      written++;
    }
    expect(written).toBeGreaterThan(50);
  });
});
