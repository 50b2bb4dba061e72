import { Typography } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import type { Measurement } from './measurements';

/** The side panel: each length (mm) and angle (°) measured on the image, in the order drawn. */
export function MeasurementList({ measurements }: { measurements: Measurement[] }) {
  const { t } = useI18n();
  return (
    <div style={{ width: 200, flexShrink: 0 }}>
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {t('viewer.measurements')}
      </Typography.Title>
      {measurements.length === 0 ? (
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t('viewer.noMeasurements')}
        </Typography.Paragraph>
      ) : (
        <ol data-testid="viewer-measurements" style={{ paddingInlineStart: 20, margin: 0 }}>
          {measurements.map((m) => (
            <li key={m.uid} data-kind={m.kind} data-value={m.value}>
              {m.kind === 'length' ? t('viewer.length') : t('viewer.angle')}：{m.value.toFixed(1)}{' '}
              {m.unit}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
