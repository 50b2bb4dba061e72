/**
 * A Cornerstone3D STACK viewport on an element: the rendering engine, the viewport, its tool
 * group and listeners, then the stack loaded and its first image shown; and the teardown.
 */
import type { Types } from '@cornerstonejs/core';
import type { StackImage } from '../api/dicomweb';
import { cs, csTools, initCornerstone, registerStackMetadata } from './cornerstone';
import { windowOf } from './presets';
import { listenToViewport, type ViewportListeners } from './viewport-events';
import { createToolGroup } from './viewer-tools';

export interface ViewerHandle {
  element: HTMLDivElement;
  viewport: Types.IStackViewport;
  renderingEngineId: string;
  viewportId: string;
}

export type Window = { center: number; width: number };

/** The names one viewer's engine, viewport and tool group are registered under. */
export function viewerIds(uid: string) {
  return {
    renderingEngineId: `huizhen-engine-${uid}`,
    viewportId: `huizhen-stack-${uid}`,
    toolGroupId: `huizhen-tools-${uid}`,
  };
}

export interface MountCallbacks extends Omit<ViewportListeners, 'onLoadError'> {
  /** The viewport exists; its stack is still to load. */
  onViewport(handle: ViewerHandle): void;
  /** The first image is shown, in the window the image asks for (if any). */
  onShown(handle: ViewerHandle, win: Window | null): void;
  /** Setting up or loading failed (not called once torn down). */
  onFailed(message: string): void;
}

const messageOf = (e: unknown) => (e as Error)?.message ?? String(e);

/** Sets the viewport up on `element` and loads `stack`; returns what takes it all down again. */
export function mountStackViewport(
  element: HTMLDivElement,
  stack: StackImage[],
  ids: ReturnType<typeof viewerIds>,
  callbacks: MountCallbacks,
): () => void {
  const { renderingEngineId, viewportId, toolGroupId } = ids;
  let disposed = false;
  let engine: InstanceType<typeof cs.RenderingEngine> | null = null;
  let stopListening = () => {};
  const fail = (e: unknown) => {
    if (!disposed) callbacks.onFailed(messageOf(e));
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
    stopListening = listenToViewport(element, stack, { ...callbacks, onLoadError: fail });
    const handle = { element, viewport, renderingEngineId, viewportId };
    callbacks.onViewport(handle);
    registerStackMetadata(stack);
    await viewport.setStack(
      stack.map((s) => s.imageId),
      0,
    );
    if (disposed) return;
    viewport.render();
    const voi = viewport.getProperties().voiRange;
    callbacks.onShown(handle, voi ? windowOf(voi) : null);
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
  };
}
