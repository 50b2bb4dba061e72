/**
 * Why an instance was refused, with the DICOM failure reason a STOW-RS or C-STORE answer carries
 * (PS3.18 Table 10.5.3-1 / PS3.4 C-STORE statuses). dicom-parser throws strings and plain
 * objects: every path that calls it converts whatever it threw into one of these.
 */
export type DicomRejectionCode =
  | 'not_part10'
  | 'too_large'
  | 'unparseable'
  | 'truncated'
  | 'sequence_too_deep'
  | 'unclosed_sequence'
  | 'missing_uid'
  | 'invalid_uid'
  | 'pixel_data_inconsistent'
  | 'fragments_incomplete'
  | 'unsupported_transfer_syntax'
  | 'study_mismatch'
  | 'duplicate_conflict'
  | 'not_authorized';

/**
 * 0xA700 out of resources, 0xA900 dataset does not match SOP class, 0xC000 cannot understand,
 * 0x0124 not authorized; 0xA711 is ours, in the Refused class (as dcm4chee's policy refusals
 * are): different content under a stored SOP Instance UID, refused by IMAGING_DUPLICATE_POLICY.
 * (0x0111 Duplicate SOP Instance is N-CREATE's, not a C-STORE or STOW-RS status.)
 */
const FAILURE_REASON: Record<DicomRejectionCode, number> = {
  not_part10: 0xc000,
  too_large: 0xa700,
  unparseable: 0xc000,
  truncated: 0xc000,
  sequence_too_deep: 0xc000,
  unclosed_sequence: 0xc000,
  missing_uid: 0xa900,
  invalid_uid: 0xa900,
  pixel_data_inconsistent: 0xa900,
  fragments_incomplete: 0xa900,
  unsupported_transfer_syntax: 0xc122,
  study_mismatch: 0xc000,
  duplicate_conflict: 0xa711,
  not_authorized: 0x0124,
};

/** The failure reason a STOW-RS or C-STORE answer carries for a refusal. */
export function failureReasonOf(code: DicomRejectionCode): number {
  return FAILURE_REASON[code];
}

/**
 * Text that came from a peer or a file made safe to repeat in a message, a log line or an error
 * comment: control characters (C0, DEL, C1) are written as \xNN, so a crafted UID cannot
 * inject line breaks, escape sequences or NULs into what people and tools read.
 */
export function visibleText(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export class DicomRejection extends Error {
  readonly failureReason: number;
  /** The instance's SOP Class / Instance UIDs when they could be read (for FailedSOPSequence). */
  sop?: { classUid?: string; instanceUid?: string };
  readonly code: DicomRejectionCode;
  // Plain fields, no parameter properties: ingest's parse threads load this file with Node's type stripping.
  constructor(code: DicomRejectionCode, message: string) {
    super(visibleText(message));
    this.code = code;
    this.name = 'DicomRejection';
    this.failureReason = failureReasonOf(code);
  }
}

/** Turns whatever a parser threw (string, plain object, RangeError) into a DicomRejection. */
export function asRejection(
  thrown: unknown,
  fallback: DicomRejectionCode = 'unparseable',
): DicomRejection {
  if (thrown instanceof DicomRejection) return thrown;
  // dicom-parser wraps what it hit as {exception, dataSet}: judge the inner error.
  if (
    thrown &&
    typeof thrown === 'object' &&
    !(thrown instanceof Error) &&
    'exception' in thrown &&
    (thrown as { exception: unknown }).exception !== undefined
  ) {
    return asRejection((thrown as { exception: unknown }).exception, fallback);
  }
  if (thrown instanceof RangeError && /call stack/i.test(thrown.message)) {
    return new DicomRejection('sequence_too_deep', 'nested sequences are too deep to parse');
  }
  let text: string;
  if (typeof thrown === 'string') text = thrown;
  else if (thrown instanceof Error) text = thrown.message;
  else if (thrown && typeof thrown === 'object') {
    const o = thrown as { exception?: unknown; message?: unknown };
    text =
      typeof o.exception === 'string'
        ? o.exception
        : typeof o.message === 'string'
          ? o.message
          : Object.keys(thrown).join(', ');
  } else text = String(thrown);
  text = text.replace(/^dicomParser\.\w+:\s*/, '');
  if (
    /buffer overr(ead|un)|attempt to read past end|eof|maxPosition|cannot be greater than or equal/i.test(
      text,
    )
  )
    return new DicomRejection('truncated', `file is truncated: ${text}`);
  if (/DICM prefix|not a valid DICOM P10|missing DICM/i.test(text))
    return new DicomRejection(
      'not_part10',
      'not a DICOM Part 10 file (no "DICM" after the 128-byte preamble)',
    );
  return new DicomRejection(fallback, `cannot parse DICOM: ${text}`);
}
