import { createHmac } from 'node:crypto';
import type { IceServer } from '@huizhen/media-signaling';

/**
 * ICE servers for one participant. TURN uses coturn's REST-API scheme (`use-auth-secret`):
 * username `${expiry}:${practitionerId}`, credential base64(HMAC-SHA1(secret, username)),
 * so the media node never stores TURN passwords and a leaked credential expires by itself.
 */
export function iceServersFor(
  turn: { urls: string[]; secret: string | null; credentialTtlSeconds: number },
  practitionerId: string,
  now = Date.now(),
): IceServer[] {
  if (!turn.urls.length) return [];
  const stun = turn.urls.filter((u) => u.startsWith('stun:'));
  const relay = turn.urls.filter((u) => !u.startsWith('stun:'));
  const servers: IceServer[] = [];
  if (stun.length) servers.push({ urls: stun });
  if (relay.length && turn.secret) {
    const username = `${Math.floor(now / 1000) + turn.credentialTtlSeconds}:${practitionerId}`;
    const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
    servers.push({ urls: relay, username, credential });
  }
  return servers;
}
