import { isIP } from 'node:net';
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** This machine's addresses that another machine (or a browser on this one) can reach, by family. */
export interface MachineAddresses {
  /** Non-internal IPv4 addresses, in interface order. */
  ipv4: string[];
  /** Global and unique-local IPv6 addresses (link-local ones need a zone id no browser candidate carries). */
  ipv6: string[];
  hostname: string;
}

type Interfaces = Record<string, NetworkInterfaceInfo[] | undefined>;

/** From os.networkInterfaces(): loopback, link-local IPv6 and IPv4-mapped addresses left out. */
export function machineAddresses(
  interfaces: Interfaces = networkInterfaces(),
  name: string = hostname(),
): MachineAddresses {
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4' && !a.address.startsWith('127.')) ipv4.add(a.address);
      else if (a.family === 'IPv6' && isIP(a.address) === 6) {
        const lower = a.address.toLowerCase();
        if (lower === '::1' || /^fe[89ab]/.test(lower) || lower.startsWith('::ffff:') || a.scopeid)
          continue;
        ipv6.add(lower);
      }
    }
  }
  return { ipv4: [...ipv4], ipv6: [...ipv6], hostname: name };
}

/**
 * A Host header's host (name, IPv4, or bracketed IPv6, port optional) that names this machine's
 * loopback: the hosts a browser treats as a secure context over plain HTTP.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = hostOf(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1' || name === '0:0:0:0:0:0:0:1';
}

/** The host part of a Host header: `[::1]:3000` → `::1`, `example:3000` → `example`. */
export function hostOf(host: string): string {
  const h = host.trim();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colon = h.indexOf(':');
  // An unbracketed IPv6 literal (no port possible) has several colons.
  return colon !== -1 && h.indexOf(':', colon + 1) === -1 ? h.slice(0, colon) : h;
}
