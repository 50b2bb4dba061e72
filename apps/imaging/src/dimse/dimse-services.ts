/**
 * The two DIMSE services we provide (PS3.7 section 9.1.1, 9.1.5): C-ECHO answered at once,
 * C-STORE's data set made a Part 10 file (our file meta, the sender's bytes untouched) and
 * handed to ingest, its outcome turned into a response status.
 */
import { isValidUid, part10Header } from '@huizhen/dicom';
import { VERIFICATION } from './sop-classes';
import { COMMAND, type Command, type CommandElement, encodeCommand, TAG } from './dimse-message';
import { uidText } from './pdu';

/** C-STORE status codes (PS3.4 B.2.3) and the general ones (PS3.7 C) a C-STORE answers. */
const STATUS = {
  success: 0x0000,
  outOfResources: 0xa700,
  /** PS3.7 C.5.13: the SOP Instance UID violates the UID construction rules. */
  invalidSopInstance: 0x0117,
  /** PS3.7 C.5.17: the SOP Class is not one we store (or no SOP Class UID at all). */
  sopClassNotSupported: 0x0122,
} as const;

export interface DimseRequest {
  commandField: number | undefined;
  messageId: number;
  /** Affected SOP Class UID; '' when absent or not a valid UID (never echoed back then). */
  sopClass: string;
  /** Affected SOP Instance UID; '' when absent or not a valid UID. */
  sopInstance: string;
  /** C-MOVE's destination AE title ('' otherwise). */
  moveDestination: string;
  /** Why a UID of the command is refused (PS3.5 9.1: digits and dots, no leading zeros, at most 64), control bytes shown as \xNN. */
  invalid: { sopClass?: string; sopInstance?: string };
}

/** A command's UID element: its text when valid, or the reason it is not. */
function commandUid(cmd: Command, tag: number, name: string): { uid: string; invalid?: string } {
  const raw = cmd.get(tag);
  if (!raw) return { uid: '' };
  const text = uidText(raw);
  if (isValidUid(text)) return { uid: text };
  return {
    uid: '',
    invalid: `invalid ${name} "${text.slice(0, 80)}" (${raw.length} bytes): a UID is digits and dots, no leading zeros, at most 64`,
  };
}

export function readRequest(cmd: Command): DimseRequest {
  const sopClass = commandUid(cmd, TAG.affectedSopClass, 'Affected SOP Class UID');
  const sopInstance = commandUid(cmd, TAG.affectedSopInstance, 'Affected SOP Instance UID');
  return {
    moveDestination: uidText(cmd.get(TAG.moveDestination) ?? Buffer.alloc(0)).trim(),
    commandField: cmd.get(TAG.commandField)?.readUInt16LE(0),
    messageId: cmd.get(TAG.messageId)?.readUInt16LE(0) ?? 0,
    sopClass: sopClass.uid,
    sopInstance: sopInstance.uid,
    invalid: { sopClass: sopClass.invalid, sopInstance: sopInstance.invalid },
  };
}

export function echoResponse(rq: DimseRequest): Buffer {
  return encodeCommand([
    [TAG.affectedSopClass, 'UI', VERIFICATION],
    [TAG.commandField, 'US', COMMAND.cEchoRsp],
    [TAG.messageIdBeingRespondedTo, 'US', rq.messageId],
    [TAG.dataSetType, 'US', COMMAND.noDataSet],
    [TAG.status, 'US', STATUS.success],
  ]);
}

/** A C-FIND-RSP: pending (an identifier follows) or final, with an error comment on a refusal. */
export function findResponse(
  rq: DimseRequest,
  sopClass: string,
  status: number,
  identifierFollows: boolean,
  comment?: string,
): Buffer {
  return encodeCommand([
    [TAG.affectedSopClass, 'UI', rq.sopClass || sopClass],
    [TAG.commandField, 'US', COMMAND.cFindRsp],
    [TAG.messageIdBeingRespondedTo, 'US', rq.messageId],
    [TAG.dataSetType, 'US', identifierFollows ? COMMAND.dataSet : COMMAND.noDataSet],
    [TAG.status, 'US', status],
    ...(comment ? ([[TAG.errorComment, 'LO', printable(comment)]] as CommandElement[]) : []),
  ]);
}

/** A C-STORE-RQ of a retrieve's sub-operation, naming the C-MOVE's (or C-GET's) originator. */
export function storeRequest(
  messageId: number,
  sopClass: string,
  sopInstance: string,
  originator?: { aeTitle: string; messageId: number },
): Buffer {
  return encodeCommand([
    [TAG.affectedSopClass, 'UI', sopClass],
    [TAG.commandField, 'US', COMMAND.cStoreRq],
    [TAG.messageId, 'US', messageId],
    [TAG.priority, 'US', 0],
    [TAG.dataSetType, 'US', COMMAND.dataSet],
    [TAG.affectedSopInstance, 'UI', sopInstance],
    ...(originator
      ? ([
          [TAG.moveOriginatorAe, 'AE', originator.aeTitle],
          [TAG.moveOriginatorMessageId, 'US', originator.messageId],
        ] as CommandElement[])
      : []),
  ]);
}

