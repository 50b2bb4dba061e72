import { randomBytes } from 'node:crypto';
import { writeGreyscaleImage } from '@huizhen/dicom';

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
  /** How far (x, y) lies from an ellipse's centre: below 1 inside it. */
  const ellipse =
    (cx: number, cy: number, rx: number, ry: number) =>
    (x: number, y: number): number =>
      ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
  const body = ellipse(256, 280, 230, 250);
  const rightLung = ellipse(165, 250, 78, 150); // patient's right lung (image left)
  const leftLung = ellipse(350, 250, 72, 145);
  const heart = ellipse(285, 320, 75, 70);
  const rightLowerZone = ellipse(160, 340, 48, 36);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 300; // air outside the body
      if (body(x, y) < 1) v = 2300; // soft tissue
      const right = rightLung(x, y);
      const left = leftLung(x, y);
      if (right < 1 || left < 1) v = 900 + Math.round(500 * Math.min(right < 1 ? right : left, 1)); // aerated lung, denser at the edges
      if (Math.abs(x - 256) < 20 && y > 60) v = 3200; // spine
      if (heart(x, y) < 1) v = Math.max(v, 2500); // heart shadow
      const consolidation = rightLowerZone(x, y);
      if (consolidation < 1 && right < 1) v += Math.round(1100 * (1 - consolidation)); // right lower zone opacity
      if ((y - 110) % 34 < 5 && (right < 1 || left < 1)) v += 250; // ribs
      pixels[y * size + x] = Math.min(4095, v + (noise[y * size + x] >> 3));
    }
  }
  return writeGreyscaleImage({
    sopClassUid: DX_FOR_PRESENTATION,
    patient: {
      name: patient.name,
      id: patient.dicomPatientId,
      birthDate: patient.birthDate,
      sex: patient.sex,
    },
    study: {
      date: studyDate,
      time: '093000',
      accession: `DEMO-${studyDate}-01`,
      description: '胸部正位片（示例，合成图像）',
    },
    modality: 'DX',
    pixels,
    rows: size,
    columns: size,
    extra: [
      { tag: '0008103E', vr: 'LO', value: 'PA chest (synthetic demo image)' },
      { tag: '00180015', vr: 'CS', value: 'CHEST' },
      { tag: '00200020', vr: 'CS', value: 'R\\F' },
      { tag: '00281050', vr: 'DS', value: '2000' },
      { tag: '00281051', vr: 'DS', value: '3600' },
    ],
  }).bytes;
}
