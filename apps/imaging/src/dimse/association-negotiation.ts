/**
 * Association negotiation (PS3.8 section 9.3.2-9.3.4): what an A-ASSOCIATE-RQ proposes, which
 * presentation contexts we accept, and the A-ASSOCIATE-AC / -RJ we answer with.
 */
import {
  IMPLEMENTATION_UID,
  IMPLEMENTATION_VERSION,
  SUPPORTED_TRANSFER_SYNTAXES,
} from '@huizhen/dicom';
import { aeField, item, items, pdu, PDU, uidText } from './pdu';
import { type QrService, servedAs } from './sop-classes';

const APP_CONTEXT = '1.2.840.10008.3.1.1.1';
export const IMPLICIT_LITTLE = '1.2.840.10008.1.2';
export const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';

/** The query/retrieve services this SCP answers; their contexts are refused until they are here. */
export const SERVED_QR: ReadonlySet<QrService> = new Set<QrService>(['find', 'get', 'move']);

/** Until the peer says otherwise (PS3.8 D.1: no maximum length sub-item). */
const DEFAULT_MAX_SEND_PDU = 16384;
/** A peer announcing 0 has no limit: we still cut at 1 MB. */
const UNLIMITED_MAX_SEND_PDU = 1 << 20;

const ITEM = {
  applicationContext: 0x10,
  presentationContextRq: 0x20,
  presentationContextAc: 0x21,
  abstractSyntax: 0x30,
  transferSyntax: 0x40,
  userInformation: 0x50,
  maxLength: 0x51,
  implementationClassUid: 0x52,
  roleSelection: 0x54,
  implementationVersion: 0x55,
} as const;

/** A presentation context's result in the A-ASSOCIATE-AC (PS3.8 9.3.3.2). */
export const CONTEXT_RESULT = {
  acceptance: 0,
  abstractSyntaxNotSupported: 3,
  transferSyntaxesNotSupported: 4,
} as const;

export interface PresentationContext {
  id: number;
  abstractSyntax: string;
  /** The transfer syntax we accepted, null when the context is refused. */
  transferSyntax: string | null;
  /** 0 accepted, 3 abstract syntax not supported, 4 none of the transfer syntaxes. */
  result: number;
}

export interface AssociateRequest {
  calledAe: string;
  callingAe: string;
  contexts: Map<number, PresentationContext>;
  /** The longest PDU the peer takes from us. */
  maxSendPdu: number;
  /**
   * Abstract syntaxes for which the peer proposed to be the SCP (SCP/SCU role selection, PS3.7
   * D.3.3.4): the storage classes a C-GET's sub-operations may send back on this association.
   */
  peerScpRoles: Set<string>;
}

/** Why an association is rejected: source 1 (service user), permanent. */
export const REJECT = { calledAeUnknown: 7, callingAeUnknown: 3 } as const;

export function calledAeOf(body: Buffer): string {
  return uidText(body.subarray(4, 20)).trim();
}

export function callingAeOf(body: Buffer): string {
  return uidText(body.subarray(20, 36)).trim();
}

/**
 * Verification and query/retrieve over an uncompressed little endian syntax (their command and
 * identifiers are ours to read and write); storage over any syntax we can read, the first the
 * peer proposes (compressed ones are kept as sent). Null for an abstract syntax we do not serve.
 */
export function acceptedTransferSyntax(abstractSyntax: string, proposed: string[]): string | null {
  const served = servedAs(abstractSyntax, SERVED_QR);
  if (served === null) return null;
  if (served !== 'storage') {
    return proposed.find((t) => t === IMPLICIT_LITTLE || t === EXPLICIT_LITTLE) ?? null;
  }
  return proposed.find((t) => SUPPORTED_TRANSFER_SYNTAXES.includes(t)) ?? null;
}

