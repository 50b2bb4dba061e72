/** The viewer's tools: which mouse button does what, and moving the left button between tools. */
import { csTools, TOOL_NAMES } from './cornerstone';

export type PrimaryTool = 'windowLevel' | 'pan' | 'zoom' | 'length' | 'angle';

/** The tools the left button can take, in the toolbar's order. */
export const PRIMARY_TOOLS = ['windowLevel', 'pan', 'zoom', 'length', 'angle'] as const;

/**
 * One viewport's tool group: left = window/level, middle = pan, right = zoom, wheel = next or
 * previous image; length and angle passive (their annotations stay shown and editable).
 */
export function createToolGroup(
  toolGroupId: string,
  viewportId: string,
  renderingEngineId: string,
) {
  const group = csTools.ToolGroupManager.createToolGroup(toolGroupId)!;
  for (const name of Object.values(TOOL_NAMES)) group.addTool(name);
  group.addViewport(viewportId, renderingEngineId);
  const { MouseBindings } = csTools.Enums;
  group.setToolActive(TOOL_NAMES.windowLevel, {
    bindings: [{ mouseButton: MouseBindings.Primary }],
  });
  group.setToolActive(TOOL_NAMES.pan, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  group.setToolActive(TOOL_NAMES.zoom, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
  group.setToolActive(TOOL_NAMES.stackScroll, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
  group.setToolPassive(TOOL_NAMES.length);
  group.setToolPassive(TOOL_NAMES.angle);
}

/** Gives the left button to `next`, taking it from `prev`; false when the tool group is gone. */
export function bindPrimaryTool(
  toolGroupId: string,
  prev: PrimaryTool,
  next: PrimaryTool,
): boolean {
  const group = csTools.ToolGroupManager.getToolGroup(toolGroupId);
  if (!group) return false;
  const { MouseBindings } = csTools.Enums;
  // The previous left-button tool keeps its other bindings (middle = pan, right = zoom).
  const fallback: Partial<Record<PrimaryTool, number>> = {
    pan: MouseBindings.Auxiliary,
    zoom: MouseBindings.Secondary,
  };
  // setToolActive adds to a tool's bindings: clear the previous tool's first.
  group.setToolPassive(TOOL_NAMES[prev], { removeAllBindings: true });
  if (fallback[prev]) {
    group.setToolActive(TOOL_NAMES[prev], { bindings: [{ mouseButton: fallback[prev]! }] });
  }
  const bindings = [{ mouseButton: MouseBindings.Primary }];
  if (fallback[next]) bindings.push({ mouseButton: fallback[next]! });
  group.setToolActive(TOOL_NAMES[next], { bindings });
  return true;
}
