/**
 * One Cornerstone3D STACK viewport over a series' frames, for as long as the component shows
 * that stack (stack-viewport.ts sets it up and takes it down), and what it shows as state.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { StackImage } from '../api/dicomweb';
import { type Measurement, readMeasurements } from './measurements';
import { mountStackViewport, type ViewerHandle, viewerIds, type Window } from './stack-viewport';

export type { ViewerHandle, Window } from './stack-viewport';
export type ViewerState = 'loading' | 'ready' | 'error';

export function useStackViewport(stack: StackImage[], onReady?: (handle: ViewerHandle) => void) {
  const uid = useId().replace(/[^a-zA-Z0-9]/g, '');
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
    const unmount = mountStackViewport(element, stack, viewerIds(uid), {
      onViewport: (handle) => {
        handleRef.current = handle;
      },
      onImageIndex: setIndex,
      onWindow: setWin,
      // An empty viewport renders too: only count renders once the stack has an image.
      onRendered: () => {
        if (handleRef.current?.viewport.getCurrentImageId()) setRendered(true);
      },
      onAnnotationsChanged: () => setMeasurements(readMeasurements(element)),
      onShown: (handle, shownWindow) => {
        if (shownWindow) setWin(shownWindow);
        setState('ready');
        onReadyRef.current?.(handle);
      },
      onFailed: (message) => {
        setError(message);
        setState('error');
      },
    });
    return () => {
      unmount();
      handleRef.current = null;
    };
    // The stack identity is the viewer's input; a new stack builds a new viewport.
  }, [stack, uid]);

  return {
    elementRef,
    handleRef,
    toolGroupId: viewerIds(uid).toolGroupId,
    state,
    error,
    index,
    win,
    setWin,
    measurements,
    rendered,
  };
}
