import { isIP } from 'node:net';
import type { MachineAddresses } from '@huizhen/config';

/** One address a WebRtcServer binds (UDP and TCP), and what its ICE candidates carry. */
export interface RtcListenAddress {
  ip: string;
  announcedAddress?: string;
}

export interface RtcListenPlan {
  addresses: RtcListenAddress[];
  /** What browsers are offered, in candidate order. */
  announced: string[];
  /** Some announced address is not loopback: a browser on another machine can reach it. */
  reachableFromOutside: boolean;
  /** Why these: the announced address, the one listen address, or the machine's own addresses. */
  source: 'announced' | 'listen_ip' | 'machine';
}

const isAny = (ip: string) => ip === '0.0.0.0' || ip === '::';
const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

/**
 * What the media workers bind and announce. An announced address (NAT, public name) wins: one
 * socket per protocol on the listen address, that address in the candidates. A specific listen
 * address is bound and announced as it is. Listening on all interfaces with nothing announced, a
 * socket on 0.0.0.0 would put 0.0.0.0 in the candidates, which no browser can use: instead each of
 * the machine's usable addresses gets its own socket (same port on each), loopback last for a
 * browser on this machine.
 */
export function rtcListenPlan(
  listenIp: string,
  announcedAddress: string | null,
  machine: MachineAddresses,
): RtcListenPlan {
  if (announcedAddress) {
    return {
      addresses: [{ ip: listenIp, announcedAddress }],
      announced: [announcedAddress],
      reachableFromOutside: !isLoopback(announcedAddress),
      source: 'announced',
    };
  }
  if (!isAny(listenIp)) {
    return {
      addresses: [{ ip: listenIp }],
      announced: [listenIp],
      reachableFromOutside: !isLoopback(listenIp),
      source: 'listen_ip',
    };
  }
  const ips = [...machine.ipv4, ...machine.ipv6.filter((a) => isIP(a) === 6), '127.0.0.1'];
  return {
    addresses: ips.map((ip) => ({ ip })),
    announced: ips,
    reachableFromOutside: ips.some((ip) => !isLoopback(ip)),
    source: 'machine',
  };
}
