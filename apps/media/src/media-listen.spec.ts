import { describe, expect, it } from '@jest/globals';
import { rtcListenPlan } from './media-listen';

const lan = { ipv4: ['192.168.1.20', '10.8.0.5'], ipv6: ['fd00::2'], hostname: 'clinic-pc' };
const none = { ipv4: [], ipv6: [], hostname: 'lonely' };

describe('rtcListenPlan', () => {
  it('on all interfaces with nothing announced: binds and announces every usable address, loopback last', () => {
    const plan = rtcListenPlan('0.0.0.0', null, lan);
    expect(plan.addresses).toEqual([
      { ip: '192.168.1.20' },
      { ip: '10.8.0.5' },
      { ip: 'fd00::2' },
      { ip: '127.0.0.1' },
    ]);
    expect(plan).toMatchObject({
      announced: ['192.168.1.20', '10.8.0.5', 'fd00::2', '127.0.0.1'],
      reachableFromOutside: true,
      source: 'machine',
    });
    expect(rtcListenPlan('::', null, lan).announced).toEqual(plan.announced);
  });

  it('never announces 0.0.0.0; a machine with only loopback is not reachable from outside', () => {
    const plan = rtcListenPlan('0.0.0.0', null, none);
    expect(plan.announced).toEqual(['127.0.0.1']);
    expect(plan.reachableFromOutside).toBe(false);
  });

  it('MEDIA_ANNOUNCED_ADDRESS wins (NAT, public address), on the listen address', () => {
    expect(rtcListenPlan('0.0.0.0', '203.0.113.7', lan)).toEqual({
      addresses: [{ ip: '0.0.0.0', announcedAddress: '203.0.113.7' }],
      announced: ['203.0.113.7'],
      reachableFromOutside: true,
      source: 'announced',
    });
  });

  it('a specific listen address is bound and announced as it is', () => {
    expect(rtcListenPlan('127.0.0.1', null, lan)).toMatchObject({
      addresses: [{ ip: '127.0.0.1' }],
      reachableFromOutside: false,
      source: 'listen_ip',
    });
    expect(rtcListenPlan('10.8.0.5', null, lan)).toMatchObject({
      addresses: [{ ip: '10.8.0.5' }],
      reachableFromOutside: true,
    });
  });
});
