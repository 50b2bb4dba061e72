import { api } from './client';
import type {
  Consortium,
  ConsortiumInput,
  Organization,
  OrganizationInput,
  OrganizationLevel,
  Page,
  Practitioner,
  PractitionerInput,
  Role,
} from './types';

/** Lists are paged by the API; the directory is small enough to read in one page of 500. */
const ALL = 500;

export const organizationsApi = {
  list: (q: { level?: OrganizationLevel; parentId?: string } = {}) => api.get<Page<Organization>>('/api/organizations', { limit: ALL, ...q }),
  get: (id: string) => api.get<Organization>(`/api/organizations/${encodeURIComponent(id)}`),
  create: (input: OrganizationInput) => api.post<Organization>('/api/organizations', input),
  update: (id: string, input: Partial<OrganizationInput>) => api.patch<Organization>(`/api/organizations/${encodeURIComponent(id)}`, input),
};

export const consortiaApi = {
  list: () => api.get<Page<Consortium>>('/api/consortia', { limit: ALL }),
  get: (id: string) => api.get<Consortium>(`/api/consortia/${encodeURIComponent(id)}`),
  create: (input: ConsortiumInput) => api.post<Consortium>('/api/consortia', input),
  update: (id: string, input: Partial<ConsortiumInput>) => api.patch<Consortium>(`/api/consortia/${encodeURIComponent(id)}`, input),
};

export interface PractitionerQuery {
  organizationId?: string;
  specialty?: string;
  role?: Role;
  q?: string;
  limit?: number;
  offset?: number;
}

export const practitionersApi = {
  list: (q: PractitionerQuery = {}) => api.get<Page<Practitioner>>('/api/practitioners', { limit: 50, ...q }),
  create: (input: PractitionerInput) => api.post<Practitioner>('/api/practitioners', input),
  update: (id: string, input: Partial<PractitionerInput>) => api.patch<Practitioner>(`/api/practitioners/${encodeURIComponent(id)}`, input),
};
