import { describe, expect, it } from '@jest/globals';
import type { NetworkInterfaceInfo } from 'node:os';
import { hostOf, isLoopbackHost, machineAddresses } from './machine-addresses';
import { PortInUseError, listenErrorPort } from './start-errors';

const nic = (address: string, family: 'IPv4' | 'IPv6', extra: Partial<NetworkInterfaceInfo> = {}) =>
  ({
    address,
    family,
    internal: false,
    netmask: '',
    mac: '',
    cidr: null,
    scopeid: 0,
    ...extra,
  }) as NetworkInterfaceInfo;

describe('machineAddresses', () => {
  it('keeps non-internal IPv4 and global/unique-local IPv6, drops loopback, link-local IPv6 and duplicates', () => {
    const m = machineAddresses(
      {
        lo: [nic('127.0.0.1', 'IPv4', { internal: true }), nic('::1', 'IPv6', { internal: true })],
        eth0: [
          nic('192.168.1.20', 'IPv4'),
          nic('fd00::2', 'IPv6'),
          nic('fe80::1', 'IPv6', { scopeid: 2 }),
          nic('2001:DB8::5', 'IPv6'),
        ],
        wlan0: [nic('10.8.0.5', 'IPv4'), nic('192.168.1.20', 'IPv4')],
      },
      'clinic-pc',
    );
    expect(m).toEqual({
      ipv4: ['192.168.1.20', '10.8.0.5'],
      ipv6: ['fd00::2', '2001:db8::5'],
      hostname: 'clinic-pc',
    });
  });
});

describe('isLoopbackHost', () => {
  it('is true for the hosts a browser treats as secure over plain HTTP', () => {
    for (const h of [
      'localhost',
      'localhost:3000',
      'LOCALHOST',
      'app.localhost:3000',
      '127.0.0.1',
      '127.0.0.1:3000',
      '127.1.2.3',
      '[::1]:3000',
      '[::1]',
    ])
      expect([h, isLoopbackHost(h)]).toEqual([h, true]);
  });
  it('is false for LAN addresses and names, and for no host', () => {
    for (const h of [
      '192.168.1.20:3000',
      'clinic-pc:3000',
      '[fd00::2]:3000',
      'localhost.example:3000',
      '',
      undefined,
    ])
      expect([h, isLoopbackHost(h)]).toEqual([h, false]);
  });
  it('hostOf strips the port, and brackets of IPv6', () => {
    expect(['a:1', '[::1]:80', '::1', 'a'].map(hostOf)).toEqual(['a', '::1', '::1', 'a']);
  });
});

describe('start errors', () => {
  it('names the port and the variable', () => {
    expect(new PortInUseError(3000, 'PORT').message).toBe(
      'port 3000 is in use: set PORT to another port',
    );
    expect(new PortInUseError(443, 'HTTPS_PORT', 'forbidden').message).toMatch(
      /^port 443 needs privileges .*set HTTPS_PORT/,
    );
    expect(
      listenErrorPort(Object.assign(new Error('x'), { code: 'EADDRINUSE', port: 3000 })),
    ).toEqual({ port: 3000, reason: 'in_use' });
    expect(listenErrorPort(new Error('x'))).toBeNull();
  });
});
