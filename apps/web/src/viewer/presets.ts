/** Window/level presets in Hounsfield units (CT), as radiology reading rooms use them. */
export interface WindowPreset {
  id: string;
  /** i18n key of the label */
  label: string;
  center: number;
  width: number;
}

export const WINDOW_PRESETS: WindowPreset[] = [
  { id: 'lung', label: 'viewer.preset.lung', center: -600, width: 1500 },
  { id: 'mediastinum', label: 'viewer.preset.mediastinum', center: 40, width: 350 },
  { id: 'abdomen', label: 'viewer.preset.abdomen', center: 50, width: 400 },
  { id: 'bone', label: 'viewer.preset.bone', center: 500, width: 2000 },
  { id: 'brain', label: 'viewer.preset.brain', center: 40, width: 80 },
];

export function voiRangeOf(center: number, width: number) {
  return { lower: center - width / 2, upper: center + width / 2 };
}

export function windowOf(range: { lower: number; upper: number }) {
  return { center: (range.lower + range.upper) / 2, width: range.upper - range.lower };
}
