/**
 * Which abstract syntaxes the SCP serves (PS3.4 annexes A, B, C), so a presentation context for
 * anything else is refused in the A-ASSOCIATE-AC (result 3) instead of accepted and then aborted.
 */

export const VERIFICATION = '1.2.840.10008.1.1';

/** Query/Retrieve information models (PS3.4 C.6): FIND, MOVE and GET of Patient Root and Study Root. */
export const QR = {
  patientRootFind: '1.2.840.10008.5.1.4.1.2.1.1',
  patientRootMove: '1.2.840.10008.5.1.4.1.2.1.2',
  patientRootGet: '1.2.840.10008.5.1.4.1.2.1.3',
  studyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  studyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
  studyRootGet: '1.2.840.10008.5.1.4.1.2.2.3',
} as const;

/** Modality Worklist Information Model - FIND (PS3.4 K.6.1.2). */
export const MODALITY_WORKLIST_FIND = '1.2.840.10008.5.1.4.31';

export type QrModel = 'patient' | 'study';
export type QrService = 'find' | 'move' | 'get';

const QR_SYNTAXES = new Map<string, { model: QrModel; service: QrService }>([
  [QR.patientRootFind, { model: 'patient', service: 'find' }],
  [QR.patientRootMove, { model: 'patient', service: 'move' }],
  [QR.patientRootGet, { model: 'patient', service: 'get' }],
  [QR.studyRootFind, { model: 'study', service: 'find' }],
  [QR.studyRootMove, { model: 'study', service: 'move' }],
  [QR.studyRootGet, { model: 'study', service: 'get' }],
]);

/** Standard storage SOP classes outside the 1.2.840.10008.5.1.4.1.1 arc (PS3.4 B.5). */
const OTHER_STANDARD_STORAGE = new Set([
  '1.2.840.10008.5.1.4.38.1', // Hanging Protocol
  '1.2.840.10008.5.1.4.39.1', // Color Palette
  '1.2.840.10008.5.1.4.43.1', // Generic Implant Template
  '1.2.840.10008.5.1.4.44.1', // Implant Assembly Template
  '1.2.840.10008.5.1.4.45.1', // Implant Template Group
  '1.2.840.10008.5.1.4.34.7', // RT Beams Delivery Instruction
  '1.2.840.10008.5.1.4.34.10', // RT Brachy Application Setup Delivery Instruction
]);

const STANDARD_ROOT = '1.2.840.10008.';
const STORAGE_ARC = '1.2.840.10008.5.1.4.1.1.';

/**
 * A storage SOP class: the standard storage arc and the few standard storage classes outside
 * it, and any private (non-standard root) UID, since vendors send their own storage classes
 * (e.g. raw data); every other standard service (worklist, print, commitment...) is not storage.
 */
export function isStorage(abstractSyntax: string): boolean {
  if (abstractSyntax.startsWith(STORAGE_ARC)) return true;
  if (OTHER_STANDARD_STORAGE.has(abstractSyntax)) return true;
  return !abstractSyntax.startsWith(STANDARD_ROOT) && /^[0-9.]{1,64}$/.test(abstractSyntax);
}

/** The Query/Retrieve model and service of an abstract syntax, or undefined. */
export function qrSyntax(
  abstractSyntax: string,
): { model: QrModel; service: QrService } | undefined {
  return QR_SYNTAXES.get(abstractSyntax);
}

/** What we do with an abstract syntax: verification, storage, a query/retrieve service, the worklist, or nothing. */
export function servedAs(
  abstractSyntax: string,
  served: ReadonlySet<QrService>,
): 'verification' | 'storage' | 'worklist' | QrService | null {
  if (abstractSyntax === VERIFICATION) return 'verification';
  if (abstractSyntax === MODALITY_WORKLIST_FIND) return 'worklist';
  const qr = qrSyntax(abstractSyntax);
  if (qr) return served.has(qr.service) ? qr.service : null;
  return isStorage(abstractSyntax) ? 'storage' : null;
}
