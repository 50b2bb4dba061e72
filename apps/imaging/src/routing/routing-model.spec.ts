import { describe, expect, it } from '@jest/globals';
import { authorizationOf } from './forward-senders';
import { backoffMs, ForwardFailed, ruleMatches } from './routing-model';

describe('which studies a rule takes', () => {
  const rule = { enabled: true, modalities: ['CT'], callingAeTitles: ['TOWN_CT'] };

  it('a study with any of the modalities, from one of the senders', () => {
    const study = { modalities: ['SR', 'CT'], callingAeTitles: ['TOWN_CT'] };
    expect(ruleMatches(rule, study)).toBe(true);
    expect(ruleMatches(rule, { ...study, modalities: ['MR'] })).toBe(false);
    expect(ruleMatches(rule, { ...study, callingAeTitles: ['OTHER'] })).toBe(false);
    // An upload has no calling AE: a rule naming senders does not take it.
    expect(ruleMatches(rule, { ...study, callingAeTitles: [] })).toBe(false);
  });

  it('empty filters take everything; a rule switched off nothing', () => {
    const any = { enabled: true, modalities: [], callingAeTitles: [] };
    expect(ruleMatches(any, { modalities: [], callingAeTitles: [] })).toBe(true);
    expect(
      ruleMatches({ ...any, enabled: false }, { modalities: ['CT'], callingAeTitles: [] }),
    ).toBe(false);
  });
});

describe('the delay before the next attempt', () => {
  const settings = { retryBaseSeconds: 10, retryMaxSeconds: 60 };
  const middle = () => 0.5;

  it('doubles per failed attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, settings, middle))).toEqual([
      10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('is spread ±20 % so jobs that failed together do not come back together', () => {
    expect(backoffMs(1, settings, () => 0)).toBe(8_000);
    expect(backoffMs(1, settings, () => 1)).toBe(12_000);
  });
});

describe('the credentials a DICOMweb peer names', () => {
  it('user:password goes as Basic, anything else as a Bearer token, nothing as nothing', () => {
    process.env.ROUTING_SPEC_BASIC = 'orthanc:secret';
    process.env.ROUTING_SPEC_TOKEN = 'hz_sk_0123_abc';
    try {
      expect(authorizationOf('ROUTING_SPEC_BASIC')).toBe(
        `Basic ${Buffer.from('orthanc:secret').toString('base64')}`,
      );
      expect(authorizationOf('ROUTING_SPEC_TOKEN')).toBe('Bearer hz_sk_0123_abc');
      expect(authorizationOf(null)).toBeNull();
    } finally {
      delete process.env.ROUTING_SPEC_BASIC;
      delete process.env.ROUTING_SPEC_TOKEN;
    }
  });

  it('a variable that is not set is a permanent failure, named', () => {
    let thrown: unknown;
    try {
      authorizationOf('ROUTING_SPEC_MISSING');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ForwardFailed);
    expect(thrown).toMatchObject({
      permanent: true,
      message: 'the credentials variable ROUTING_SPEC_MISSING is not set here',
    });
  });
});
