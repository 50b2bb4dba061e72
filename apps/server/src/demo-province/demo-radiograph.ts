import { randomBytes } from 'node:crypto';
import { newUid, writePart10 } from '@huizhen/dicom';

const DX_FOR_PRESENTATION = '1.2.840.10008.5.1.4.1.1.1.1';

export interface DemoPatient {
  name: string;
  dicomPatientId: string;
  birthDate: string; // YYYYMMDD
  sex: 'M' | 'F' | 'O';
}

/**
 * A synthetic frontal chest radiograph for the demo's urgent chest read: 12-bit greyscale
 * DX, soft tissue, two lung fields, spine, heart shadow, and a patchy opacity in the right lower
 * zone (the patient's right: the viewer's left), as the clinical question describes. Made, not
 * copied: no real patient's image ships with the demo.
 */
export function demoChestRadiograph(patient: DemoPatient, studyDate: string): Buffer {
  const size = 512;
  const pixels = new Uint16Array(size * size);
  const noise = randomBytes(size * size);
  const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 300; // air outside the body
      if (inEllipse(x, y, 256, 280, 230, 250) < 1) v = 2300; // soft tissue
      const right = inEllipse(x, y, 165, 250, 78, 150); // patient's right lung (image left)
      const left = inEllipse(x, y, 350, 250, 72, 145);
      if (right < 1 || left < 1) v = 900 + Math.round(500 * Math.min(right < 1 ? right : left, 1)); // aerated lung, denser at the edges
      if (Math.abs(x - 256) < 20 && y > 60) v = 3200; // spine
      if (inEllipse(x, y, 285, 320, 75, 70) < 1) v = Math.max(v, 2500); // heart shadow
      const consolidation = inEllipse(x, y, 160, 340, 48, 36);
      if (consolidation < 1 && right < 1) v += Math.round(1100 * (1 - consolidation)); // right lower zone opacity
      if ((y - 110) % 34 < 5 && (right < 1 || left < 1)) v += 250; // ribs
      pixels[y * size + x] = Math.min(4095, v + (noise[y * size + x] >> 3));
    }
  }
  return writePart10([
    { tag: '00080005', vr: 'CS', value: 'ISO_IR 192' },
    { tag: '00080016', vr: 'UI', value: DX_FOR_PRESENTATION },
    { tag: '00080018', vr: 'UI', value: newUid() },
    { tag: '00080020', vr: 'DA', value: studyDate },
    { tag: '00080030', vr: 'TM', value: '093000' },
    { tag: '00080050', vr: 'SH', value: `DEMO-${studyDate}-01` },
    { tag: '00080060', vr: 'CS', value: 'DX' },
    { tag: '00081030', vr: 'LO', value: '胸部正位片（示例，合成图像）' },
    { tag: '0008103E', vr: 'LO', value: 'PA chest (synthetic demo image)' },
    { tag: '00100010', vr: 'PN', value: patient.name },
    { tag: '00100020', vr: 'LO', value: patient.dicomPatientId },
    { tag: '00100030', vr: 'DA', value: patient.birthDate },
    { tag: '00100040', vr: 'CS', value: patient.sex },
    { tag: '00180015', vr: 'CS', value: 'CHEST' },
    { tag: '0020000D', vr: 'UI', value: newUid() },
    { tag: '0020000E', vr: 'UI', value: newUid() },
    { tag: '00200011', vr: 'IS', value: '1' },
    { tag: '00200013', vr: 'IS', value: '1' },
    { tag: '00200020', vr: 'CS', value: 'R\\F' },
    { tag: '00280002', vr: 'US', value: [1] },
    { tag: '00280004', vr: 'CS', value: 'MONOCHROME2' },
    { tag: '00280010', vr: 'US', value: [size] },
    { tag: '00280011', vr: 'US', value: [size] },
    { tag: '00280100', vr: 'US', value: [16] },
    { tag: '00280101', vr: 'US', value: [12] },
    { tag: '00280102', vr: 'US', value: [11] },
    { tag: '00280103', vr: 'US', value: [0] },
    { tag: '00281050', vr: 'DS', value: '2000' },
    { tag: '00281051', vr: 'DS', value: '3600' },
    { tag: '7FE00010', vr: 'OW', value: new Uint8Array(pixels.buffer) },
  ]);
}
