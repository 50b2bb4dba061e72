/**
 * The DICOM viewer: one Cornerstone3D STACK viewport over a series' frames (wadors image ids),
 * window/level (drag, presets), pan, zoom, length and angle measurement, stack scroll and cine.
 * Mouse: left = chosen tool, middle = pan, right = zoom, wheel = next/previous image.
 */
import { Alert, Button, InputNumber, Segmented, Select, Space, Spin, Tooltip, Typography } from 'antd';
import { useEffect, useId, useRef, useState } from 'react';
import type { StackImage } from '../api/dicomweb';
import { useI18n } from '../i18n/I18nProvider';
import { cs, csTools, initCornerstone, registerStackMetadata, TOOL_NAMES } from './cornerstone';
import { voiRangeOf, windowOf, WINDOW_PRESETS } from './presets';

type PrimaryTool = 'windowLevel' | 'pan' | 'zoom' | 'length' | 'angle';

export interface ViewerHandle {
  element: HTMLDivElement;
  viewport: import('@cornerstonejs/core').Types.IStackViewport;
  renderingEngineId: string;
  viewportId: string;
}

export interface Measurement {
  uid: string;
  kind: 'length' | 'angle';
  value: number;
  unit: string;
}

function readMeasurements(element: HTMLDivElement): Measurement[] {
  const out: Measurement[] = [];
  for (const [kind, toolName] of [
    ['length', TOOL_NAMES.length],
    ['angle', TOOL_NAMES.angle],
  ] as const) {
    const annotations = csTools.annotation.state.getAnnotations(toolName, element) ?? [];
    for (const a of annotations) {
      const stats = Object.values((a.data as { cachedStats?: Record<string, any> }).cachedStats ?? {})[0];
      const value = kind === 'length' ? stats?.length : stats?.angle;
      if (typeof value === 'number' && Number.isFinite(value)) {
        out.push({ uid: a.annotationUID ?? '', kind, value, unit: kind === 'length' ? (stats.unit ?? 'mm') : '°' });
      }
    }
  }
  return out;
}

