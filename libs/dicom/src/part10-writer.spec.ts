import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInstance } from './parse-instance';
import { writePart10 } from './part10-writer';
import { toDicomJson } from './dicom-json';

describe('writePart10', () => {
  const pixels = new Uint16Array([0, 1000, 2000, 4095]);
  const file = writePart10([
    { tag: '00100010', vr: 'PN', value: '王^小东' },
    { tag: '00080005', vr: 'CS', value: 'ISO_IR 192' },
    { tag: '00080016', vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1.1' },
    { tag: '00080018', vr: 'UI', value: '2.25.1234567' },
    { tag: '0020000D', vr: 'UI', value: '2.25.11' },
    { tag: '0020000E', vr: 'UI', value: '2.25.111' },
    { tag: '00280002', vr: 'US', value: [1] },
    { tag: '00280004', vr: 'CS', value: 'MONOCHROME2' },
    { tag: '00280010', vr: 'US', value: [2] },
    { tag: '00280011', vr: 'US', value: [2] },
    { tag: '00280100', vr: 'US', value: [16] },
    { tag: '00280101', vr: 'US', value: [12] },
    { tag: '00280103', vr: 'US', value: [0] },
    { tag: '7FE00010', vr: 'OW', value: new Uint8Array(pixels.buffer) },
  ]);

  it('writes a file our parser takes whole: UIDs, text in its character set, pixels', () => {
    const p = parseInstance(file);
    expect([p.sopClassUid, p.sopInstanceUid, p.studyInstanceUid, p.seriesInstanceUid]).toEqual([
      '1.2.840.10008.5.1.4.1.1.1.1',
      '2.25.1234567',
      '2.25.11',
      '2.25.111',
    ]);
    expect(p.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(p.image).toMatchObject({ rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12 });
    expect(toDicomJson(p.dataSet, p.charsets, { inlineBinaryLimit: 0 })['00100010'].Value).toEqual([
      { Alphabetic: '王^小东' },
    ]);
    const [[offset, length]] = p.pixel!.frames[0];
    expect(
      Buffer.from(p.byteArray.subarray(offset, offset + length)).equals(Buffer.from(pixels.buffer)),
    ).toBe(true);
  });

  it('writes a file dcmtk reads without complaint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'part10-'));
    try {
      writeFileSync(join(dir, 'x.dcm'), file);
      const dump = spawnSync('dcmdump', ['-E', join(dir, 'x.dcm')], { encoding: 'utf8' });
      expect({ status: dump.status, stderr: dump.stderr }).toEqual({ status: 0, stderr: '' });
      expect(dump.stdout).toContain('(0002,0000) UL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