function presentationContext(data: Buffer): PresentationContext {
  const id = data[0];
  let abstractSyntax = '';
  const proposed: string[] = [];
  for (const sub of items(data, 4)) {
    const v = uidText(sub.data);
    if (sub.type === ITEM.abstractSyntax) abstractSyntax = v;
    if (sub.type === ITEM.transferSyntax) proposed.push(v);
  }
  if (servedAs(abstractSyntax, SERVED_QR) === null) {
    return {
      id,
      abstractSyntax,
      transferSyntax: null,
      result: CONTEXT_RESULT.abstractSyntaxNotSupported,
    };
  }
  const transferSyntax = acceptedTransferSyntax(abstractSyntax, proposed);
  return {
    id,
    abstractSyntax,
    transferSyntax,
    result: transferSyntax
      ? CONTEXT_RESULT.acceptance
      : CONTEXT_RESULT.transferSyntaxesNotSupported,
  };
}

/** The abstract syntaxes of role selection sub-items in which the peer asks to be the SCP. */
function peerScpRolesOf(userInformation: Buffer, into: Set<string>): void {
  for (const sub of items(userInformation)) {
    if (sub.type !== ITEM.roleSelection || sub.data.length < 4) continue;
    const len = sub.data.readUInt16BE(0);
    if (sub.data.length < 2 + len + 2) continue;
    const uid = uidText(sub.data.subarray(2, 2 + len));
    if (sub.data[2 + len + 1] === 1) into.add(uid);
  }
}

function maxLengthOf(userInformation: Buffer, current: number): number {
  let max = current;
  for (const sub of items(userInformation)) {
    if (sub.type === ITEM.maxLength && sub.data.length === 4) {
      max = sub.data.readUInt32BE(0) || UNLIMITED_MAX_SEND_PDU;
    }
  }
  return max;
}

/** An A-ASSOCIATE-RQ's body read: who calls whom, the contexts with our answer to each, the peer's maximum PDU. */
export function readAssociateRq(body: Buffer): AssociateRequest {
  const contexts = new Map<number, PresentationContext>();
  let maxSendPdu = DEFAULT_MAX_SEND_PDU;
  const peerScpRoles = new Set<string>();
  for (const { type, data } of items(body, 68)) {
    if (type === ITEM.presentationContextRq) {
      const pc = presentationContext(data);
      contexts.set(pc.id, pc);
    } else if (type === ITEM.userInformation) {
      maxSendPdu = maxLengthOf(data, maxSendPdu);
      peerScpRolesOf(data, peerScpRoles);
    }
  }
  return {
    calledAe: calledAeOf(body),
    callingAe: callingAeOf(body),
    contexts,
    maxSendPdu,
    peerScpRoles,
  };
}

/** The contexts refused because we do not serve their abstract syntax, as a log line names them. */
export function refusedAbstractSyntaxes(rq: AssociateRequest): string[] {
  return [...rq.contexts.values()]
    .filter((pc) => pc.result === CONTEXT_RESULT.abstractSyntaxNotSupported)
    .map((pc) => pc.abstractSyntax);
}

/** A role selection sub-item: for `uid`, the peer is not the SCU (0) and is the SCP (1). */
function roleSelectionItem(uid: string): Buffer {
  const u = Buffer.from(uid, 'latin1');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(u.length);
  return item(ITEM.roleSelection, Buffer.concat([len, u, Buffer.from([0, 1])]));
}

/**
 * A-ASSOCIATE-AC: every proposed context with its result (0 acceptance, 3 abstract syntax not
 * supported, 4 transfer syntaxes not supported), our maximum PDU and implementation, and the
 * SCP role the peer asked for on the storage classes of its accepted contexts (C-GET).
 */
