import { api } from './client';
import type { Page, Patient, PatientInput } from './types';

export const patientsApi = {
  search: (q: { q?: string; limit?: number; offset?: number }) =>
    api.get<Page<Patient>>('/api/patients', q),
  get: (id: string) => api.get<Patient>(`/api/patients/${encodeURIComponent(id)}`),
  register: (input: PatientInput) => api.post<Patient>('/api/patients', input),
};
