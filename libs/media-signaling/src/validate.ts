import type {
  MediaRequestName,
  MediaRequests,
  SignalingErrorBody,
  SignalingErrorCode,
} from './messages';

/** Limits every incoming message is held to (besides socket.io's maxHttpBufferSize on the whole packet). */
export const SIGNALING_LIMITS = {
  /** Whole socket.io packet; above it the server drops the connection (the client reconnects and resumes). */
  maxHttpBufferSize: 1_000_000,
  /** One request's JSON payload; above it the request gets `payload_too_large`. */
  maxPayloadBytes: 64 * 1024,
  maxIdLength: 64,
  maxResumeKeyLength: 128,
  maxRoomLength: 128,
  /** Nested RTP/DTLS structures. */
  maxDepth: 8,
  maxArrayLength: 64,
  maxObjectKeys: 64,
  maxStringLength: 512,
  maxLayer: 9,
} as const;

export class SignalingError extends Error {
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'SignalingError';
  }

  toBody(): SignalingErrorBody {
    return this.field
      ? { code: this.code, message: this.message, field: this.field }
      : { code: this.code, message: this.message };
  }
}

function invalid(field: string, message: string): never {
  throw new SignalingError('invalid_message', `${field} ${message}`, field);
}

type Obj = Record<string, unknown>;

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The payload must be an object with only the named fields. */
function fields(payload: unknown, allowed: readonly string[]): Obj {
  if (payload === undefined || payload === null) payload = {};
  if (!isPlainObject(payload)) invalid('payload', 'should be an object');
  for (const k of Object.keys(payload))
    if (!allowed.includes(k)) invalid(k, 'is not a known field');
  return payload;
}

function id(o: Obj, field: string): string;
function id(o: Obj, field: string, optional: true): string | undefined;
function id(o: Obj, field: string, optional = false): string | undefined {
  const v = o[field];
  if (v === undefined && optional) return undefined;
  if (
    typeof v !== 'string' ||
    v.length < 1 ||
    v.length > SIGNALING_LIMITS.maxIdLength ||
    !/^[A-Za-z0-9_.:-]+$/.test(v)
  ) {
    invalid(field, `should be an id (1-${SIGNALING_LIMITS.maxIdLength} of A-Z a-z 0-9 _ . : -)`);
  }
  return v;
}

function oneOf<T extends string>(
  o: Obj,
  field: string,
  values: readonly T[],
  optional = false,
): T | undefined {
  const v = o[field];
  if (v === undefined && optional) return undefined;
  if (!values.includes(v as T)) invalid(field, `should be one of ${values.join(', ')}`);
  return v as T;
}

function bool(o: Obj, field: string, optional = false): boolean | undefined {
  const v = o[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'boolean') invalid(field, 'should be true or false');
  return v;
}

function layer(o: Obj, field: string, optional = false): number | undefined {
  const v = o[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > SIGNALING_LIMITS.maxLayer) {
    invalid(field, `should be a whole number from 0 to ${SIGNALING_LIMITS.maxLayer}`);
  }
  return v;
}

/** JSON-like data within depth, size and string limits (mediasoup checks the semantics). */
function boundedJson(v: unknown, field: string, depth = 0): void {
  if (depth > SIGNALING_LIMITS.maxDepth)
    invalid(field, `nests deeper than ${SIGNALING_LIMITS.maxDepth}`);
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) invalid(field, 'should be a finite number');
    return;
  }
  if (typeof v === 'string') {
    if (v.length > SIGNALING_LIMITS.maxStringLength)
      invalid(field, `is longer than ${SIGNALING_LIMITS.maxStringLength} characters`);
    return;
  }
  if (Array.isArray(v)) {
    if (v.length > SIGNALING_LIMITS.maxArrayLength)
      invalid(field, `has more than ${SIGNALING_LIMITS.maxArrayLength} items`);
    v.forEach((x, i) => boundedJson(x, `${field}[${i}]`, depth + 1));
    return;
  }
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length > SIGNALING_LIMITS.maxObjectKeys)
      invalid(field, `has more than ${SIGNALING_LIMITS.maxObjectKeys} keys`);
    for (const k of keys) {
      if (k.length > 64 || k === '__proto__' || k === 'constructor' || k === 'prototype')
        invalid(field, `has a forbidden key ${JSON.stringify(k.slice(0, 64))}`);
      boundedJson(v[k], `${field}.${k}`, depth + 1);
    }
    return;
  }
  invalid(field, 'should be JSON data');
}

