import type { DimsePeerDirection, ServiceAccountScope } from '../machines';

/** POST /api/admin/service-accounts: the key comes back once. */
export interface ServiceAccountInput {
  organizationId: string;
  name: string;
  scopes: ServiceAccountScope[];
  /** None: until revoked. */
  expiresAt?: string;
}

/** GET the admin lists of machines: one organization, or every one the admin manages. */
export interface MachineFilter {
  organizationId?: string;
}

/** POST /api/admin/dicom-peers: an application entity of an organization. */
export interface DimsePeerInput {
  organizationId: string;
  aeTitle: string;
  host?: string | null;
  port?: number | null;
  directions: DimsePeerDirection[];
  enabled?: boolean;
  description?: string | null;
}

/** PATCH /api/admin/dicom-peers/{id}: a peer stays with its organization. */
export type DimsePeerChanges = Partial<Omit<DimsePeerInput, 'organizationId'>>;

/** POST /api/admin/dicomweb-peers. */
export interface DicomwebPeerInput {
  organizationId: string;
  name: string;
  baseUrl: string;
  /** Inbound: the service account whose key the peer calls us with. */
  serviceAccountId?: string | null;
  /** Outbound: the name of the environment variable holding the secret, never the secret. */
  credentialsRef?: string | null;
  enabled?: boolean;
  description?: string | null;
}

/** PATCH /api/admin/dicomweb-peers/{id}. */
export type DicomwebPeerChanges = Partial<Omit<DicomwebPeerInput, 'organizationId'>>;
