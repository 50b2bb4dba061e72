/**
 * The pure parts of the browser's DICOM upload (apps/web/src/api/imaging-upload.ts): which files
 * of a folder are DICOM, how big the resumable chunks are, and what the archive's STOW answer
 * says was stored. The upload itself runs in Chromium (consultation-journey.e2e-spec.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  chunkSizeFor,
  isDicomFile,
  outcomeFromStowResponse,
} from '../../apps/web/src/api/imaging-upload';

const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

describe('browser DICOM upload helpers', () => {
  it('tells Part 10 files from the rest of an exported folder', async () => {
    expect(
      await isDicomFile(new File([readFileSync(`${PYDICOM}/CT_small.dcm`)], 'CT_small.dcm')),
    ).toBe(true);
    expect(await isDicomFile(new File([readFileSync(`${PYDICOM}/README.txt`)], 'README.txt'))).toBe(
      false,
    );
    // No preamble + DICM: a raw dataset without file meta is not accepted as a file.
    expect(
      await isDicomFile(new File([readFileSync(`${PYDICOM}/no_meta.dcm`)], 'no_meta.dcm')),
    ).toBe(false);
    expect(await isDicomFile(new File([new Uint8Array(10)], 'tiny'))).toBe(false);
  });

  it('cuts files into chunks between 16 KiB and 4 MiB, about four per file', () => {
    expect(chunkSizeFor(1000)).toBe(16 * 1024);
    expect(chunkSizeFor(39206)).toBe(16 * 1024);
    expect(chunkSizeFor(1_000_000)).toBe(250_000);
    expect(chunkSizeFor(500_000_000)).toBe(4 * 1024 * 1024);
  });

  it('reads the stored study, series and instance from the STOW-RS answer, and nothing from a failure', () => {
    const base = 'http://h/dicom-web/studies/1.2.3';
    const ok = {
      '00081190': { vr: 'UR', Value: [base] },
      '00081199': {
        vr: 'SQ',
        Value: [
          {
            '00081155': { vr: 'UI', Value: ['1.2.3.4.5'] },
            '00081190': { vr: 'UR', Value: [`${base}/series/1.2.3.4/instances/1.2.3.4.5`] },
          },
        ],
      },
    };
    expect(outcomeFromStowResponse(JSON.stringify(ok))).toEqual({
      studyInstanceUid: '1.2.3',
      seriesInstanceUid: '1.2.3.4',
      sopInstanceUid: '1.2.3.4.5',
    });
    const failed = {
      '00081198': {
        vr: 'SQ',
        Value: [{ '00000902': { vr: 'LO', Value: ['truncated pixel data'] } }],
      },
    };
    expect(outcomeFromStowResponse(JSON.stringify(failed))).toEqual({
      studyInstanceUid: null,
      seriesInstanceUid: null,
      sopInstanceUid: null,
    });
    expect(outcomeFromStowResponse('not json')).toEqual({
      studyInstanceUid: null,
      seriesInstanceUid: null,
      sopInstanceUid: null,
    });
  });
});
