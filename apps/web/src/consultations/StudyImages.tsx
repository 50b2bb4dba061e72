import { Card, Empty, Spin, Tag, Typography } from 'antd';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import { DicomWebClient, type SeriesSummary } from '../api/dicomweb';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { useConsultText } from './text';

const StudyViewer = lazy(() => import('./StudyViewer'));

/** An image from /dicom-web fetched with the token (an <img src> would carry none). */
function AuthImage({ url, alt, size }: { url: string; alt: string; size: number }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let objectUrl: string | null = null;
    let live = true;
    (async () => {
      const token = await api.freshAccessToken();
      const res = await fetch(url, {
        headers: { Accept: 'image/jpeg', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      });
      if (!res.ok) throw new Error(String(res.status));
      objectUrl = URL.createObjectURL(await res.blob());
      if (live) setSrc(objectUrl);
    })().catch(() => live && setFailed(true));
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url]);
  const box = {
    width: size,
    height: size,
    background: '#000',
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    borderRadius: 4,
  };
  if (failed) return <div style={{ ...box, color: '#888', fontSize: 12 }}>—</div>;
  if (!src)
    return (
      <div style={box}>
        <Spin size="small" />
      </div>
    );
  return (
    <img
      src={src}
      alt={alt}
      width={size}
      height={size}
      style={{ ...box, objectFit: 'contain' }}
      data-testid="series-thumbnail-img"
    />
  );
}

function StudySeries({
  client,
  studyUid,
  selected,
  onSelect,
}: {
  client: DicomWebClient;
  studyUid: string;
  selected: string | null;
  onSelect: (series: SeriesSummary) => void;
}) {
  const { t } = useI18n();
  const series = useApiData(() => client.seriesOfStudy(studyUid), [studyUid]);
  if (series.loading) return <Spin size="small" />;
  // In the user's words (the code's or the status's), not the archive's English.
  if (series.error)
    return <Typography.Text type="danger">{errorMessage(t, series.error)}</Typography.Text>;
  return (
    <>
      {(series.data ?? []).map((s) => (
        <div
          key={s.seriesInstanceUid}
          role="button"
          tabIndex={0}
          data-testid="series-thumbnail"
          data-study={studyUid}
          data-series={s.seriesInstanceUid}
          data-modality={s.modality}
          title={s.description ?? s.seriesInstanceUid}
          onClick={() => onSelect(s)}
          onKeyDown={(e) => e.key === 'Enter' && onSelect(s)}
          style={{
            cursor: 'pointer',
            padding: 3,
            borderRadius: 6,
            border: `2px solid ${selected === s.seriesInstanceUid ? '#1f6feb' : 'transparent'}`,
          }}
        >
          <AuthImage
            url={`${client.root}/studies/${studyUid}/series/${s.seriesInstanceUid}/thumbnail?viewport=96,96`}
            alt={s.description ?? s.seriesInstanceUid}
            size={96}
          />
          <div
            style={{
              fontSize: 12,
              marginTop: 4,
              width: 96,
              overflow: 'hidden',
              textOverflow: 'ellipsis',
              whiteSpace: 'nowrap',
            }}
          >
            <Tag style={{ marginInlineEnd: 4 }}>{s.modality ?? '?'}</Tag>
            {s.description || `#${s.seriesNumber ?? ''}`}
            {s.instanceCount ? ` (${s.instanceCount})` : ''}
          </div>
        </div>
      ))}
    </>
  );
}

/** The attached studies as series thumbnails (rendered by /dicom-web); a click opens the viewer. */
export function StudyImages({ studyUids }: { studyUids: string[] }) {
  const { ct } = useConsultText();
  const client = useMemo(
    () => new DicomWebClient(`${window.location.origin}/dicom-web`, () => api.freshAccessToken()),
    [],
  );
  const [open, setOpen] = useState<{ study: string; series: string } | null>(null);
  return (
    <Card
      title={ct('detail.images')}
      extra={
        <Typography.Text type="secondary">
          {ct('wizard.studies', { n: studyUids.length })}
        </Typography.Text>
      }
      data-testid="study-images"
    >
      {studyUids.length === 0 ? (
        <Empty description={ct('detail.noImages')} />
      ) : (
        <>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }} data-testid="series-strip">
            {studyUids.map((uid) => (
              <StudySeries
                key={uid}
                client={client}
                studyUid={uid}
                selected={open?.study === uid ? open.series : null}
                onSelect={(s) => setOpen({ study: uid, series: s.seriesInstanceUid })}
              />
            ))}
          </div>
          <div style={{ marginTop: 12 }}>
            {open ? (
              <Suspense fallback={<Spin />}>
                <StudyViewer studyUid={open.study} seriesUid={open.series} />
              </Suspense>
            ) : (
              <Typography.Text type="secondary">{ct('viewer.pick')}</Typography.Text>
            )}
          </div>
        </>
      )}
    </Card>
  );
}
