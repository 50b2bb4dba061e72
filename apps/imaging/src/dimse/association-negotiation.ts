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

const APP_CONTEXT = '1.2.840.10008.3.1.1.1';
export const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT_LITTLE = '1.2.840.10008.1.2';
const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';

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
  implementationVersion: 0x55,
} as const;

export interface PresentationContext {
  id: number;
  abstractSyntax: string;
  /** The transfer syntax we accepted, null when the context is refused. */
  transferSyntax: string | null;
}

export interface AssociateRequest {
  calledAe: string;
  callingAe: string;
  contexts: Map<number, PresentationContext>;
  /** The longest PDU the peer takes from us. */
  maxSendPdu: number;
}

/** Why an association is rejected: source 1 (service user), permanent. */
export const REJECT = { calledAeUnknown: 7, callingAeUnknown: 3 } as const;

export function calledAeOf(body: Buffer): string {
  return body.subarray(4, 20).toString('latin1').trim();
}

export function callingAeOf(body: Buffer): string {
  return body.subarray(20, 36).toString('latin1').trim();
}

/**
 * Verification over an uncompressed syntax; storage over any syntax we can read, the first the
 * peer proposes (compressed ones are kept as sent).
 */
export function acceptedTransferSyntax(abstractSyntax: string, proposed: string[]): string | null {
  if (abstractSyntax === VERIFICATION) {
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
  return { id, abstractSyntax, transferSyntax: acceptedTransferSyntax(abstractSyntax, proposed) };
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
  for (const { type, data } of items(body, 68)) {
    if (type === ITEM.presentationContextRq) {
      const pc = presentationContext(data);
      contexts.set(pc.id, pc);
    } else if (type === ITEM.userInformation) {
      maxSendPdu = maxLengthOf(data, maxSendPdu);
    }
  }
  return { calledAe: calledAeOf(body), callingAe: callingAeOf(body), contexts, maxSendPdu };
}

/** A-ASSOCIATE-AC: every proposed context with its result (0 acceptance, 4 transfer syntaxes not supported), our maximum PDU and implementation. */
export function associateAc(rq: AssociateRequest, maxPduBytes: number): Buffer {
  const answer: Buffer[] = [item(ITEM.applicationContext, Buffer.from(APP_CONTEXT, 'latin1'))];
  for (const pc of rq.contexts.values()) {
    const result = pc.transferSyntax ? 0 : 4;
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
