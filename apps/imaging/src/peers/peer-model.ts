import type { DimsePeerDirection } from '@huizhen/contract';

/** A DIMSE application entity we know: who it is (calling AE title), for whom, where, and what it may do. */
export interface DimsePeer {
  id: string;
  aeTitle: string;
  organizationId: string;
  /** Where we call it (a C-MOVE destination); null for a peer that only calls us. */
  host: string | null;
  port: number | null;
  directions: DimsePeerDirection[];
  enabled: boolean;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A DICOMweb archive we exchange with, for an organization: credentials only by reference. */
export interface DicomwebPeer {
  id: string;
  organizationId: string;
  name: string;
  baseUrl: string;
  serviceAccountId: string | null;
  credentialsRef: string | null;
  enabled: boolean;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** True when the peer is switched on and may do that (send, query, be moved to, read the worklist). */
export function peerAllows(peer: DimsePeer | null, direction: DimsePeerDirection): boolean {
  return !!peer && peer.enabled && peer.directions.includes(direction);
}

/** What an admin sets on a DIMSE peer. */
export type DimsePeerFields = Pick<
  DimsePeer,
  'aeTitle' | 'host' | 'port' | 'directions' | 'enabled' | 'description'
>;

/** What an admin sets on a DICOMweb peer. */
export type DicomwebPeerFields = Pick<
  DicomwebPeer,
  'name' | 'baseUrl' | 'serviceAccountId' | 'credentialsRef' | 'enabled' | 'description'
>;
