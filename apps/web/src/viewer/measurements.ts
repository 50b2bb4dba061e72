/** Length and angle measurements, read from the annotations the tools keep for a viewport element. */
import { csTools, TOOL_NAMES } from './cornerstone';

export interface Measurement {
  uid: string;
  kind: 'length' | 'angle';
  value: number;
  unit: string;
}

/** The annotation events after which the measurements are read again. */
export const ANNOTATION_EVENTS = [
  csTools.Enums.Events.ANNOTATION_COMPLETED,
  csTools.Enums.Events.ANNOTATION_MODIFIED,
  csTools.Enums.Events.ANNOTATION_REMOVED,
];

export function readMeasurements(element: HTMLDivElement): Measurement[] {
  const out: Measurement[] = [];
  for (const [kind, toolName] of [
    ['length', TOOL_NAMES.length],
    ['angle', TOOL_NAMES.angle],
  ] as const) {
    const annotations = csTools.annotation.state.getAnnotations(toolName, element) ?? [];
    for (const a of annotations) {
      const stats = Object.values(
        (a.data as { cachedStats?: Record<string, any> }).cachedStats ?? {},
      )[0];
      const value = kind === 'length' ? stats?.length : stats?.angle;
      if (typeof value === 'number' && Number.isFinite(value)) {
        out.push({
          uid: a.annotationUID ?? '',
          kind,
          value,
          unit: kind === 'length' ? (stats.unit ?? 'mm') : '°',
        });
      }
    }
  }
  return out;
}
