import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@huizhen/config';
import { generateKeyPairSync, sign } from 'node:crypto';
import { TRANSITIONS, checkTransition, legalTransitions } from './consultation-lifecycle';
import { CONSULTATION_STATUSES } from './consultation-terms';
import {
  SigningKeys,
  canonicalJson,
  signedReportBytes,
  type SignedReportContent,
} from './report-signing';

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined, keeps array order and unicode', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: '诊断' }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":"诊断","z":null}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });

  it('signs the same bytes whatever the order studies were given in, and any change breaks it', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const content: SignedReportContent = {
      v: 1,
      kind: 'report',
      reportId: 'r',
      amendsReportId: null,
      consultationId: 'c',
      patientId: 'p',
      author: { id: 'a', signingKeyFingerprint: 'SHA256:x' },
      signedAt: '2026-12-01T08:00:00.000Z',
      content: {
        findings: '所见',
        impression: '印象',
        recommendation: 'refer_up',
        referralOrganizationId: null,
        freeText: '',
      },
      studies: ['1.2.3', '1.2.1'],
    };
    const sig = sign(null, signedReportBytes(content), privateKey);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    expect(
      SigningKeys.verify(der, signedReportBytes({ ...content, studies: ['1.2.1', '1.2.3'] }), sig),
    ).toBe(true);
    expect(
      SigningKeys.verify(
        der,
        signedReportBytes({ ...content, content: { ...content.content, impression: '正常' } }),
        sig,
      ),
    ).toBe(false);
    expect(
      SigningKeys.verify(
        der,
        signedReportBytes({ ...content, signedAt: '2026-12-01T08:00:00.001Z' }),
        sig,
      ),
    ).toBe(false);
  });
});

describe('the consultation state machine', () => {
  it('every transition leads from and to known states', () => {
    for (const t of Object.values(TRANSITIONS)) {
      expect(CONSULTATION_STATUSES).toContain(t.to);
      t.from.forEach((s) => expect(CONSULTATION_STATUSES).toContain(s));
    }
  });

  it('closed, cancelled and expired are final; live steps apply only to live modes', () => {
    for (const s of ['closed', 'cancelled', 'expired'] as const)
      expect(legalTransitions(s, 'both')).toEqual([]);
    expect(legalTransitions('claimed', 'imaging_read')).toEqual([
      'decline',
      'sign_report',
      'cancel',
    ]);
    expect(legalTransitions('claimed', 'live_video')).toEqual([
      'decline',
      'schedule',
      'start_session',
      'sign_report',
      'cancel',
    ]);
  });

  it('an illegal transition is a 409 naming the current state', () => {
    expect(() => checkTransition('claim', 'claimed', 'imaging_read')).toThrow(
      expect.objectContaining({
        status: 409,
        code: 'illegal_transition',
        details: expect.objectContaining({ status: 'claimed' }),
      }),
    );
    expect(() => checkTransition('schedule', 'claimed', 'imaging_read')).toThrow(
      expect.objectContaining({
        status: 409,
        details: expect.objectContaining({ mode: 'imaging_read' }),
      }),
    );
    expect(checkTransition('claim', 'submitted', 'both').to).toBe('claimed');
  });
});

describe('consultation settings', () => {
  const base = {
    DATA_DIR: '/tmp/huizhen-config-consult',
    JWT_SECRET: 'x'.repeat(32),
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  };

  it('defaults: a day, two hours and half an hour per queue level', () => {
    expect(loadConfig(base).consultations.deadlineMinutes).toEqual({
      routine: 1440,
      urgent: 120,
      emergency: 30,
    });
  });

  it('reads overrides and refuses deadlines that do not grow with lower urgency', () => {
    expect(
      loadConfig({ ...base, CONSULT_DEADLINE_EMERGENCY_MINUTES: '15' }).consultations
        .deadlineMinutes.emergency,
    ).toBe(15);
    expect(() => loadConfig({ ...base, CONSULT_DEADLINE_URGENT_MINUTES: '5' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ...base, CONSULT_ATTACHMENT_MAX_BYTES: 'lots' })).toThrow(
      /CONSULT_ATTACHMENT_MAX_BYTES/,
    );
  });
});
