import { Counter } from 'prom-client';
import { metricsRegistry } from '@huizhen/observability';

export const referralEvents = new Counter({
  name: 'huizhen_referrals_total',
  help: 'Referrals by direction, outcome and green channel',
  labelNames: ['direction', 'event', 'green_channel'] as const,
  registers: [metricsRegistry],
});
