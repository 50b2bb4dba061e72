/** What a stack viewport tells the viewer: image changes, window changes, renders, load errors, annotations. */
import type { StackImage } from '../api/dicomweb';
import { cs } from './cornerstone';
import { ANNOTATION_EVENTS } from './measurements';
import { windowOf } from './presets';

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

export interface ViewportListeners {
  /** The stack moved to another image. */
  onImageIndex(index: number): void;
  onWindow(win: { center: number; width: number }): void;
  onRendered(): void;
  /** An image of this stack failed to load. */
  onLoadError(message: string): void;
  onAnnotationsChanged(): void;
}

/** Listens on the viewport's element and on Cornerstone's event target; returns what stops it. */
export function listenToViewport(
  element: HTMLDivElement,
  stack: StackImage[],
  listeners: ViewportListeners,
): () => void {
  const { Events } = cs.Enums;
  const onNewImage = (evt: Event) =>
    listeners.onImageIndex((evt as CustomEvent<{ imageIdIndex: number }>).detail.imageIdIndex);
  const onVoi = (evt: Event) => {
    const range = (evt as CustomEvent<{ range: { lower: number; upper: number } }>).detail.range;
    if (range) listeners.onWindow(windowOf(range));
  };
  const onRendered = () => listeners.onRendered();
  const onLoadError = (evt: Event) => {
    const detail = (evt as CustomEvent<{ error?: { message?: string }; imageId?: string }>).detail;
    if (!detail?.imageId || !stack.some((s) => s.imageId === detail.imageId)) return;
    listeners.onLoadError(detail.error?.message ?? String(detail.error ?? 'image load error'));
  };
  const onAnnotations = () => listeners.onAnnotationsChanged();
  const noMenu = (e: Event) => e.preventDefault();

  const bindings: [Target, string, (e: Event) => void][] = [
    [element, Events.STACK_NEW_IMAGE, onNewImage],
    [element, Events.VOI_MODIFIED, onVoi],
    [element, Events.IMAGE_RENDERED, onRendered],
    [element, 'contextmenu', noMenu],
    [cs.eventTarget, Events.IMAGE_LOAD_ERROR, onLoadError],
    ...ANNOTATION_EVENTS.map(
      (e) => [cs.eventTarget, e, onAnnotations] as [Target, string, () => void],
    ),
  ];
  for (const [target, type, listener] of bindings) target.addEventListener(type, listener);
  return () => {
    for (const [target, type, listener] of bindings) target.removeEventListener(type, listener);
  };
}
