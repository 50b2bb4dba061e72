import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@huizhen/audit';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { ImagingStore } from '../imaging-store';
import { InstanceStore } from '../storage/instance-store';
import type { CommitOutcome, PendingInstance } from './pending-instance';

/**
 * PS3.4 B.2.3 Warning "Coercion of Data Elements" (STOW-RS Warning Reason B000): the instance
 * the archive holds under this SOP Instance UID is not what was sent, so a retrieve gives other
 * values than the sender's. It is the answer to a different copy kept out (keep-old).
 */
export const KEPT_STORED_COPY = 0xb000;

/**
 * The data set of a Part 10 file (after the preamble, "DICM" and the file meta group, whose
 * length its first element gives), or the whole file when it does not say. Two copies of an
 * instance received through different doors differ in their file meta (a DIMSE copy names the
 * sending AE, a STOW-RS copy keeps the sender's meta) and are still the same instance.
 */
export function dataSetOf(part10: Buffer): Buffer {
  const groupLength =
    part10.length >= 144 &&
    part10.toString('latin1', 128, 132) === 'DICM' &&
    part10.readUInt16LE(132) === 0x0002 &&
    part10.readUInt16LE(134) === 0x0000
      ? part10.readUInt32LE(140)
      : null;
  return groupLength === null ? part10 : part10.subarray(144 + groupLength);
}

/** A transfer syntax UID in a Part 10 file's meta, as text ('' when not found). */
function transferSyntaxOf(part10: Buffer): string {
  const meta = part10.subarray(0, part10.length - dataSetOf(part10).length);
  const at = meta.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00]));
  if (at < 0) return '';
  const len = meta.readUInt16LE(at + 6);
  return meta.toString('latin1', at + 8, at + 8 + len).replace(/[\0 ]+$/, '');
}

/**
 * What happens to an instance whose SOP Instance UID is stored with other bytes, as dcm4chee's
 * overwrite policy does (IMAGING_DUPLICATE_POLICY): the same data set in another file meta is an
 * identical repeat (accepted silently); otherwise keep-old accepts it with a warning and keeps
 * the stored copy, reject refuses it (0xA711), replace stores it in place of the stored copy.
 * Every kept-out or replaced copy is logged and audited.
 */
@Injectable()
export class DuplicatePolicy {
  private readonly logger = new Logger('ImagingDuplicates');

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly files: InstanceStore,
    private readonly index: ImagingStore,
    private readonly audit: AuditService,
  ) {}

  get policy(): HuizhenConfig['imaging']['duplicatePolicy'] {
    return this.config.imaging.duplicatePolicy;
  }

  /**
   * The batch's outcomes with every different-content duplicate decided. The new bytes are
   * already at their content address (the batch published them), so both copies are read from
   * the store. `replaced` in an outcome names the content it took the place of.
   */
  async decide(batch: PendingInstance[], outcomes: CommitOutcome[]): Promise<CommitOutcome[]> {
    const decided: CommitOutcome[] = [];
    for (const [i, o] of outcomes.entries()) {
      decided.push(
        !o.ok && o.code === 'duplicate_conflict' && o.storedSha
          ? await this.one(batch[i], o, o.storedSha)
          : o,
      );
    }
    return decided;
  }

  private async one(
    p: PendingInstance,
    conflict: CommitOutcome,
    storedSha: string,
  ): Promise<CommitOutcome> {
    const [stored, received] = await Promise.all([
      this.files.read(storedSha),
      this.files.read(p.staged.sha256),
    ]);
    if (
      transferSyntaxOf(stored) === transferSyntaxOf(received) &&
      dataSetOf(stored).equals(dataSetOf(received))
    )
      return { ok: true, duplicate: true };
    const who = `${p.via}${p.actor ? ` from ${p.actor.username}` : ''}`;
    if (this.policy === 'reject') {
      this.logger.warn(`refused a different copy of ${p.sopUid} (${who}): policy reject`);
      return conflict;
    }
    if (this.policy === 'replace') {
      if (!(await this.index.replaceInstance(p, storedSha)))
        return {
          ok: false,
          code: 'duplicate_conflict',
          message: `not replaced: stored in another series, or changed meanwhile: SOP Instance ${p.sopUid}`,
        };
      this.logger.warn(`replaced the stored copy of ${p.sopUid} by the one received (${who})`);
      await this.record('imaging_instance.replace', p, storedSha);
      return { ok: true, duplicate: false, replaced: storedSha };
    }
    this.logger.warn(`kept the stored copy of ${p.sopUid}; a different one came (${who})`);
    await this.record('imaging_instance.duplicate_kept', p, storedSha);
    return {
      ok: true,
      duplicate: true,
      warning: {
        reason: KEPT_STORED_COPY,
        message: `already stored with different content, the stored copy was kept: SOP Instance ${p.sopUid}`,
      },
    };
  }

  private record(action: string, p: PendingInstance, storedSha: string): Promise<void> {
    return this.audit.record({
      action,
      actor: p.actor,
      resourceType: 'imaging_study',
      resourceId: p.studyUid,
      details: {
        sopInstanceUid: p.sopUid,
        via: p.via,
        organizationId: p.organizationId,
        storedSha256: storedSha,
        receivedSha256: p.staged.sha256,
        policy: this.policy,
      },
    });
  }
}
