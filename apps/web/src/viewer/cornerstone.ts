/**
 * Cornerstone3D set up once per page: core, the DICOM image loader (ES-module decode workers,
 * Bearer token on every WADO-RS request) and the tools the viewer offers.
 */
import * as cs from '@cornerstonejs/core';
import * as csTools from '@cornerstonejs/tools';
import { init as dicomImageLoaderInit, wadors } from '@cornerstonejs/dicom-image-loader';
import type { StackImage } from '../api/dicomweb';

let tokenProvider: () => Promise<string | null> = async () => null;
let ready: Promise<void> | null = null;

/** Where the image loader gets its Bearer token (refreshed by the caller when close to expiry). */
export function setImageTokenProvider(provider: () => Promise<string | null>) {
  tokenProvider = provider;
}

export const TOOL_NAMES = {
  windowLevel: csTools.WindowLevelTool.toolName,
  pan: csTools.PanTool.toolName,
  zoom: csTools.ZoomTool.toolName,
  length: csTools.LengthTool.toolName,
  angle: csTools.AngleTool.toolName,
  stackScroll: csTools.StackScrollTool.toolName,
} as const;

export function initCornerstone(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      cs.init();
      dicomImageLoaderInit({
        maxWebWorkers: Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1)),
        beforeSend: async (): Promise<Record<string, string>> => {
          const token = await tokenProvider();
          return token ? { Authorization: `Bearer ${token}` } : {};
        },
      });
      csTools.init();
      for (const tool of [
        csTools.WindowLevelTool,
        csTools.PanTool,
        csTools.ZoomTool,
        csTools.LengthTool,
        csTools.AngleTool,
        csTools.StackScrollTool,
      ]) {
        csTools.addTool(tool);
      }
    })();
  }
  return ready;
}

/** Hands the series metadata to the wadors loader: it builds each image from it, not from the frame bytes. */
export function registerStackMetadata(stack: StackImage[]) {
  for (const { imageId, metadata } of stack) wadors.metaDataManager.add(imageId, metadata as never);
}

export { cs, csTools };
