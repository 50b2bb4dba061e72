/**
 * The C-STORE sub-operations of a C-GET or C-MOVE (PS3.4 C.4.2.3, C.4.3.3): each instance sent
 * in turn, counted completed, warning or failed by its C-STORE status, a pending response after
 * each, a C-CANCEL honoured between them, and the final status the counts call for.
 */
import { RETRIEVE_STATUS, type RetrieveItem } from './dimse-retrieve';
import type { SubOperations } from './dimse-services';

export interface SubOperationTarget {
  /** Sends one instance: its C-STORE status, or null when it cannot go (no context takes it). */
  store(item: RetrieveItem, dataSet: Buffer): Promise<number | null>;
}

export interface SubOperationsOutcome {
  status: number;
  counts: SubOperations;
  /** SOP Instance UIDs that failed, and why the first failed. */
  failedUids: string[];
  firstFailure?: string;
}

/** Final status by the counts: all sent, some failed (warning B000), or none could be (A702). */
export function finalStatus(counts: SubOperations): number {
  if (counts.failed === 0 && counts.warning === 0) return RETRIEVE_STATUS.success;
  if (counts.completed === 0 && counts.warning === 0)
    return RETRIEVE_STATUS.unableToPerformSubOperations;
  return RETRIEVE_STATUS.subOperationsFailed;
}

export async function runSubOperations(
  items: RetrieveItem[],
  target: SubOperationTarget,
  run: { cancelled: boolean },
  pending: (counts: SubOperations) => void,
): Promise<SubOperationsOutcome> {
  const counts = { remaining: items.length, completed: 0, failed: 0, warning: 0 };
  const failedUids: string[] = [];
  let firstFailure: string | undefined;
  for (const item of items) {
    if (run.cancelled) return { status: RETRIEVE_STATUS.cancel, counts, failedUids, firstFailure };
    let status: number | null;
    try {
      status = await target.store(item, await item.dataSet());
    } catch (e) {
      status = null;
      firstFailure ??= e instanceof Error ? e.message : String(e);
    }
    counts.remaining--;
    if (status === 0x0000) counts.completed++;
    else if (status !== null && (status & 0xf000) === 0xb000) counts.warning++;
    else {
      counts.failed++;
      failedUids.push(item.sopInstance);
      firstFailure ??=
        status === null
          ? `no accepted context for ${item.sopClass} in ${item.transferSyntax}`
          : `C-STORE status 0x${status.toString(16)}`;
    }
    if (counts.remaining > 0) pending({ ...counts });
  }
  const { completed, failed, warning } = counts;
  return {
    status: finalStatus(counts),
    counts: { completed, failed, warning },
    failedUids,
    firstFailure,
  };
}
