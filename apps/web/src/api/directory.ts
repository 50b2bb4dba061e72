import { api } from './client';
import type {
  Consortium,
  ConsortiumChanges,
  ConsortiumInput,
  DirectoryTerms,
  Organization,
  OrganizationChanges,
  OrganizationFilter,
  OrganizationInput,
  Page,
  Practitioner,
  PractitionerChanges,
  PractitionerFilter,
  PractitionerInput,
} from './types';

/** The API pages at most 200 rows; the organization directory is read whole, page by page. */
const MAX_PAGE = 200;

export async function readAllPages<T>(
  page: (limit: number, offset: number) => Promise<Page<T>>,
): Promise<Page<T>> {
  const items: T[] = [];
  for (;;) {
    const p = await page(MAX_PAGE, items.length);
    items.push(...p.items);
    if (p.items.length === 0 || items.length >= p.total)
      return { items, total: p.total, limit: items.length, offset: 0 };
  }
}

export const organizationsApi = {
  list: (q: Omit<OrganizationFilter, 'limit' | 'offset'> = {}) =>
    readAllPages((limit, offset) =>
      api.get<Page<Organization>>('/api/organizations', { ...q, limit, offset }),
    ),
  get: (id: string) => api.get<Organization>(`/api/organizations/${encodeURIComponent(id)}`),
  create: (input: OrganizationInput) => api.post<Organization>('/api/organizations', input),
  update: (id: string, input: OrganizationChanges) =>
    api.patch<Organization>(`/api/organizations/${encodeURIComponent(id)}`, input),
};

export const consortiaApi = {
  list: () =>
    readAllPages((limit, offset) => api.get<Page<Consortium>>('/api/consortia', { limit, offset })),
  get: (id: string) => api.get<Consortium>(`/api/consortia/${encodeURIComponent(id)}`),
  create: (input: ConsortiumInput) => api.post<Consortium>('/api/consortia', input),
  update: (id: string, input: ConsortiumChanges) =>
    api.patch<Consortium>(`/api/consortia/${encodeURIComponent(id)}`, input),
};

export const practitionersApi = {
  list: (q: PractitionerFilter = {}) =>
    api.get<Page<Practitioner>>('/api/practitioners', { limit: 50, ...q }),
  create: (input: PractitionerInput) => api.post<Practitioner>('/api/practitioners', input),
  update: (id: string, input: PractitionerChanges) =>
    api.patch<Practitioner>(`/api/practitioners/${encodeURIComponent(id)}`, input),
};

export const termsApi = {
  get: () => api.get<DirectoryTerms>('/api/directory/terms'),
};
