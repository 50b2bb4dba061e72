import type { ConfirmArrivalInput, RejectArrivalInput, WorklistArrival } from '@huizhen/contract';
import { api } from './client';

export {
  type PatientMismatch,
  type RequestedExam,
  type WorklistArrival,
  type WorklistArrivalStatus,
} from '@huizhen/contract';

const id = (v: string) => encodeURIComponent(v);

/** Studies that arrived for a consultation's requested exam (modality worklist), and the decision on a held one. */
export const worklistApi = {
  arrivals: (consultationId: string) =>
    api.get<WorklistArrival[]>(`/api/imaging/consultations/${id(consultationId)}/arrivals`),
  confirm: (arrivalId: string, input: ConfirmArrivalInput) =>
    api.post<WorklistArrival>(`/api/imaging/arrivals/${id(arrivalId)}/confirm`, input),
  reject: (arrivalId: string, input: RejectArrivalInput) =>
    api.post<WorklistArrival>(`/api/imaging/arrivals/${id(arrivalId)}/reject`, input),
};
