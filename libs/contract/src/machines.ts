/**
 * Machines on the network: service accounts (API keys for another archive, an AI node, a HIS)
 * and DICOM peers (DIMSE application entities and DICOMweb endpoints), as admins manage them.
 */

/** What a service account's key may do; a key holds one or more. */
export const SERVICE_ACCOUNT_SCOPES = [
  'dicomweb:read',
  'dicomweb:write',
  'api:read',
  'api:write',
] as const;
export type ServiceAccountScope = (typeof SERVICE_ACCOUNT_SCOPES)[number];

/**
 * What a DIMSE peer may do with us: send us instances (C-STORE), query us (C-FIND), receive
 * what it or another peer asks us to move (C-MOVE destination, needs host and port), read the
 * modality worklist.
 */
export const DIMSE_PEER_DIRECTIONS = [
  'store',
  'query',
  'retrieve_destination',
  'worklist',
] as const;
export type DimsePeerDirection = (typeof DIMSE_PEER_DIRECTIONS)[number];

/** A service account as its admins see it: never its secret (shown once, at creation). */
export interface ServiceAccountView {
  id: string;
  organizationId: string;
  name: string;
  scopes: ServiceAccountScope[];
  createdBy: string | null;
  createdAt: string;
  /** Updated at most once a minute. */
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  /** Neither revoked nor expired. */
  active: boolean;
}

/** The answer to creating one: the key, shown this once (`hz_sk_<id>_<secret>`). */
export interface CreatedServiceAccountView {
  account: ServiceAccountView;
  key: string;
}

/** A DIMSE peer as admins see it. */
export interface DimsePeerView {
  id: string;
  aeTitle: string;
  organizationId: string;
  host: string | null;
  port: number | null;
  directions: DimsePeerDirection[];
  enabled: boolean;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A DICOMweb peer as admins see it: the names of its credentials, never a secret. */
export interface DicomwebPeerView {
  id: string;
  organizationId: string;
  name: string;
  baseUrl: string;
  /** Inbound: the service account whose key the peer calls us with. */
  serviceAccountId: string | null;
  /** Outbound: the name of the secret we call it with (held outside the database). */
  credentialsRef: string | null;
  enabled: boolean;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}
