/**
 * The DICOM viewer: one Cornerstone3D STACK viewport over a series' frames (wadors image ids),
 * window/level (drag, presets), pan, zoom, length and angle measurement, stack scroll and cine.
 * Mouse: left = chosen tool, middle = pan, right = zoom, wheel = next/previous image.
 *
 * The viewport's life is useStackViewport; the toolbar's controls are useViewerControls
 * (tools in viewer-tools.ts); measurements are read in measurements.ts.
 */
import { Alert } from 'antd';
import type { StackImage } from '../api/dicomweb';
import { useI18n } from '../i18n/I18nProvider';
import { MeasurementList } from './MeasurementList';
import { useStackViewport, type ViewerHandle } from './useStackViewport';
import { stepImage, useCine, usePrimaryTool, useWindowPreset } from './useViewerControls';
import { ViewerToolbar } from './ViewerToolbar';
import { ViewportOverlay } from './ViewportOverlay';

export type { Measurement } from './measurements';
export type { ViewerHandle } from './useStackViewport';

export function ImageViewer({
  stack,
  height = 560,
  onReady,
}: {
  stack: StackImage[];
  height?: number;
  onReady?: (handle: ViewerHandle) => void;
}) {
  const { t } = useI18n();
  const viewer = useStackViewport(stack, onReady);
  const { elementRef, handleRef, state, index } = viewer;
  const tools = usePrimaryTool(viewer.toolGroupId);
  const presets = useWindowPreset(handleRef, viewer.setWin);
  const cine = useCine(elementRef);

  return (
    <div data-testid="image-viewer" style={{ display: 'flex', gap: 12, alignItems: 'stretch' }}>
      <div style={{ flex: 1, minWidth: 0 }}>
        <ViewerToolbar
          ready={state === 'ready'}
          index={index}
          count={stack.length}
          tools={tools}
          presets={presets}
          cine={cine}
          step={(delta) => stepImage(handleRef.current, delta)}
        />
        <div
          style={{
            position: 'relative',
            height,
            background: '#000',
            borderRadius: 4,
            overflow: 'hidden',
          }}
        >
          <div
            ref={elementRef}
            data-testid="viewer-viewport"
            data-state={state}
            data-rendered={viewer.rendered ? 'true' : 'false'}
            data-image-index={index}
            style={{ width: '100%', height: '100%' }}
          />
          <ViewportOverlay state={state} index={index} count={stack.length} win={viewer.win} />
        </div>
        {state === 'error' ? (
          <Alert
            type="error"
            showIcon
            style={{ marginTop: 8 }}
            title={
              <span data-testid="viewer-error">
                {t('viewer.loadError', { message: viewer.error ?? '' })}
              </span>
            }
          />
        ) : null}
      </div>
      <MeasurementList measurements={viewer.measurements} />
    </div>
  );
}
