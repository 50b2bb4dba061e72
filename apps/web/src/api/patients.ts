import { api } from './client';
import type { Page, Patient, PatientFilter, PatientInput } from './types';

export const patientsApi = {
  search: (q: PatientFilter) => api.get<Page<Patient>>('/api/patients', { ...q }),
  get: (id: string) => api.get<Patient>(`/api/patients/${encodeURIComponent(id)}`),
  register: (input: PatientInput) => api.post<Patient>('/api/patients', input),
};
