import { newUid } from './uid';
import { type ElementToWrite, writePart10 } from './part10-writer';

export interface ImageUids {
  study: string;
  series: string;
  instance: string;
}

/** A single-frame MONOCHROME2 image to write: who, which study, and its pixels. */
export interface GreyscaleImage {
  sopClassUid: string;
  /** Missing ones are made (newUid). */
  uids?: Partial<ImageUids>;
  patient: { name: string; id: string; birthDate: string; sex: 'M' | 'F' | 'O' };
  study: { date: string; time: string; accession: string; description: string };
  modality: string;
  /** Rows × columns stored values, row by row: 16 bits allocated, `bitsStored` (12) used, unsigned. */
  pixels: Uint16Array;
  rows: number;
  columns: number;
  bitsStored?: number;
  /** Anything else the image says (series description, body part, window…). */
  extra?: ElementToWrite[];
}

/**
 * A small DICOM image as a Part 10 file (explicit VR little endian, UTF-8 text), series and
 * instance number 1: the demo's synthetic radiograph and the test suites' probe images.
 */
export function writeGreyscaleImage(image: GreyscaleImage): { bytes: Buffer; uids: ImageUids } {
  const uids: ImageUids = {
    study: image.uids?.study ?? newUid(),
    series: image.uids?.series ?? newUid(),
    instance: image.uids?.instance ?? newUid(),
  };
  const bitsStored = image.bitsStored ?? 12;
  const { patient, study } = image;
  const bytes = writePart10([
    { tag: '00080005', vr: 'CS', value: 'ISO_IR 192' },
    { tag: '00080016', vr: 'UI', value: image.sopClassUid },
    { tag: '00080018', vr: 'UI', value: uids.instance },
    { tag: '00080020', vr: 'DA', value: study.date },
    { tag: '00080030', vr: 'TM', value: study.time },
    { tag: '00080050', vr: 'SH', value: study.accession },
    { tag: '00080060', vr: 'CS', value: image.modality },
    { tag: '00081030', vr: 'LO', value: study.description },
    { tag: '00100010', vr: 'PN', value: patient.name },
    { tag: '00100020', vr: 'LO', value: patient.id },
    { tag: '00100030', vr: 'DA', value: patient.birthDate },
    { tag: '00100040', vr: 'CS', value: patient.sex },
    { tag: '0020000D', vr: 'UI', value: uids.study },
    { tag: '0020000E', vr: 'UI', value: uids.series },
    { tag: '00200011', vr: 'IS', value: '1' },
    { tag: '00200013', vr: 'IS', value: '1' },
    { tag: '00280002', vr: 'US', value: [1] },
    { tag: '00280004', vr: 'CS', value: 'MONOCHROME2' },
    { tag: '00280010', vr: 'US', value: [image.rows] },
    { tag: '00280011', vr: 'US', value: [image.columns] },
    { tag: '00280100', vr: 'US', value: [16] },
    { tag: '00280101', vr: 'US', value: [bitsStored] },
    { tag: '00280102', vr: 'US', value: [bitsStored - 1] },
    { tag: '00280103', vr: 'US', value: [0] },
    ...(image.extra ?? []),
    {
      tag: '7FE00010',
      vr: 'OW',
      value: new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength),
    },
  ]);
  return { bytes, uids };
}
