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
 * The actor a DIMSE peer queries and retrieves as, for the one access policy: a clinician of
 * its organization who takes part in no consultation. So it sees what QIDO-RS shows that
 * organization's clinicians by organization: the organization's own studies (identified), the
 * studies shared with the organization by a grant, and studies of other organizations only
 * de-identified outside the patient's consortium, as for any reader there. Its audit events
 * name it `dimse:<AE title>`.
 */
export function peerActor(peer: DimsePeerIdentity): Actor {
  return {
    id: peerUuid(peer.aeTitle),
    username: `dimse:${peer.aeTitle}`,
    displayName: `DIMSE peer ${peer.aeTitle}`,
    organizationId: peer.organizationId,
    roles: ['township_doctor'],
    specialty: null,
  };
}
