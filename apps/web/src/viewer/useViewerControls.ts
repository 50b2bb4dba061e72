/** What the toolbar drives: the left button's tool, the window preset, stack steps and cine. */
import { type RefObject, useState } from 'react';
import { csTools } from './cornerstone';
import { voiRangeOf, windowOf, WINDOW_PRESETS } from './presets';
import type { ViewerHandle, Window } from './useStackViewport';
import { bindPrimaryTool, type PrimaryTool } from './viewer-tools';

export function usePrimaryTool(toolGroupId: string) {
  const [tool, setTool] = useState<PrimaryTool>('windowLevel');
  const chooseTool = (next: PrimaryTool) => {
    if (bindPrimaryTool(toolGroupId, tool, next)) setTool(next);
  };
  return { tool, chooseTool };
}

/** A preset window (or the image's own, 'default'), and reset: camera and window as loaded. */
export function useWindowPreset(
  handleRef: RefObject<ViewerHandle | null>,
  setWin: (w: Window) => void,
) {
  const [preset, setPreset] = useState('default');
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
  const reset = () => {
    const viewport = handleRef.current?.viewport;
    if (!viewport) return;
    viewport.resetCamera();
    applyPreset('default');
  };
  return { preset, applyPreset, reset };
}

/** Moves `delta` images through the stack, staying within it. */
export function stepImage(handle: ViewerHandle | null, delta: number) {
  const viewport = handle?.viewport;
  if (!viewport) return;
  const n = viewport.getImageIds().length;
  const next = Math.min(n - 1, Math.max(0, viewport.getCurrentImageIdIndex() + delta));
  void viewport.setImageIdIndex(next);
}

/** Cine: the stack played in a loop at `fps` frames a second. */
export function useCine(elementRef: RefObject<HTMLDivElement | null>) {
  const [playing, setPlaying] = useState(false);
  const [fps, setFps] = useState(10);
  const togglePlay = () => {
    const element = elementRef.current;
    if (!element) return;
    if (playing) csTools.utilities.cine.stopClip(element);
    else csTools.utilities.cine.playClip(element, { framesPerSecond: fps, loop: true });
    setPlaying(!playing);
  };
  return { playing, fps, setFps, togglePlay };
}
