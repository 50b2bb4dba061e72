import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@huizhen/observability';

/** Prometheus view of the consultation flow; per-institution figures come from SQL (metrics route). */
export const consultationTransitions = new Counter({
  name: 'huizhen_consultation_transitions_total',
  help: 'Consultation status transitions by transition, urgency and specialty',
  labelNames: ['transition', 'urgency', 'specialty'] as const,
  registers: [metricsRegistry],
});

const MINUTE_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800, 604800];

export const consultationClaimSeconds = new Histogram({
  name: 'huizhen_consultation_claim_seconds',
  help: 'Time from submission to claim',
  labelNames: ['urgency'] as const,
  buckets: MINUTE_BUCKETS,
  registers: [metricsRegistry],
});

export const consultationTurnaroundSeconds = new Histogram({
  name: 'huizhen_consultation_report_turnaround_seconds',
  help: 'Time from submission to signed report',
  labelNames: ['urgency'] as const,
  buckets: MINUTE_BUCKETS,
  registers: [metricsRegistry],
});
