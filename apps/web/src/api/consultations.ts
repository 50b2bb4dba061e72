/**
 * Consultation requests (/api/consultations) and the referrals their reports recommend
 * (/api/referrals), as the server answers them. Dates arrive as ISO strings.
 */
import { api } from './client';
import { ApiError } from './http';
import type {
  AddendumInput,
  AttachStudyInput,
  AttachedStudy,
  ConsultationDetail,
  ConsultationInput,
  DownReferralInput,
  MessageInput,
  MessagesFilter,
  ReasonInput,
  ReferralAnswer,
  ReferralBox,
  ReferralFilter,
  ReferralInput,
  ReportDraftInput,
  WorklistFilter,
  ConsultationReport,
  ConsultationSummary,
  ListedReferral,
  Page,
  PostedMessage,
  Referral,
  ReportVerification,
  ReportWithAddenda,
  SignedConsultation,
  Thread,
  WorklistPage,
} from '@huizhen/contract';
/** The answers' shapes are the contract's: a change to the server's answer breaks this compile. */
export type {
  AttachedStudy,
  CallRecord,
  ConsultationAttachment,
  ConsultationDetail,
  ConsultationParticipant,
  ConsultationReport,
  ConsultationSummary,
  ListedReferral,
  PostedMessage,
  ReadReceipt,
  Referral,
  ReferralDetail,
  ReportVerification,
  ReportWithAddenda,
  SignatureCheck,
  SignedConsultation,
  StatusHistoryEntry,
  Thread,
  ThreadFile,
  ThreadMessage,
  WorklistBox,
  WorklistItem,
  WorklistPage,
} from '@huizhen/contract';

// The words are the shared contract's (libs/contract), never copied here.
export {
  CONSULTATION_MODES,
  CONSULTATION_STATUSES,
  CONSULTATION_TRANSITIONS,
  RECOMMENDATIONS,
  REFERRAL_STATUSES,
  URGENCIES,
  WORKLIST_BOXES,
} from '@huizhen/contract';
export type {
  ConsultationMode,
  ConsultationStatus,
  HistoryTransition,
  ParticipantRole,
  QueueLevel,
  Recommendation,
  ReferralStatus,
  Transition,
  Urgency,
} from '@huizhen/contract';

export type { ConsultationInput, ReportDraftInput as ReportDraft } from '@huizhen/contract';

const path = (id: string, rest = '') => `/api/consultations/${encodeURIComponent(id)}${rest}`;

export const consultationsApi = {
  create: (input: ConsultationInput) => api.post<ConsultationSummary>('/api/consultations', input),
  get: (id: string) => api.get<ConsultationDetail>(path(id)),
  worklist: (q: Pick<WorklistFilter, 'box' | 'status' | 'cursor' | 'limit'> = {}) =>
    api.get<WorklistPage>('/api/consultations/worklist', {
      box: q.box,
      status: q.status?.join(','),
      cursor: q.cursor,
      limit: q.limit,
    }),
  submit: (id: string) => api.post<ConsultationSummary>(path(id, '/submit')),
  claim: (id: string) => api.post<ConsultationSummary>(path(id, '/claim')),
  decline: (id: string, reason: string) =>
    api.post<ConsultationSummary>(path(id, '/decline'), { reason } satisfies ReasonInput),
  cancel: (id: string, reason: string) =>
    api.post<ConsultationSummary>(path(id, '/cancel'), { reason } satisfies ReasonInput),
  close: (id: string) => api.post<ConsultationSummary>(path(id, '/close')),
  /** The assigned specialist opened the live room: the consultation is in session (视频会诊中). */
  startSession: (id: string) => api.post<ConsultationSummary>(path(id, '/start-session')),
  attachStudy: (id: string, studyInstanceUid: string) =>
    api.post<AttachedStudy>(path(id, '/attachments/studies'), {
      studyInstanceUid,
    } satisfies AttachStudyInput),
  messages: (id: string, after?: number) =>
    api.get<Thread>(path(id, '/messages'), { after, limit: 200 } satisfies MessagesFilter),
  postMessage: (id: string, body: string) =>
    api.post<PostedMessage>(path(id, '/messages'), { body } satisfies MessageInput),
  /** The signed report (or the caller's own draft); null while there is none. */
  report: async (id: string): Promise<ReportWithAddenda | null> => {
    try {
      return await api.get<ReportWithAddenda>(path(id, '/report'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  },
  saveReport: (id: string, draft: ReportDraftInput) =>
    api.request<ConsultationReport>('PUT', path(id, '/report'), { body: draft }),
  signReport: (id: string) => api.post<SignedConsultation>(path(id, '/report/sign')),
  /** A signed addendum to the signed report (its author only): text, and a corrected impression when it changes. */
  addAddendum: (id: string, input: AddendumInput) =>
    api.post<ConsultationReport>(path(id, '/report/addenda'), input),
  verifyReport: (id: string) => api.get<ReportVerification>(path(id, '/report/verify')),
  /** The signed report as PDF, fetched with the token (a plain link would carry none). */
  reportPdf: async (id: string): Promise<Blob> => {
    const token = await api.freshAccessToken();
    const res = await fetch(path(id, '/report/pdf'), {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    if (!res.ok) throw new ApiError(res.status, res.statusText, `HTTP ${res.status}`);
    return res.blob();
  },
};

export const referralsApi = {
  list: (box: ReferralBox) =>
    api.get<Page<ListedReferral>>('/api/referrals', { box, limit: 200 } satisfies ReferralFilter),
  create: (input: ReferralInput) => api.post<Referral>('/api/referrals', input),
  /** The receiving organization takes the patient (an optional note for the sender). */
  accept: (id: string, note?: string) =>
    api.post<Referral>(
      `/api/referrals/${encodeURIComponent(id)}/accept`,
      (note ? { note } : {}) satisfies ReferralAnswer,
    ),
  decline: (id: string, reason: string) =>
    api.post<Referral>(`/api/referrals/${encodeURIComponent(id)}/decline`, {
      reason,
    } satisfies ReasonInput),
  /** The sender withdraws a referral not yet answered. */
  cancel: (id: string) => api.post<Referral>(`/api/referrals/${encodeURIComponent(id)}/cancel`),
  /** Back down to the township with a follow-up plan, after an accepted up-referral. */
  down: (id: string, input: DownReferralInput) =>
    api.post<Referral>(`/api/referrals/${encodeURIComponent(id)}/down-referral`, input),
};
