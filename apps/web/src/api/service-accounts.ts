import type {
  CreatedServiceAccountView,
  DicomwebPeerChanges,
  DicomwebPeerInput,
  DimsePeerChanges,
  DimsePeerInput,
  MachineFilter,
  ServiceAccountInput,
  DicomwebPeerView,
  DimsePeerView,
  ServiceAccountView,
} from '@huizhen/contract';
import { api } from './client';

export {
  DIMSE_PEER_DIRECTIONS,
  SERVICE_ACCOUNT_SCOPES,
  type CreatedServiceAccountView,
  type DicomwebPeerView,
  type DimsePeerDirection,
  type DimsePeerView,
  type ServiceAccountScope,
  type ServiceAccountView,
} from '@huizhen/contract';

export type { ServiceAccountInput } from '@huizhen/contract';

const id = (v: string) => encodeURIComponent(v);

/** Machines' keys (/api/admin/service-accounts): the key comes back once, in `create`'s answer. */
export const serviceAccountsApi = {
  list: (organizationId?: string) =>
    api.get<{ items: ServiceAccountView[] }>(
      '/api/admin/service-accounts',
      (organizationId ? { organizationId } : {}) satisfies MachineFilter,
    ),
  create: (input: ServiceAccountInput) =>
    api.post<CreatedServiceAccountView>('/api/admin/service-accounts', input),
  revoke: (accountId: string) =>
    api.post<ServiceAccountView>(`/api/admin/service-accounts/${id(accountId)}/revoke`),
};

export type { DicomwebPeerInput, DimsePeerInput } from '@huizhen/contract';

/** DICOM peers (/api/admin/dicom-peers, /api/admin/dicomweb-peers): a peer keeps its organization. */
export const peersApi = {
  listDimse: () => api.get<{ items: DimsePeerView[] }>('/api/admin/dicom-peers'),
  createDimse: (input: DimsePeerInput) => api.post<DimsePeerView>('/api/admin/dicom-peers', input),
  updateDimse: (peerId: string, input: DimsePeerChanges) =>
    api.patch<DimsePeerView>(`/api/admin/dicom-peers/${id(peerId)}`, input),
  listDicomweb: () => api.get<{ items: DicomwebPeerView[] }>('/api/admin/dicomweb-peers'),
  createDicomweb: (input: DicomwebPeerInput) =>
    api.post<DicomwebPeerView>('/api/admin/dicomweb-peers', input),
  updateDicomweb: (peerId: string, input: DicomwebPeerChanges) =>
    api.patch<DicomwebPeerView>(`/api/admin/dicomweb-peers/${id(peerId)}`, input),
};
