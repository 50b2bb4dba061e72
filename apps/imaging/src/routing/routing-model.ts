import type { ForwardJobState } from '@huizhen/contract';

/** Where a rule sends: one peer of the rule's organization. */
export type RoutingDestination =
  | { kind: 'dimse'; peerId: string; name: string }
  | { kind: 'dicomweb'; peerId: string; name: string };

/** A rule: the organization's studies that match go to the destination as they arrive. */
export interface RoutingRule {
  id: string;
  organizationId: string;
  name: string;
  modalities: string[];
  callingAeTitles: string[];
  destination: RoutingDestination;
  enabled: boolean;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What an admin sets on a rule (the destination by peer id). */
export interface RoutingRuleFields {
  name: string;
  modalities: string[];
  callingAeTitles: string[];
  dimsePeerId: string | null;
  dicomwebPeerId: string | null;
  enabled: boolean;
  description: string | null;
}

export interface ForwardFailure {
  at: string;
  attempt: number;
  reason: string;
}

/** One study on its way to one rule's destination: a row of the durable queue. */
export interface ForwardJob {
  id: string;
  ruleId: string;
  ruleName: string;
  organizationId: string;
  studyInstanceUid: string;
  destination: RoutingDestination;
  state: ForwardJobState;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  failures: ForwardFailure[];
  instancesTotal: number;
  instancesSent: number;
  createdAt: Date;
  updatedAt: Date;
  doneAt: Date | null;
}

/** A study that arrived: which organization, and the calling AE titles that sent it (DIMSE). */
export interface StudyArrival {
  organizationId: string;
  studyInstanceUid: string;
  callingAeTitles: Set<string>;
}

/**
 * Does the rule take this study? Modalities: any of the study's (ModalitiesInStudy) is listed;
 * calling AE titles: an instance came from one of them. An empty list takes everything.
 */
export function ruleMatches(
  rule: Pick<RoutingRule, 'enabled' | 'modalities' | 'callingAeTitles'>,
  study: { modalities: string[]; callingAeTitles: Iterable<string> },
): boolean {
  if (!rule.enabled) return false;
  if (rule.modalities.length && !study.modalities.some((m) => rule.modalities.includes(m)))
    return false;
  if (rule.callingAeTitles.length) {
    const callers = [...study.callingAeTitles];
    if (!callers.some((ae) => rule.callingAeTitles.includes(ae))) return false;
  }
  return true;
}

/**
 * The delay before attempt `attempts + 1`: base, doubled per failed attempt, capped; ±20 %
 * jitter so jobs that failed together (a destination down) do not all come back at one instant.
 */
export function backoffMs(
  attempts: number,
  settings: { retryBaseSeconds: number; retryMaxSeconds: number },
  random: () => number = Math.random,
): number {
  const exp = settings.retryBaseSeconds * 1000 * 2 ** Math.max(0, attempts - 1);
  const capped = Math.min(settings.retryMaxSeconds * 1000, exp);
  return Math.round(capped * (0.8 + 0.4 * random()));
}

/**
 * Why an attempt failed. Permanent: trying again cannot help (the destination refuses us for
 * good, cannot take the instance's class or syntax, or is switched off); the job goes to the
 * dead letters at once. Otherwise it is tried again after a backoff.
 */
export class ForwardFailed extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ForwardFailed';
  }
}