function structure(o: Obj, field: string, arrays: string[], optional = false): Obj | undefined {
  const v = o[field];
  if (v === undefined && optional) return undefined;
  if (!isPlainObject(v)) invalid(field, 'should be an object');
  boundedJson(v, field);
  for (const a of arrays)
    if (v[a] !== undefined && !Array.isArray(v[a])) invalid(`${field}.${a}`, 'should be an array');
  return v;
}

function rtpCapabilities(o: Obj, field: string, optional = false) {
  const v = structure(o, field, ['codecs', 'headerExtensions'], optional);
  if (v && !Array.isArray(v.codecs)) invalid(`${field}.codecs`, 'should be an array');
  return v;
}

function room(o: Obj): string {
  if (
    typeof o.room !== 'string' ||
    o.room.length < 1 ||
    o.room.length > SIGNALING_LIMITS.maxRoomLength
  ) {
    invalid(
      'room',
      `should be the consultation id (1-${SIGNALING_LIMITS.maxRoomLength} characters)`,
    );
  }
  return o.room;
}

function rtpParametersOf(o: Obj): Obj {
  const rtpParameters = structure(o, 'rtpParameters', ['codecs', 'encodings', 'headerExtensions'])!;
  if (!Array.isArray(rtpParameters.codecs) || rtpParameters.codecs.length === 0)
    invalid('rtpParameters.codecs', 'should be a non-empty array');
  return rtpParameters;
}

function connectTransport(p: unknown): MediaRequests['connectTransport'][0] {
  const o = fields(p, ['transportId', 'dtlsParameters']);
  const dtlsParameters = structure(o, 'dtlsParameters', ['fingerprints'])!;
  if (!Array.isArray(dtlsParameters.fingerprints) || dtlsParameters.fingerprints.length === 0) {
    invalid('dtlsParameters.fingerprints', 'should be a non-empty array');
  }
  return { transportId: id(o, 'transportId'), dtlsParameters };
}

type Validator<K extends MediaRequestName> = (payload: unknown) => MediaRequests[K][0];

