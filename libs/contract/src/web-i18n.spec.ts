import { describe, expect, it } from '@jest/globals';
// The web client's dictionaries (plain data modules): every word of the contract has its Chinese.
import { enUS, zhCN } from '../../../apps/web/src/i18n/messages';
import {
  consultationStatusZh,
  referralStatusZh,
  transitionZh,
} from '../../../apps/web/src/i18n/messages-contract';
import {
  BOOKING_STATUSES,
  CONSULTATION_STATUSES,
  CONSULTATION_TRANSITIONS,
  ERROR_CODE_LIST,
  EVENT_NAME_LIST,
  REFERRAL_STATUSES,
} from './index';

const HAN = /\p{Script=Han}/u;
const dictionary = zhCN as Record<string, string>;

/** Keys of `words` (by the catalogue's names) whose Chinese is missing or has no Chinese in it. */
function missing(names: readonly string[], words: (name: string) => string | undefined): string[] {
  return names.filter((n) => !HAN.test(words(n) ?? ''));
}

describe("the web's Chinese covers the contract", () => {
  it('consultation statuses and transitions (the status timeline)', () => {
    expect(missing(CONSULTATION_STATUSES, (s) => consultationStatusZh[s as never])).toEqual([]);
    expect(
      missing([...CONSULTATION_TRANSITIONS, 'create'], (t) => transitionZh[t as never]),
    ).toEqual([]);
  });

  it('referral and booking statuses', () => {
    expect(missing(REFERRAL_STATUSES, (s) => referralStatusZh[s as never])).toEqual([]);
    expect(missing(BOOKING_STATUSES, (s) => dictionary[`book.status.${s}`])).toEqual([]);
  });

  it('every /events event name', () => {
    expect(missing(EVENT_NAME_LIST, (e) => dictionary[`event.${e}`])).toEqual([]);
  });

  it('every error code', () => {
    expect(missing(ERROR_CODE_LIST, (c) => dictionary[`errorCode.${c}`])).toEqual([]);
  });

  it('English for each as well', () => {
    const en = enUS as Record<string, string>;
    const keys = [
      ...EVENT_NAME_LIST.map((e) => `event.${e}`),
      ...ERROR_CODE_LIST.map((c) => `errorCode.${c}`),
    ];
    expect(keys.filter((k) => !en[k])).toEqual([]);
  });
});
