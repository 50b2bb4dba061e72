import { HttpStatus } from '@nestjs/common';
import type { PolicyAction } from '@huizhen/access-policy';
import { DomainError } from '@huizhen/platform-http';
import type { ConsultationMode, ConsultationStatus, Transition } from '@huizhen/contract';

/**
 * The one state machine of a consultation request. Every status change is one of these
 * transitions (their names and the statuses are the contract's: CONSULTATION_TRANSITIONS,
 * CONSULTATION_STATUSES in libs/contract), written by ConsultationTransitions (the only writer of
 * status) in one transaction, checked against this table.
 *
 *   draft ─submit→ submitted ─claim→ claimed ─schedule→ scheduled ─start_session→ in_session
 *                  ↑  │  ↺escalate        │  └──────────start_session──────────┘     │
 *                  └──decline─────────────┘        (claimed | scheduled | in_session) ─sign_report→ reported ─close→ closed
 *   submitted ─expire→ expired            draft | submitted | claimed | scheduled ─cancel→ cancelled
 *   scheduled ─unschedule→ claimed   (its booked slot was cancelled, see ConsultationSlotBookings.appointmentCancelled)
 */
export type { Transition };

export interface TransitionRule {
  from: readonly ConsultationStatus[];
  to: ConsultationStatus;
  /**
   * What the access policy is asked; null = no route of its own: the system's move (deadline
   * sweep, no actor) or one that follows a booking in scheduling (whose policy check it rests on).
   */
  action: PolicyAction | null;
  /** Only the assigned specialist may make it (on top of the policy's answer). */
  assignedOnly?: boolean;
  /** Only clinicians of the requesting organization may make it. */
  requesterSide?: boolean;
  /** Modes the transition applies to. */
  modes?: readonly ConsultationMode[];
}

const LIVE: readonly ConsultationMode[] = ['live_video', 'both'];

export const TRANSITIONS: Record<Transition, TransitionRule> = {
  submit: { from: ['draft'], to: 'submitted', action: 'update', requesterSide: true },
  claim: { from: ['submitted'], to: 'claimed', action: 'claim' },
  decline: {
    from: ['claimed', 'scheduled'],
    to: 'submitted',
    action: 'update',
    assignedOnly: true,
  },
  schedule: {
    from: ['claimed', 'scheduled'],
    to: 'scheduled',
    action: 'update',
    assignedOnly: true,
    modes: LIVE,
  },
  unschedule: { from: ['scheduled'], to: 'claimed', action: null, modes: LIVE },
  start_session: {
    from: ['claimed', 'scheduled'],
    to: 'in_session',
    action: 'join',
    assignedOnly: true,
    modes: LIVE,
  },
  sign_report: {
    from: ['claimed', 'scheduled', 'in_session'],
    to: 'reported',
    action: 'sign',
    assignedOnly: true,
  },
  close: { from: ['reported'], to: 'closed', action: 'update', requesterSide: true },
  cancel: {
    from: ['draft', 'submitted', 'claimed', 'scheduled'],
    to: 'cancelled',
    action: 'update',
    requesterSide: true,
  },
  escalate: { from: ['submitted'], to: 'submitted', action: null },
  expire: { from: ['submitted'], to: 'expired', action: null },
};

/** Throws 409 with the current state (and what would be legal) unless the transition applies. */
export function checkTransition(
  transition: Transition,
  current: ConsultationStatus,
  mode: ConsultationMode,
): TransitionRule {
  const rule = TRANSITIONS[transition];
  if (!rule.from.includes(current)) {
    throw new DomainError(
      'illegal_transition',
      HttpStatus.CONFLICT,
      `cannot ${transition.replace('_', ' ')} a consultation that is ${current}`,
      {
        status: current,
        transition,
        allowedFrom: rule.from,
        allowedNow: legalTransitions(current, mode),
      },
    );
  }
  if (rule.modes && !rule.modes.includes(mode)) {
    throw new DomainError(
      'illegal_transition',
      HttpStatus.CONFLICT,
      `cannot ${transition.replace('_', ' ')} a ${mode} consultation`,
      {
        status: current,
        transition,
        mode,
        allowedNow: legalTransitions(current, mode),
      },
    );
  }
  return rule;
}

/** Transitions a person could make from this state (system moves left out). */
export function legalTransitions(
  current: ConsultationStatus,
  mode: ConsultationMode,
): Transition[] {
  return (Object.keys(TRANSITIONS) as Transition[]).filter((t) => {
    const r = TRANSITIONS[t];
    return r.action !== null && r.from.includes(current) && (!r.modes || r.modes.includes(mode));
  });
}