const validators: { [K in MediaRequestName]: Validator<K> } = {
  join: (p) => {
    const o = fields(p, [
      'room',
      'resume',
      'transports',
      'rtpCapabilities',
      'routerCapabilitiesKey',
    ]);
    room(o);
    if (
      o.resume !== undefined &&
      (typeof o.resume !== 'string' ||
        o.resume.length < 16 ||
        o.resume.length > SIGNALING_LIMITS.maxResumeKeyLength)
    ) {
      invalid('resume', 'should be the resume key of an earlier join');
    }
    let transports: ('send' | 'recv')[] | undefined;
    if (o.transports !== undefined) {
      if (
        !Array.isArray(o.transports) ||
        o.transports.length > 2 ||
        o.transports.some((d) => d !== 'send' && d !== 'recv') ||
        new Set(o.transports).size !== o.transports.length
      ) {
        invalid('transports', "should list 'send' and/or 'recv' once each");
      }
      transports = o.transports as ('send' | 'recv')[];
    }
    const key = o.routerCapabilitiesKey;
    if (key !== undefined && (typeof key !== 'string' || !/^[0-9a-z]{1,32}$/.test(key)))
      invalid('routerCapabilitiesKey', 'should be rtpCapabilitiesKey() of the router capabilities');
    const caps = rtpCapabilities(o, 'rtpCapabilities', true);
    return {
      room: o.room as string,
      resume: o.resume as string | undefined,
      ...(transports ? { transports } : {}),
      ...(caps ? { rtpCapabilities: caps } : {}),
      ...(key !== undefined ? { routerCapabilitiesKey: key as string } : {}),
    };
  },
  getRouterRtpCapabilities: (p) => (fields(p, []), {}),
  createTransport: (p) => {
    const o = fields(p, ['direction']);
    return { direction: oneOf(o, 'direction', ['send', 'recv'] as const)! };
  },
  connectTransport: connectTransport,
  produce: (p) => {
    const o = fields(p, ['transportId', 'kind', 'rtpParameters', 'source', 'paused']);
    const rtpParameters = rtpParametersOf(o);
    const kind = oneOf(o, 'kind', ['audio', 'video'] as const)!;
    const source = oneOf(o, 'source', ['camera', 'mic', 'screen'] as const)!;
    if ((source === 'mic') !== (kind === 'audio'))
      invalid('source', `${source} does not carry ${kind}`);
    return {
      transportId: id(o, 'transportId'),
      kind,
      rtpParameters,
      source,
      paused: bool(o, 'paused', true),
    };
  },
  closeProducer: (p) => ({ producerId: id(fields(p, ['producerId']), 'producerId') }),
  pauseProducer: (p) => ({ producerId: id(fields(p, ['producerId']), 'producerId') }),
  resumeProducer: (p) => ({ producerId: id(fields(p, ['producerId']), 'producerId') }),
  consume: (p) => {
    const o = fields(p, ['producerId', 'transportId', 'rtpCapabilities']);
    return {
      producerId: id(o, 'producerId'),
      transportId: id(o, 'transportId', true),
      rtpCapabilities: rtpCapabilities(o, 'rtpCapabilities', true),
    };
  },
  pauseConsumer: (p) => ({ consumerId: id(fields(p, ['consumerId']), 'consumerId') }),
  resumeConsumer: (p) => ({ consumerId: id(fields(p, ['consumerId']), 'consumerId') }),
  setPreferredLayers: (p) => {
    const o = fields(p, ['consumerId', 'spatialLayer', 'temporalLayer']);
    return {
      consumerId: id(o, 'consumerId'),
      spatialLayer: layer(o, 'spatialLayer')!,
      temporalLayer: layer(o, 'temporalLayer', true),
    };
  },
  restartIce: (p) => ({ transportId: id(fields(p, ['transportId']), 'transportId') }),
  leave: (p) => (fields(p, []), {}),
  admit: (p) => ({ peerId: id(fields(p, ['peerId']), 'peerId') }),
  mute: (p) => {
    const o = fields(p, ['peerId', 'kind']);
    return { peerId: id(o, 'peerId'), kind: oneOf(o, 'kind', ['audio', 'video'] as const, true) };
  },
  endRoom: (p) => (fields(p, []), {}),
  setAudioOnly: (p) => ({ enabled: bool(fields(p, ['enabled']), 'enabled')! }),
  mediaFailed: (p) => {
    const o = fields(p, ['reason', 'sendState', 'recvState']);
    const states = ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'] as const;
    return {
      reason: oneOf(o, 'reason', ['no_media'] as const)!,
      sendState: oneOf(o, 'sendState', states, true),
      recvState: oneOf(o, 'recvState', states, true),
    };
  },
  probe: (p) => {
    const o = fields(p, ['room']);
    return { room: room(o) };
  },
  probeConnect: connectTransport,
  probeProduce: (p) => {
    const o = fields(p, ['transportId', 'kind', 'rtpParameters']);
    return {
      transportId: id(o, 'transportId'),
      kind: oneOf(o, 'kind', ['audio', 'video'] as const)!,
      rtpParameters: rtpParametersOf(o),
    };
  },
  probeStats: (p) => (fields(p, []), {}),
  probeEnd: (p) => (fields(p, []), {}),
};

export const MEDIA_REQUEST_NAMES = Object.keys(validators) as MediaRequestName[];

export function isMediaRequestName(name: unknown): name is MediaRequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(validators, name);
}

/** Size of a payload as JSON, stopping early once over the limit is certain. */
export function payloadBytes(payload: unknown): number {
  try {
    const s = JSON.stringify(payload ?? null);
    return s === undefined ? 0 : s.length;
  } catch {
    return Infinity; // cyclic or otherwise not JSON (cannot come off the wire, but be safe)
  }
}

/** Checks one incoming request; throws SignalingError (`invalid_message`, `payload_too_large`, `unknown_request`). */
export function validateMediaRequest<K extends MediaRequestName>(
  name: K,
  payload: unknown,
): MediaRequests[K][0];
export function validateMediaRequest(name: string, payload: unknown): unknown;
export function validateMediaRequest(name: string, payload: unknown): unknown {
  if (!isMediaRequestName(name))
    throw new SignalingError(
      'unknown_request',
      `unknown request ${JSON.stringify(String(name).slice(0, 64))}`,
    );
  if (payloadBytes(payload) > SIGNALING_LIMITS.maxPayloadBytes) {
    throw new SignalingError(
      'payload_too_large',
      `payload is larger than ${SIGNALING_LIMITS.maxPayloadBytes} bytes`,
    );
  }
  return (validators[name] as (p: unknown) => unknown)(payload);
}
