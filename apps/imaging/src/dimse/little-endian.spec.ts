import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { DicomJson } from '@huizhen/dicom';
import { EXPLICIT_LITTLE, IMPLICIT_LITTLE } from './association-negotiation';
import { dataSetOf } from './dimse-retrieve';
import { readIdentifier } from './identifier';
import { rewriteLittleEndian } from './little-endian';

// pydicom's test files (Debian python3-pydicom): MR_small in both little endian syntaxes.
const FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const SOP = '1.2.840.10008.5.1.4.1.1.4';

/**
 * Elements and values as read; implicit VR cannot say US from SS or OB from OW (the bytes are
 * the same), so those VRs compare as one, and the explicit file's trailing padding
 * (FFFC,FFFC), which the implicit copy lacks, is left out.
 */
function read(dataSet: Buffer, ts: string): DicomJson {
  const json = readIdentifier(dataSet, ts, SOP);
  delete json.FFFCFFFC;
  const same: Record<string, string> = { SS: 'US', OB: 'OW' };
  return JSON.parse(
    JSON.stringify(json, (k, v: unknown) => (k === 'vr' ? (same[v as string] ?? v) : v)),
  ) as DicomJson;
}

describe('little endian rewrite (C-GET to an SCU that took the other syntax)', () => {
  it('turns the implicit VR copy of a real file into the explicit one and back, same elements and values', () => {
    const implicit = dataSetOf(readFileSync(`${FILES}/MR_small_implicit.dcm`));
    const explicit = dataSetOf(readFileSync(`${FILES}/MR_small.dcm`));
    const expected = read(explicit, EXPLICIT_LITTLE);
    const toExplicit = rewriteLittleEndian(implicit, IMPLICIT_LITTLE, EXPLICIT_LITTLE);
    expect(read(toExplicit, EXPLICIT_LITTLE)).toEqual(expected);
    const toImplicit = rewriteLittleEndian(explicit, EXPLICIT_LITTLE, IMPLICIT_LITTLE);
    expect(read(toImplicit, IMPLICIT_LITTLE)).toEqual(read(implicit, IMPLICIT_LITTLE));
    // Nested sequences survive: an RT plan (implicit VR) and a structured report (explicit VR).
    const plan = dataSetOf(readFileSync(`${FILES}/rtplan.dcm`));
    const planExplicit = rewriteLittleEndian(plan, IMPLICIT_LITTLE, EXPLICIT_LITTLE);
    expect(read(planExplicit, EXPLICIT_LITTLE)).toEqual(read(plan, IMPLICIT_LITTLE));
    const report = dataSetOf(readFileSync(`${FILES}/test-SR.dcm`));
    const back = rewriteLittleEndian(
      rewriteLittleEndian(report, EXPLICIT_LITTLE, IMPLICIT_LITTLE),
      IMPLICIT_LITTLE,
      EXPLICIT_LITTLE,
    );
    expect(read(back, EXPLICIT_LITTLE)).toEqual(read(report, EXPLICIT_LITTLE));
    expect(() =>
      rewriteLittleEndian(explicit.subarray(0, 101), EXPLICIT_LITTLE, IMPLICIT_LITTLE),
    ).toThrow(/truncated/);
  });
});
