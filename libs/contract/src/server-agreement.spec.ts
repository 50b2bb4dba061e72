import { describe, expect, it } from '@jest/globals';
// The server's lists as its code reads them (a spec may look into apps/; the lib itself never
// does). Most are re-exported from the contract now; the state machine's table is the server's own,
// and the test holds its transitions to the contract's, in order.
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

  // The server's code, the contract itself left out (its catalogue names every event).
  const sources = new Map(
    [...serverSources()].filter(([file]) => !file.startsWith('libs/contract/')),
  );

  /** Each server file's own union `type NAME = 'a' | 'b' …`: [file, its members] (an alias of the contract's type is none). */
  const unions = (name: string): [string, string[]][] =>
    [...sources].flatMap(([file, text]) => {
      const union = new RegExp(`type ${name}\\s*=([^;]+);`).exec(text);
      const members = union ? [...union[1].matchAll(/'([a-z_]+)'/g)].map((m) => m[1]) : [];
      return members.length ? [[file, members]] : [];
    });

  it('referral statuses and who cancels a booking, wherever the server spells its own union', () => {
    for (const [file, members] of unions('ReferralStatus'))
      expect([file, members]).toEqual([file, [...contract.REFERRAL_STATUSES]]);
    for (const [file, members] of unions('EndedBy'))
      expect([file, members]).toEqual([file, [...contract.BOOKING_CANCELLED_BY]]);
  });

  it("each transition's event name is the contract's", () => {
    // No server file keeps its own map of transitions to event names (it was `const EVENT_NAME`):
    // the transition engine indexes the contract's TRANSITION_EVENTS.
    const ownMaps = [...sources]
      .filter(([, text]) => /\bsubmit:\s*'consultation\.submitted'/.test(text))
      .map(([file]) => file);
    expect(ownMaps).toEqual([]);
    const users = [...sources].filter(([, text]) => /\bTRANSITION_EVENTS\[/.test(text));
    expect(users.map(([file]) => file)).toContain(
      'apps/api/src/consultations/consultation-transitions.ts',
    );
  });

  it('every event type the server emits is in the catalogue', () => {
    const found: { type: string; at: string }[] = [];
    const add = (type: string, file: string, text: string, index: number) =>
      found.push({ type, at: `${file}:${lineOf(text, index)}` });
    for (const [file, text] of sources) {
      // `type: 'booking.moved'`, `announce('booking.created', …)` (audit actions left out)
      for (const m of text.matchAll(
        /(?:\b([a-z_]+):\s*|announce\(\s*)'((?:consultation|booking|referral|queue)\.[a-z_]+)'/g,
      )) {
        if (m[1] === 'action') continue;
        add(m[2], file, text, m.index);
      }
      // TRANSITION_EVENTS[t] from the contract: the event of every transition.
      if (/import \{[^}]*\bTRANSITION_EVENTS\b[^}]*\} from '@huizhen\/contract'/.test(text))
        for (const m of text.matchAll(/\bTRANSITION_EVENTS\[/g))
          for (const name of Object.values(contract.TRANSITION_EVENTS))
            add(name, file, text, m.index);
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
