import { describe, expect, it } from '@jest/globals';
// The server's own lists, read where they are defined today: until they import the contract,
// this test holds them equal to it (a spec may look into apps/; the lib itself never does).
import { TRANSITIONS } from '../../../apps/api/src/consultations/consultation-lifecycle';
import * as terms from '../../../apps/api/src/consultations/consultation-terms';
import * as scheduling from '../../../apps/api/src/scheduling/scheduling-terms';
import * as directory from '@huizhen/directory';
import * as contract from './index';
import { lineOf, serverSources } from './source-scan';

describe('the contract agrees with the server', () => {
  it('consultation statuses, transitions and words', () => {
    expect([...contract.CONSULTATION_STATUSES]).toEqual([...terms.CONSULTATION_STATUSES]);
    expect([...contract.CONSULTATION_TRANSITIONS]).toEqual(Object.keys(TRANSITIONS));
    expect([...contract.URGENCIES]).toEqual([...terms.URGENCIES]);
    expect([...contract.CONSULTATION_MODES]).toEqual([...terms.CONSULTATION_MODES]);
    expect([...contract.QUEUE_LEVELS]).toEqual([...terms.QUEUE_LEVELS]);
    expect([...contract.RECOMMENDATIONS]).toEqual([...terms.RECOMMENDATIONS]);
    expect([...contract.ATTACHMENT_KINDS]).toEqual([...terms.ATTACHMENT_KINDS]);
    expect([...contract.PARTICIPANT_ROLES]).toEqual([...terms.PARTICIPANT_ROLES]);
  });

  it('directory words', () => {
    expect([...contract.ROLES]).toEqual([...directory.ROLES]);
    expect([...contract.ORGANIZATION_LEVELS]).toEqual([...directory.ORGANIZATION_LEVELS]);
    expect([...contract.CONSORTIUM_KINDS]).toEqual([...directory.CONSORTIUM_KINDS]);
    expect([...contract.PRACTITIONER_TITLES]).toEqual([...directory.TITLES]);
    expect([...contract.SEXES]).toEqual([...directory.SEXES]);
  });

  it('booking statuses and shift modes', () => {
    expect([...contract.BOOKING_STATUSES]).toEqual([...scheduling.BOOKING_STATUSES]);
    expect([...contract.SHIFT_MODES]).toEqual([...scheduling.SHIFT_MODES]);
  });

  const sources = serverSources();

  it('referral statuses', () => {
    const text = sources.get('apps/api/src/referrals/referrals.service.ts') ?? '';
    const union = /type ReferralStatus\s*=([^;]+);/.exec(text);
    // Once the service imports ReferralStatus from the contract, there is nothing to compare.
    if (union)
      expect([...union[1].matchAll(/'([a-z_]+)'/g)].map((m) => m[1])).toEqual([
        ...contract.REFERRAL_STATUSES,
      ]);
  });

  it("each transition's event name", () => {
    // Wherever the server keeps its map (const EVENT_NAME: Record<Transition, string>), until it imports TRANSITION_EVENTS.
    for (const text of sources.values()) {
      const map = /const EVENT_NAME\b[^=]*=\s*\{([^}]+)\}/.exec(text);
      if (map)
        expect(
          Object.fromEntries(
            [...map[1].matchAll(/([a-z_]+):\s*'([a-z_.]+)'/g)].map((m) => [m[1], m[2]]),
          ),
        ).toEqual(contract.TRANSITION_EVENTS);
    }
  });

  it('every event type the server emits is in the catalogue', () => {
    const found: { type: string; at: string }[] = [];
    const add = (type: string, file: string, text: string, index: number) =>
      found.push({ type, at: `${file}:${lineOf(text, index)}` });
    for (const [file, text] of sources) {
      // `type: 'booking.moved'`, `announce('booking.created', …)`, `submit: 'consultation.submitted'` (audit actions left out)
      for (const m of text.matchAll(
        /(?:\b([a-z_]+):\s*|announce\(\s*)'((?:consultation|booking|referral|queue)\.[a-z_]+)'/g,
      )) {
        if (m[1] === 'action') continue;
        add(m[2], file, text, m.index);
      }
      // announce(`referral.${rule.to}`): a referral's status after a transition
      for (const m of text.matchAll(/announce\(\s*`referral\.\$\{[^}]+\}`/g))
        for (const s of contract.REFERRAL_STATUSES) add(`referral.${s}`, file, text, m.index);
    }
    expect(found.length).toBeGreaterThan(15);
    expect(
      found.filter((f) => !(f.type in contract.EVENT_NAMES)).map((f) => `${f.at}: ${f.type}`),
    ).toEqual([]);
    const seen = new Set(found.map((f) => f.type));
    expect(contract.EVENT_NAME_LIST.filter((n) => !seen.has(n))).toEqual([]);
  });
});
