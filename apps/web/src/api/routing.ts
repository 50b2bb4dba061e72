import type {
  ForwardJobState,
  ForwardJobView,
  RoutingRuleChanges,
  RoutingRuleInput,
  RoutingRuleView,
} from '@huizhen/contract';
import { api } from './client';

export {
  FORWARD_JOB_STATES,
  type ForwardJobState,
  type ForwardJobView,
  type RoutingRuleChanges,
  type RoutingRuleInput,
  type RoutingRuleView,
} from '@huizhen/contract';

const id = (v: string) => encodeURIComponent(v);

/** Routing rules and the forward queue (/api/admin/routing-rules, /api/admin/forward-jobs). */
export const routingApi = {
  listRules: () => api.get<{ items: RoutingRuleView[] }>('/api/admin/routing-rules'),
  createRule: (input: RoutingRuleInput) =>
    api.post<RoutingRuleView>('/api/admin/routing-rules', input),
  updateRule: (ruleId: string, changes: RoutingRuleChanges) =>
    api.patch<RoutingRuleView>(`/api/admin/routing-rules/${id(ruleId)}`, changes),
  deleteRule: (ruleId: string) =>
    api.request<RoutingRuleView>('DELETE', `/api/admin/routing-rules/${id(ruleId)}`, {}),
  listJobs: (state?: ForwardJobState) =>
    api.get<{ items: ForwardJobView[] }>('/api/admin/forward-jobs', state ? { state } : {}),
  retryJob: (jobId: string) =>
    api.post<ForwardJobView>(`/api/admin/forward-jobs/${id(jobId)}/retry`),
  discardJob: (jobId: string) =>
    api.request<ForwardJobView>('DELETE', `/api/admin/forward-jobs/${id(jobId)}`, {}),
};
