/**
 * The two DIMSE services we provide (PS3.7 section 9.1.1, 9.1.5): C-ECHO answered at once,
 * C-STORE's data set made a Part 10 file (our file meta, the sender's bytes untouched) and
 * handed to ingest, its outcome turned into a response status.
 */
import { part10Header } from '@huizhen/dicom';
import { VERIFICATION } from './sop-classes';
import { COMMAND, type Command, type CommandElement, encodeCommand, TAG } from './dimse-message';
import { uidText } from './pdu';

/** C-STORE status codes (PS3.4 B.2.3). */
const STATUS = {
  success: 0x0000,
  outOfResources: 0xa700,
  dataSetDoesNotMatchSopClass: 0xa900,
} as const;
/** Ingest's failure reason for an instance whose content does not match its SOP class. */
const DATA_SET_DOES_NOT_MATCH = 0x0111;

export interface DimseRequest {
  commandField: number | undefined;
  messageId: number;
  sopClass: string;
  sopInstance: string;
  /** C-MOVE's destination AE title ('' otherwise). */
  moveDestination: string;
}

export function readRequest(cmd: Command): DimseRequest {
  return {
    moveDestination: uidText(cmd.get(TAG.moveDestination) ?? Buffer.alloc(0)).trim(),
    commandField: cmd.get(TAG.commandField)?.readUInt16LE(0),
    messageId: cmd.get(TAG.messageId)?.readUInt16LE(0) ?? 0,
    sopClass: uidText(cmd.get(TAG.affectedSopClass) ?? Buffer.alloc(0)),
    sopInstance: uidText(cmd.get(TAG.affectedSopInstance) ?? Buffer.alloc(0)),
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

export function storeResponse(rq: DimseRequest, { status, comment }: StoreStatus): Buffer {
  const errorComment: CommandElement[] = comment
    ? [[TAG.errorComment, 'LO', comment.slice(0, 64)]]
    : [];
  return encodeCommand([
    [TAG.affectedSopClass, 'UI', rq.sopClass],
    [TAG.commandField, 'US', COMMAND.cStoreRsp],
    [TAG.messageIdBeingRespondedTo, 'US', rq.messageId],
    [TAG.dataSetType, 'US', COMMAND.noDataSet],
    [TAG.status, 'US', status],
    [TAG.affectedSopInstance, 'UI', rq.sopInstance],
    ...errorComment,
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
) => Promise<{ ok: true } | { ok: false; failureReason: number; message: string }>;

/** Stores one C-STORE's instance through ingest and says what to answer; `refused` is told why ingest refused it. */
export async function storeInstance(
  received: ReceivedInstance,
  limits: { maxInstanceBytes: number },
  ingest: IngestInstance,
  refused: (message: string) => void,
): Promise<StoreStatus> {
  const { request, data } = received;
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
  if (outcome.ok) return { status: STATUS.success };
  refused(outcome.message);
  const status =
    outcome.failureReason === DATA_SET_DOES_NOT_MATCH
      ? STATUS.dataSetDoesNotMatchSopClass
      : outcome.failureReason;
  return { status, comment: outcome.message };
}
