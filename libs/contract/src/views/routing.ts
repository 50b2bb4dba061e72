/**
 * Routing: rules that forward an organization's studies on arrival to a destination it
 * registered (a DIMSE peer by C-STORE, a DICOMweb peer by STOW-RS), and the durable queue of
 * forward jobs (one per rule and study) with its progress and dead letters.
 */

/**
 * A forward job's life: waiting for the study to go quiet or for its next attempt (`queued`),
 * being sent by one node (`sending`), everything sent (`done`), given up (`dead`: a permanent
 * refusal, or too many attempts) until an admin retries or discards it.
 */
export const FORWARD_JOB_STATES = ['queued', 'sending', 'done', 'dead'] as const;
export type ForwardJobState = (typeof FORWARD_JOB_STATES)[number];

/** Where a rule sends: exactly one of the two peers, of the rule's organization. */
export interface RoutingDestinationView {
  kind: 'dimse' | 'dicomweb';
  peerId: string;
  /** The AE title or the DICOMweb peer's name. */
  name: string;
}

/** A routing rule as its admins see it. Empty filters match everything. */
export interface RoutingRuleView {
  id: string;
  /** The source: studies stored for this organization are forwarded. */
  organizationId: string;
  name: string;
  /** Modalities (0008,0060) any series of the study must have one of, e.g. ["CT"]. */
  modalities: string[];
  /** Calling AE titles of the senders (DIMSE) the instances must come from. */
  callingAeTitles: string[];
  destination: RoutingDestinationView;
  enabled: boolean;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One reason a forward attempt failed. */
export interface ForwardFailureView {
  at: string;
  attempt: number;
  reason: string;
}

/** One study on its way to one destination: the queue's row, with its progress. */
export interface ForwardJobView {
  id: string;
  ruleId: string;
  ruleName: string;
  organizationId: string;
  studyInstanceUid: string;
  destination: RoutingDestinationView;
  state: ForwardJobState;
  /** Attempts made so far (each claim by a node is one). */
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  /** The newest first, at most ten. */
  failures: ForwardFailureView[];
  /** The study's instances when the last attempt started, and how many of them the destination acknowledged. */
  instancesTotal: number;
  instancesSent: number;
  createdAt: string;
  updatedAt: string;
  doneAt: string | null;
}