export function associateAc(rq: AssociateRequest, maxPduBytes: number): Buffer {
  const answer: Buffer[] = [item(ITEM.applicationContext, Buffer.from(APP_CONTEXT, 'latin1'))];
  const roles = new Set<string>();
  for (const pc of rq.contexts.values()) {
    const result = pc.result;
    if (result === CONTEXT_RESULT.acceptance && rq.peerScpRoles.has(pc.abstractSyntax))
      roles.add(pc.abstractSyntax);
    const ts = Buffer.from(pc.transferSyntax ?? IMPLICIT_LITTLE, 'latin1');
    answer.push(
      item(
        ITEM.presentationContextAc,
        Buffer.concat([Buffer.from([pc.id, 0, result, 0]), item(ITEM.transferSyntax, ts)]),
      ),
    );
  }
  const maxLen = Buffer.alloc(4);
  maxLen.writeUInt32BE(maxPduBytes);
  answer.push(
    item(
      ITEM.userInformation,
      Buffer.concat([
        item(ITEM.maxLength, maxLen),
        item(ITEM.implementationClassUid, Buffer.from(IMPLEMENTATION_UID, 'latin1')),
        ...[...roles].map(roleSelectionItem),
        item(ITEM.implementationVersion, Buffer.from(IMPLEMENTATION_VERSION, 'latin1')),
      ]),
    ),
  );
  const head = Buffer.alloc(68);
  head.writeUInt16BE(1, 0);
  aeField(rq.calledAe).copy(head, 4);
  aeField(rq.callingAe).copy(head, 20);
  return pdu(PDU.associateAc, Buffer.concat([head, ...answer]));
}

/** A-ASSOCIATE-RJ, permanent, from the service user (source 1). */
export function associateRj(reason: number): Buffer {
  return pdu(PDU.associateRj, Buffer.from([0, 1, 1, reason]));
}

/** A context we propose when we call a peer (a C-MOVE destination): one abstract syntax, one transfer syntax. */
export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

/** A-ASSOCIATE-RQ from us (`callingAe`) to `calledAe`, proposing the contexts, with our maximum PDU. */
export function associateRqPdu(
  callingAe: string,
  calledAe: string,
  contexts: ProposedContext[],
  maxPduBytes: number,
): Buffer {
  const head = Buffer.alloc(68);
  head.writeUInt16BE(1, 0);
  aeField(calledAe).copy(head, 4);
  aeField(callingAe).copy(head, 20);
  const maxLen = Buffer.alloc(4);
  maxLen.writeUInt32BE(maxPduBytes);
  return pdu(
    PDU.associateRq,
    Buffer.concat([
      head,
      item(ITEM.applicationContext, Buffer.from(APP_CONTEXT, 'latin1')),
      ...contexts.map((c) =>
        item(
          ITEM.presentationContextRq,
          Buffer.concat([
            Buffer.from([c.id, 0, 0, 0]),
            item(ITEM.abstractSyntax, Buffer.from(c.abstractSyntax, 'latin1')),
            item(ITEM.transferSyntax, Buffer.from(c.transferSyntax, 'latin1')),
          ]),
        ),
      ),
      item(
        ITEM.userInformation,
        Buffer.concat([
          item(ITEM.maxLength, maxLen),
          item(ITEM.implementationClassUid, Buffer.from(IMPLEMENTATION_UID, 'latin1')),
          item(ITEM.implementationVersion, Buffer.from(IMPLEMENTATION_VERSION, 'latin1')),
        ]),
      ),
    ]),
  );
}

/** An A-ASSOCIATE-AC read: the contexts the peer accepted (id to transfer syntax) and its maximum PDU. */
export function readAssociateAc(body: Buffer): {
  accepted: Map<number, string>;
  maxSendPdu: number;
} {
  const accepted = new Map<number, string>();
  let maxSendPdu = DEFAULT_MAX_SEND_PDU;
  for (const { type, data } of items(body, 68)) {
    if (type === ITEM.presentationContextAc && data[2] === CONTEXT_RESULT.acceptance) {
      for (const sub of items(data, 4))
        if (sub.type === ITEM.transferSyntax) accepted.set(data[0], uidText(sub.data));
    } else if (type === ITEM.userInformation) {
      maxSendPdu = maxLengthOf(data, maxSendPdu);
    }
  }
  return { accepted, maxSendPdu };
}
