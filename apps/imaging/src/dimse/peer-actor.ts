import { createHash } from 'node:crypto';
import type { Actor } from '@huizhen/auth';

/** A calling AE title registered for an organization: who queries and retrieves over DIMSE. */
export interface DimsePeerIdentity {
  aeTitle: string;
  organizationId: string;
}

/** A stable UUID for an AE title (name-based, version 8), so its audit events can be followed. */
function peerUuid(aeTitle: string): string {
  const h = createHash('sha256').update(`dimse-peer\0${aeTitle}`).digest();
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The actor a DIMSE peer queries and retrieves as, for the one access policy: its organization's
 * machine, as a service account's key is over DICOMweb (a machine holds no role and acts only on
 * its organization's images), so a PACS reads the same over C-FIND/C-MOVE/C-GET as over QIDO/WADO
 * with a key. It holds no HTTP scope: what it may do over DIMSE is its peer's directions, checked
 * at the association. Its audit events name it `dimse:<AE title>`.
 */
export function peerActor(peer: DimsePeerIdentity): Actor {
  return {
    id: peerUuid(peer.aeTitle),
    username: `dimse:${peer.aeTitle}`,
    displayName: `DIMSE peer ${peer.aeTitle}`,
    organizationId: peer.organizationId,
    roles: [],
    specialty: null,
    scopes: [],
  };
}