/** Sub-operation counts of a C-GET or C-MOVE (remaining only in pending responses). */
export interface SubOperations {
  remaining?: number;
  completed: number;
  failed: number;
  warning: number;
}

/** A C-GET-RSP or C-MOVE-RSP with its sub-operation counts. */
export function retrieveResponse(
  rq: DimseRequest,
  field: number,
  status: number,
  counts: SubOperations,
  comment?: string,
): Buffer {
  return encodeCommand([
    [TAG.affectedSopClass, 'UI', rq.sopClass],
    [TAG.commandField, 'US', field],
    [TAG.messageIdBeingRespondedTo, 'US', rq.messageId],
    [TAG.dataSetType, 'US', COMMAND.noDataSet],
    [TAG.status, 'US', status],
    ...(counts.remaining !== undefined
      ? ([[TAG.remainingSubOperations, 'US', counts.remaining]] as CommandElement[])
      : []),
    [TAG.completedSubOperations, 'US', counts.completed],
    [TAG.failedSubOperations, 'US', counts.failed],
    [TAG.warningSubOperations, 'US', counts.warning],
    ...(comment ? ([[TAG.errorComment, 'LO', printable(comment)]] as CommandElement[]) : []),
  ]);
}

/** An error comment (LO, 64 characters) without control bytes or non-ASCII. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

export interface StoreStatus {
  status: number;
  comment?: string;
}

/** A C-STORE-RSP; the request's UIDs are echoed only when they were valid. */
export function storeResponse(rq: DimseRequest, { status, comment }: StoreStatus): Buffer {
  const optional: CommandElement[] = [
    ...(rq.sopClass ? ([[TAG.affectedSopClass, 'UI', rq.sopClass]] as CommandElement[]) : []),
    ...(rq.sopInstance
      ? ([[TAG.affectedSopInstance, 'UI', rq.sopInstance]] as CommandElement[])
      : []),
    ...(comment ? ([[TAG.errorComment, 'LO', printable(comment)]] as CommandElement[]) : []),
  ];
  return encodeCommand([
    [TAG.commandField, 'US', COMMAND.cStoreRsp],
    [TAG.messageIdBeingRespondedTo, 'US', rq.messageId],
    [TAG.dataSetType, 'US', COMMAND.noDataSet],
    [TAG.status, 'US', status],
    ...optional,
  ]);
}

export interface ReceivedInstance {
  request: DimseRequest;
  /** The data set as sent, null when it was larger than allowed. */
  data: Buffer | null;
  transferSyntax: string;
  callingAe: string;
}

export type IngestInstance = (
  part10: Buffer,
) => Promise<
  | { ok: true; warning?: { reason: number; message: string } }
  | { ok: false; failureReason: number; message: string }
>;

/** Stores one C-STORE's instance through ingest and says what to answer; `refused` is told why ingest refused it. */
export async function storeInstance(
  received: ReceivedInstance,
  limits: { maxInstanceBytes: number },
  ingest: IngestInstance,
  refused: (message: string) => void,
): Promise<StoreStatus> {
  const { request, data } = received;
  // A command whose UIDs break the rules is refused before anything is read into the archive.
  if (request.invalid.sopClass || !request.sopClass) {
    const comment = request.invalid.sopClass ?? 'no Affected SOP Class UID';
    refused(comment);
    return { status: STATUS.sopClassNotSupported, comment };
  }
  if (request.invalid.sopInstance || !request.sopInstance) {
    const comment = request.invalid.sopInstance ?? 'no Affected SOP Instance UID';
    refused(comment);
    return { status: STATUS.invalidSopInstance, comment };
  }
  if (!data) {
    return {
      status: STATUS.outOfResources,
      comment: `instance larger than ${limits.maxInstanceBytes} bytes`,
    };
  }
  const header = part10Header(
    request.sopClass,
    request.sopInstance,
    received.transferSyntax,
    received.callingAe,
  );
  const outcome = await ingest(Buffer.concat([header, data]));
  // A warning (a different copy kept or replaced) is the C-STORE warning status with its reason.
  if (outcome.ok)
    return outcome.warning
      ? { status: outcome.warning.reason, comment: outcome.warning.message }
      : { status: STATUS.success };
  refused(outcome.message);
  return { status: outcome.failureReason, comment: outcome.message };
}
