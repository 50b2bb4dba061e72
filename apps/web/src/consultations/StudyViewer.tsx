/**
 * The viewer on one series of an attached study (loaded lazily: Cornerstone is most of the
 * bundle). The wrapper carries what a reader or a test checks against the archive: the VOI
 * window shown and where image pixels land on the canvas.
 */
import { Spin } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api/client';
import { DicomWebClient } from '../api/dicomweb';
import { ErrorState } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { ImageViewer, type ViewerHandle } from '../viewer/ImageViewer';
import { cs, setImageTokenProvider } from '../viewer/cornerstone';

setImageTokenProvider(() => api.freshAccessToken());

interface Geometry {
  voi: { lower: number; upper: number } | null;
  /** Canvas pixel positions of image pixel (0,0) and (columns-1, rows-1). */
  first: [number, number];
  last: [number, number];
  rows: number;
  columns: number;
  imageId: string;
}

function geometryOf(h: ViewerHandle): Geometry | null {
  const imageId = h.viewport.getCurrentImageId();
  const data = h.viewport.getImageData();
  if (!imageId || !data) return null;
  const [columns, rows] = data.dimensions;
  const toCanvas = (i: number, j: number) => {
    const world = data.imageData.indexToWorld!([i, j, 0]) as [number, number, number];
    const [x, y] = h.viewport.worldToCanvas(world);
    return [x, y] as [number, number];
  };
  return {
    voi: h.viewport.getProperties().voiRange ?? null,
    first: toCanvas(0, 0),
    last: toCanvas(columns - 1, rows - 1),
    rows,
    columns,
    imageId,
  };
}

export default function StudyViewer({
  studyUid,
  seriesUid,
}: {
  studyUid: string;
  seriesUid: string;
}) {
  const client = useMemo(
    () => new DicomWebClient(`${window.location.origin}/dicom-web`, () => api.freshAccessToken()),
    [],
  );
  const stack = useApiData(() => client.seriesStack(studyUid, seriesUid), [studyUid, seriesUid]);
  const [handle, setHandle] = useState<ViewerHandle | null>(null);
  const [geometry, setGeometry] = useState<Geometry | null>(null);
  const wrapper = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!handle) return;
    const update = () => setGeometry(geometryOf(handle));
    const events = [
      cs.Enums.Events.IMAGE_RENDERED,
      cs.Enums.Events.VOI_MODIFIED,
      cs.Enums.Events.CAMERA_MODIFIED,
    ];
    for (const e of events) handle.element.addEventListener(e, update);
    update();
    return () => {
      for (const e of events) handle.element.removeEventListener(e, update);
    };
  }, [handle]);

  if (stack.error) return <ErrorState error={stack.error} onRetry={stack.reload} />;
  if (stack.loading || !stack.data) return <Spin />;
  return (
    <div
      ref={wrapper}
      data-testid="study-viewer"
      data-study={studyUid}
      data-series={seriesUid}
      data-geometry={geometry ? JSON.stringify(geometry) : undefined}
    >
      <ImageViewer
        key={`${studyUid}/${seriesUid}`}
        stack={stack.data}
        height={480}
        onReady={setHandle}
      />
    </div>
  );
}
