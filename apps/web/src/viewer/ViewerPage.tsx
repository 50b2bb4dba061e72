import { Card, Select, Space, Spin, Typography } from 'antd';
import { useMemo } from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { DicomWebClient } from '../api/dicomweb';
import { ApiError } from '../api/http';
import { useI18n } from '../i18n/I18nProvider';
import { EmptyState, ErrorState } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { ImageViewer } from './ImageViewer';
import { setImageTokenProvider } from './cornerstone';

setImageTokenProvider(() => api.freshAccessToken());

/** A study read over the platform's own DICOMweb (/dicom-web), with the signed-in user's token. */
export function ViewerPage() {
  const { studyUid = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const { t } = useI18n();
  const client = useMemo(
    () => new DicomWebClient(`${window.location.origin}/dicom-web`, () => api.freshAccessToken()),
    [],
  );
  const series = useApiData(() => client.seriesOfStudy(studyUid), [studyUid]);
  const seriesUid = params.get('series') ?? series.data?.[0]?.seriesInstanceUid ?? '';
  const stack = useApiData(
    () => (seriesUid ? client.seriesStack(studyUid, seriesUid) : Promise.resolve([])),
    [studyUid, seriesUid],
  );

  const error = series.error ?? stack.error;
  if (error) {
    // The imaging service answers under /dicom-web once it is on the platform; until then the
    // server has no such route and says "Cannot GET".
    if (error instanceof ApiError && error.status === 404 && /^Cannot GET/.test(error.message)) {
      return (
        <Card>
          <EmptyState
            title={t('viewer.serviceUnavailable')}
            hint={t('pending.body', { api: t('pending.api.imaging') })}
          />
        </Card>
      );
    }
    return <ErrorState error={error} onRetry={() => (series.reload(), stack.reload())} />;
  }
  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('viewer.title')}
        </Typography.Title>
      }
      extra={
        <Space>
          <span>{t('viewer.series')}</span>
          <Select
            style={{ width: 320 }}
            value={seriesUid || undefined}
            loading={series.loading}
            onChange={(v) => setParams({ series: v })}
            options={(series.data ?? []).map((s) => ({
              value: s.seriesInstanceUid,
              label:
                `${s.seriesNumber ?? ''} ${s.modality ?? ''} ${s.description ?? ''}`.trim() ||
                s.seriesInstanceUid,
            }))}
          />
        </Space>
      }
    >
      {series.loading || stack.loading ? (
        <Spin />
      ) : stack.data && stack.data.length > 0 ? (
        <ImageViewer stack={stack.data} height={520} />
      ) : (
        <EmptyState title={t('viewer.noImages')} />
      )}
    </Card>
  );
}
