import type { StagedFile } from '../storage/instance-store';
import type { InstanceDigest } from './instance-digest';

export type ReceivedVia = 'stow' | 'dimse' | 'upload';

/** A validated instance whose bytes are staged on disk, waiting for its index rows. */
export interface PendingInstance extends InstanceDigest {
  staged: StagedFile;
  organizationId: string;
  actor: { id: string; username: string; organizationId: string } | null;
  via: ReceivedVia;
}

export type CommitOutcome =
  | {
      ok: true;
      duplicate: boolean;
      /** Accepted with a warning: a different copy kept (see DuplicatePolicy). */
      warning?: { reason: number; message: string };
      /** The stored content this instance replaced (IMAGING_DUPLICATE_POLICY=replace). */
      replaced?: string;
    }
  | {
      ok: false;
      code: 'study_mismatch' | 'duplicate_conflict' | 'not_authorized';
      message: string;
      /** For a duplicate_conflict: the content hash stored under the SOP Instance UID. */
      storedSha?: string;
    };
