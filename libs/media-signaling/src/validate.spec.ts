import { describe, expect, it } from '@jest/globals';
import { rtpCapabilitiesKey } from './capabilities-key';
import { SIGNALING_LIMITS, SignalingError, validateMediaRequest } from './validate';

function fails(name: string, payload: unknown): { code: string; field?: string } {
  try {
    validateMediaRequest(name, payload);
    return { code: 'ok' };
  } catch (e) {
    if (!(e instanceof SignalingError)) throw e;
    return { code: e.code, ...(e.field ? { field: e.field } : {}) };
  }
}

describe('media signaling validation', () => {
  it('accepts well-formed requests and returns only known fields', () => {
    expect(validateMediaRequest('join', { room: 'c-1' })).toEqual({
      room: 'c-1',
      resume: undefined,
    });
    expect(validateMediaRequest('createTransport', { direction: 'recv' })).toEqual({
      direction: 'recv',
    });
    expect(
      validateMediaRequest('setPreferredLayers', {
        consumerId: 'c',
        spatialLayer: 2,
        temporalLayer: 1,
      }),
    ).toEqual({ consumerId: 'c', spatialLayer: 2, temporalLayer: 1 });
    expect(validateMediaRequest('leave', undefined)).toEqual({});
    expect(validateMediaRequest('mute', { peerId: 'p' })).toEqual({ peerId: 'p', kind: undefined });
  });

  it('checks the pre-join probe’s requests like the room’s', () => {
    expect(validateMediaRequest('probe', { room: 'c-1' })).toEqual({ room: 'c-1' });
    expect(fails('probe', {})).toEqual({ code: 'invalid_message', field: 'room' });
    expect(fails('probe', { room: 'c-1', transports: ['send'] })).toEqual({
      code: 'invalid_message',
      field: 'transports',
    });
    const rtpParameters = {
      codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
      encodings: [{ ssrc: 1 }],
    };
    expect(
      validateMediaRequest('probeProduce', { transportId: 't', kind: 'video', rtpParameters }),
    ).toEqual({ transportId: 't', kind: 'video', rtpParameters });
    expect(
      fails('probeProduce', { transportId: 't', kind: 'video', rtpParameters: { codecs: [] } }),
    ).toEqual({ code: 'invalid_message', field: 'rtpParameters.codecs' });
    expect(fails('probeProduce', { transportId: 't', kind: 'data', rtpParameters })).toEqual({
      code: 'invalid_message',
      field: 'kind',
    });
    expect(
      fails('probeConnect', { transportId: 't', dtlsParameters: { fingerprints: [] } }),
    ).toEqual({ code: 'invalid_message', field: 'dtlsParameters.fingerprints' });
    expect(fails('probeStats', { any: 1 })).toEqual({ code: 'invalid_message', field: 'any' });
    expect(validateMediaRequest('probeEnd', undefined)).toEqual({});
  });

  it('takes a fast join (transports, device capabilities and the key of the router capabilities they came from)', () => {
    const caps = {
      codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
      headerExtensions: [],
    };
    const key = rtpCapabilitiesKey(caps);
    expect(key).toMatch(/^[0-9a-z]{2,14}$/);
    expect(rtpCapabilitiesKey(JSON.parse(JSON.stringify(caps)))).toBe(key);
    expect(rtpCapabilitiesKey({ ...caps, headerExtensions: [{ uri: 'x' }] })).not.toBe(key);
    expect(
      validateMediaRequest('join', {
        room: 'c-1',
        transports: ['recv', 'send'],
        rtpCapabilities: caps,
        routerCapabilitiesKey: key,
      }),
    ).toEqual({
      room: 'c-1',
      resume: undefined,
      transports: ['recv', 'send'],
      rtpCapabilities: caps,
      routerCapabilitiesKey: key,
    });
    expect(fails('join', { room: 'c-1', transports: ['send', 'send'] })).toEqual({
      code: 'invalid_message',
      field: 'transports',
    });
    expect(fails('join', { room: 'c-1', transports: 'recv' })).toEqual({
      code: 'invalid_message',
      field: 'transports',
    });
    expect(fails('join', { room: 'c-1', routerCapabilitiesKey: 'A B' })).toEqual({
      code: 'invalid_message',
      field: 'routerCapabilitiesKey',
    });
    expect(fails('join', { room: 'c-1', rtpCapabilities: { codecs: 'all' } })).toEqual({
      code: 'invalid_message',
      field: 'rtpCapabilities.codecs',
    });
  });

  it('names the field that is wrong', () => {
    expect(fails('createTransport', { direction: 'sideways' })).toEqual({
      code: 'invalid_message',
      field: 'direction',
    });
    expect(fails('createTransport', { direction: 'send', admin: true })).toEqual({
      code: 'invalid_message',
      field: 'admin',
    });
    expect(fails('createTransport', [])).toEqual({ code: 'invalid_message', field: 'payload' });
    expect(fails('consume', { producerId: 'a b' })).toEqual({
      code: 'invalid_message',
      field: 'producerId',
    });
    expect(fails('consume', { producerId: 'x'.repeat(65) })).toEqual({
      code: 'invalid_message',
      field: 'producerId',
    });
    expect(fails('setAudioOnly', { enabled: 'yes' })).toEqual({
      code: 'invalid_message',
      field: 'enabled',
    });
    expect(fails('mediaFailed', { reason: 'bored' })).toEqual({
      code: 'invalid_message',
      field: 'reason',
    });
    expect(fails('mediaFailed', { reason: 'no_media', sendState: 'melting' })).toEqual({
      code: 'invalid_message',
      field: 'sendState',
    });
    expect(
      validateMediaRequest('mediaFailed', { reason: 'no_media', sendState: 'failed' }),
    ).toEqual({ reason: 'no_media', sendState: 'failed', recvState: undefined });
    expect(fails('setPreferredLayers', { consumerId: 'c', spatialLayer: 1.5 })).toEqual({
      code: 'invalid_message',
      field: 'spatialLayer',
    });
    expect(fails('join', { room: 'r', resume: 'short' })).toEqual({
      code: 'invalid_message',
      field: 'resume',
    });
    expect(
      fails('produce', {
        transportId: 't',
        kind: 'video',
        source: 'mic',
        rtpParameters: { codecs: [{}] },
      }),
    ).toEqual({ code: 'invalid_message', field: 'source' });
  });

  it('bounds nested RTP structures: depth, array sizes, strings, numbers, prototype keys', () => {
    const produce = (rtpParameters: unknown) =>
      fails('produce', { transportId: 't', kind: 'video', source: 'camera', rtpParameters });
    let deep: unknown = {};
    for (let i = 0; i < SIGNALING_LIMITS.maxDepth + 2; i++) deep = { a: deep };
    expect(produce({ codecs: [{}], deep }).code).toBe('invalid_message');
    expect(produce({ codecs: Array(100).fill({}) }).field).toBe('rtpParameters.codecs');
    expect(produce({ codecs: [{ mimeType: 'v'.repeat(600) }] }).field).toBe(
      'rtpParameters.codecs[0].mimeType',
    );
    expect(produce(JSON.parse('{"codecs":[{}],"__proto__":{"x":1}}')).code).toBe('invalid_message');
    expect(produce({ codecs: [{ clockRate: Infinity }] }).code).toBe('invalid_message');
    expect(produce({ codecs: 'VP8' }).field).toBe('rtpParameters.codecs');
    expect(produce({ codecs: [{ mimeType: 'video/VP8' }], encodings: [{ ssrc: 1 }] }).code).toBe(
      'ok',
    );
  });

  it('refuses unknown requests and payloads over the size limit', () => {
    expect(fails('dropDatabase', {}).code).toBe('unknown_request');
    expect(fails('toString', {}).code).toBe('unknown_request');
    expect(
      fails('consume', {
        producerId: 'p',
        rtpCapabilities: { codecs: [], pad: 'x'.repeat(SIGNALING_LIMITS.maxPayloadBytes) },
      }).code,
    ).toBe('payload_too_large');
  });
});