export function ImageViewer({ stack, height = 560, onReady }: { stack: StackImage[]; height?: number; onReady?: (handle: ViewerHandle) => void }) {
  const { t } = useI18n();
  const uid = useId().replace(/[^a-zA-Z0-9]/g, '');
  const elementRef = useRef<HTMLDivElement>(null);
  const handleRef = useRef<ViewerHandle | null>(null);
  const onReadyRef = useRef(onReady);
  onReadyRef.current = onReady;
  const [state, setState] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [index, setIndex] = useState(0);
  const [win, setWin] = useState<{ center: number; width: number } | null>(null);
  const [tool, setTool] = useState<PrimaryTool>('windowLevel');
  const [preset, setPreset] = useState('default');
  const [playing, setPlaying] = useState(false);
  const [fps, setFps] = useState(10);
  const [measurements, setMeasurements] = useState<Measurement[]>([]);
  const [rendered, setRendered] = useState(false);
  const toolGroupId = `huizhen-tools-${uid}`;

  useEffect(() => {
    const element = elementRef.current;
    if (!element || stack.length === 0) return;
    let disposed = false;
    const renderingEngineId = `huizhen-engine-${uid}`;
    const viewportId = `huizhen-stack-${uid}`;
    let engine: import('@cornerstonejs/core').RenderingEngine | null = null;
    const { Events } = cs.Enums;
    const onNewImage = (evt: Event) => setIndex((evt as CustomEvent<{ imageIdIndex: number }>).detail.imageIdIndex);
    const onVoi = (evt: Event) => {
      const range = (evt as CustomEvent<{ range: { lower: number; upper: number } }>).detail.range;
      if (range) setWin(windowOf(range));
    };
    const onRendered = () => {
      // An empty viewport renders too: only count renders once the stack has an image.
      if (handleRef.current?.viewport.getCurrentImageId()) setRendered(true);
    };
    const onLoadError = (evt: Event) => {
      const detail = (evt as CustomEvent<{ error?: { message?: string }; imageId?: string }>).detail;
      if (!detail?.imageId || !stack.some((s) => s.imageId === detail.imageId)) return;
      setError(detail.error?.message ?? String(detail.error ?? 'image load error'));
      setState('error');
    };
    const onAnnotations = () => setMeasurements(readMeasurements(element));
    const annotationEvents = [csTools.Enums.Events.ANNOTATION_COMPLETED, csTools.Enums.Events.ANNOTATION_MODIFIED, csTools.Enums.Events.ANNOTATION_REMOVED];
    const noMenu = (e: Event) => e.preventDefault();

    (async () => {
      await initCornerstone();
      if (disposed) return;
      engine = new cs.RenderingEngine(renderingEngineId);
      engine.enableElement({ viewportId, type: cs.Enums.ViewportType.STACK, element, defaultOptions: { background: [0, 0, 0] } });
      const viewport = engine.getViewport(viewportId) as ViewerHandle['viewport'];
      const group = csTools.ToolGroupManager.createToolGroup(toolGroupId)!;
      for (const name of Object.values(TOOL_NAMES)) group.addTool(name);
      group.addViewport(viewportId, renderingEngineId);
      const { MouseBindings } = csTools.Enums;
      group.setToolActive(TOOL_NAMES.windowLevel, { bindings: [{ mouseButton: MouseBindings.Primary }] });
      group.setToolActive(TOOL_NAMES.pan, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
      group.setToolActive(TOOL_NAMES.zoom, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
      group.setToolActive(TOOL_NAMES.stackScroll, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
      group.setToolPassive(TOOL_NAMES.length);
      group.setToolPassive(TOOL_NAMES.angle);
      element.addEventListener(Events.STACK_NEW_IMAGE, onNewImage);
      element.addEventListener(Events.VOI_MODIFIED, onVoi);
      element.addEventListener(Events.IMAGE_RENDERED, onRendered);
      element.addEventListener('contextmenu', noMenu);
      cs.eventTarget.addEventListener(Events.IMAGE_LOAD_ERROR, onLoadError);
      for (const e of annotationEvents) cs.eventTarget.addEventListener(e, onAnnotations);
      const handle = { element, viewport, renderingEngineId, viewportId };
      handleRef.current = handle;
      registerStackMetadata(stack);
      try {
        await viewport.setStack(
          stack.map((s) => s.imageId),
          0,
        );
      } catch (e) {
        if (disposed) return;
        setError((e as Error)?.message ?? String(e));
        setState('error');
        return;
      }
      if (disposed) return;
      viewport.render();
      const voi = viewport.getProperties().voiRange;
      if (voi) setWin(windowOf(voi));
      setState('ready');
      onReadyRef.current?.(handle);
    })().catch((e) => {
      if (disposed) return;
      setError((e as Error)?.message ?? String(e));
      setState('error');
    });

    return () => {
      disposed = true;
      try {
        csTools.utilities.cine.stopClip(element);
      } catch {}
      element.removeEventListener(Events.STACK_NEW_IMAGE, onNewImage);
      element.removeEventListener(Events.VOI_MODIFIED, onVoi);
      element.removeEventListener(Events.IMAGE_RENDERED, onRendered);
      element.removeEventListener('contextmenu', noMenu);
      cs.eventTarget.removeEventListener(Events.IMAGE_LOAD_ERROR, onLoadError);
      for (const e of annotationEvents) cs.eventTarget.removeEventListener(e, onAnnotations);
      csTools.ToolGroupManager.destroyToolGroup(toolGroupId);
      engine?.destroy();
      handleRef.current = null;
    };
    // The stack identity is the viewer's input; a new stack builds a new viewport.
  }, [stack, uid, toolGroupId]);

  const chooseTool = (next: PrimaryTool) => {
    const group = csTools.ToolGroupManager.getToolGroup(toolGroupId);
    if (!group) return;
    const { MouseBindings } = csTools.Enums;
    // The previous left-button tool keeps its other bindings (middle = pan, right = zoom).
    const fallback: Partial<Record<PrimaryTool, number>> = { pan: MouseBindings.Auxiliary, zoom: MouseBindings.Secondary };
    const prev = tool;
    // setToolActive adds to a tool's bindings: clear the previous tool's first.
    group.setToolPassive(TOOL_NAMES[prev], { removeAllBindings: true });
    if (fallback[prev]) group.setToolActive(TOOL_NAMES[prev], { bindings: [{ mouseButton: fallback[prev]! }] });
    const bindings = [{ mouseButton: MouseBindings.Primary }];
    if (fallback[next]) bindings.push({ mouseButton: fallback[next]! });
    group.setToolActive(TOOL_NAMES[next], { bindings });
    setTool(next);
  };

  const applyPreset = (id: string) => {
    const viewport = handleRef.current?.viewport;
    if (!viewport) return;
    setPreset(id);
    const p = WINDOW_PRESETS.find((x) => x.id === id);
    if (p) viewport.setProperties({ voiRange: voiRangeOf(p.center, p.width) });
    else viewport.resetProperties();
    viewport.render();
    const voi = viewport.getProperties().voiRange;
    if (voi) setWin(windowOf(voi));
  };

  const go = (delta: number) => {
    const viewport = handleRef.current?.viewport;
    if (!viewport) return;
    const n = viewport.getImageIds().length;
    void viewport.setImageIdIndex(Math.min(n - 1, Math.max(0, viewport.getCurrentImageIdIndex() + delta)));
  };

  const togglePlay = () => {
    const element = elementRef.current;
    if (!element) return;
    if (playing) csTools.utilities.cine.stopClip(element);
    else csTools.utilities.cine.playClip(element, { framesPerSecond: fps, loop: true });
    setPlaying(!playing);
  };

  const reset = () => {
    const viewport = handleRef.current?.viewport;
    if (!viewport) return;
    viewport.resetCamera();
    applyPreset('default');
  };

  return (
    <div data-testid="image-viewer" style={{ display: 'flex', gap: 12, alignItems: 'stretch' }}>
      <div style={{ flex: 1, minWidth: 0 }}>
        <Space wrap size={8} style={{ marginBottom: 8 }}>
          <Segmented<PrimaryTool>
            data-testid="viewer-tools"
            value={tool}
            onChange={chooseTool}
            disabled={state !== 'ready'}
            options={(['windowLevel', 'pan', 'zoom', 'length', 'angle'] as const).map((k) => ({ value: k, label: t(`viewer.tool.${k}`) }))}
          />
          <Select
            data-testid="viewer-preset"
            value={preset}
            style={{ width: 120 }}
            disabled={state !== 'ready'}
            onChange={applyPreset}
            options={[{ value: 'default', label: t('viewer.preset.default') }, ...WINDOW_PRESETS.map((p) => ({ value: p.id, label: t(p.label as 'viewer.preset.lung') }))]}
          />
          <Button onClick={reset} disabled={state !== 'ready'}>
            {t('viewer.reset')}
          </Button>
          <Button onClick={() => go(-1)} disabled={state !== 'ready' || index === 0} data-testid="viewer-prev">
            {t('viewer.prev')}
          </Button>
          <Button onClick={() => go(1)} disabled={state !== 'ready' || index >= stack.length - 1} data-testid="viewer-next">
            {t('viewer.next')}
          </Button>
          <Button onClick={togglePlay} disabled={state !== 'ready' || stack.length < 2} type={playing ? 'primary' : 'default'} data-testid="viewer-cine">
            {playing ? t('viewer.pause') : t('viewer.play')}
          </Button>
          <Tooltip title={t('viewer.fps')}>
            <InputNumber min={1} max={60} value={fps} onChange={(v) => setFps(v ?? 10)} style={{ width: 90 }} suffix={t('viewer.fps')} disabled={playing} />
          </Tooltip>
        </Space>
        <div style={{ position: 'relative', height, background: '#000', borderRadius: 4, overflow: 'hidden' }}>
          <div
            ref={elementRef}
            data-testid="viewer-viewport"
            data-state={state}
            data-rendered={rendered ? 'true' : 'false'}
            data-image-index={index}
            style={{ width: '100%', height: '100%' }}
          />
          <div style={{ position: 'absolute', left: 8, bottom: 6, color: '#e6e6e6', fontSize: 12, pointerEvents: 'none', textShadow: '0 0 2px #000' }}>
            <div data-testid="viewer-index">
              {t('viewer.image')} {stack.length ? index + 1 : 0} / {stack.length}
            </div>
            {win ? <div data-testid="viewer-window">{t('viewer.window', { width: Math.round(win.width), center: Math.round(win.center) })}</div> : null}
          </div>
          {state === 'loading' ? (
            <div style={{ position: 'absolute', inset: 0, display: 'flex', alignItems: 'center', justifyContent: 'center', color: '#fff' }}>
              <Spin />
              <span style={{ marginInlineStart: 8 }}>{t('viewer.loading')}</span>
            </div>
          ) : null}
        </div>
        {state === 'error' ? <Alert type="error" showIcon style={{ marginTop: 8 }} title={<span data-testid="viewer-error">{t('viewer.loadError', { message: error ?? '' })}</span>} /> : null}
      </div>
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
                {m.kind === 'length' ? t('viewer.length') : t('viewer.angle')}：{m.value.toFixed(m.kind === 'length' ? 1 : 1)} {m.unit}
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
