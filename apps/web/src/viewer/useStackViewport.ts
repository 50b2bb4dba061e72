/**
 * One Cornerstone3D STACK viewport over a series' frames, for as long as the component shows
 * that stack: the rendering engine, the viewport, its tool group and listeners are made when
 * the element and stack are there, and taken down when the stack changes or the viewer goes.
 */
import type { Types } from '@cornerstonejs/core';
import { useEffect, useId, useRef, useState } from 'react';
import type { StackImage } from '../api/dicomweb';
import { cs, csTools, initCornerstone, registerStackMetadata } from './cornerstone';
import { type Measurement, readMeasurements } from './measurements';
import { windowOf } from './presets';
import { listenToViewport } from './viewport-events';
import { createToolGroup } from './viewer-tools';

export interface ViewerHandle {
  element: HTMLDivElement;
  viewport: Types.IStackViewport;
  renderingEngineId: string;
  viewportId: string;
}

export type ViewerState = 'loading' | 'ready' | 'error';
export type Window = { center: number; width: number };

const messageOf = (e: unknown) => (e as Error)?.message ?? String(e);

export function useStackViewport(stack: StackImage[], onReady?: (handle: ViewerHandle) => void) {
  const uid = useId().replace(/[^a-zA-Z0-9]/g, '');
  const toolGroupId = `huizhen-tools-${uid}`;
  const elementRef = useRef<HTMLDivElement>(null);
  const handleRef = useRef<ViewerHandle | null>(null);
  const onReadyRef = useRef(onReady);
  useEffect(() => {
    onReadyRef.current = onReady;
  }, [onReady]);
  const [state, setState] = useState<ViewerState>('loading');
  const [error, setError] = useState<string | null>(null);
  const [index, setIndex] = useState(0);
  const [win, setWin] = useState<Window | null>(null);
  const [measurements, setMeasurements] = useState<Measurement[]>([]);
  const [rendered, setRendered] = useState(false);

  useEffect(() => {
    const element = elementRef.current;
    if (!element || stack.length === 0) return;
    let disposed = false;
    const renderingEngineId = `huizhen-engine-${uid}`;
    const viewportId = `huizhen-stack-${uid}`;
    let engine: InstanceType<typeof cs.RenderingEngine> | null = null;
    let stopListening = () => {};
    const fail = (e: unknown) => {
      if (disposed) return;
      setError(messageOf(e));
      setState('error');
    };

    (async () => {
      await initCornerstone();
      if (disposed) return;
      engine = new cs.RenderingEngine(renderingEngineId);
      engine.enableElement({
        viewportId,
        type: cs.Enums.ViewportType.STACK,
        element,
        defaultOptions: { background: [0, 0, 0] },
      });
      const viewport = engine.getViewport(viewportId) as ViewerHandle['viewport'];
      createToolGroup(toolGroupId, viewportId, renderingEngineId);
      stopListening = listenToViewport(element, stack, {
        onImageIndex: setIndex,
        onWindow: setWin,
        // An empty viewport renders too: only count renders once the stack has an image.
        onRendered: () => {
          if (handleRef.current?.viewport.getCurrentImageId()) setRendered(true);
        },
        onLoadError: fail,
        onAnnotationsChanged: () => setMeasurements(readMeasurements(element)),
      });
      const handle = { element, viewport, renderingEngineId, viewportId };
      handleRef.current = handle;
      registerStackMetadata(stack);
      await viewport.setStack(
        stack.map((s) => s.imageId),
        0,
      );
      if (disposed) return;
      viewport.render();
      const voi = viewport.getProperties().voiRange;
      if (voi) setWin(windowOf(voi));
      setState('ready');
      onReadyRef.current?.(handle);
    })().catch(fail);

    return () => {
      disposed = true;
      // A playing cine would go on stepping a viewport that is gone.
      try {
        csTools.utilities.cine.stopClip(element);
      } catch {}
      stopListening();
      csTools.ToolGroupManager.destroyToolGroup(toolGroupId);
      engine?.destroy();
      handleRef.current = null;
    };
    // The stack identity is the viewer's input; a new stack builds a new viewport.
  }, [stack, uid, toolGroupId]);

  return {
    elementRef,
    handleRef,
    toolGroupId,
    state,
    error,
    index,
    win,
    setWin,
    measurements,
    rendered,
  };
}
