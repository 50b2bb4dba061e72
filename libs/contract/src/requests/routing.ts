import type { ForwardJobState } from '../views/routing';

/** POST /api/admin/routing-rules: exactly one destination, a peer of the rule's organization. */
export interface RoutingRuleInput {
  /** The source: studies stored for this organization are forwarded. */
  organizationId: string;
  name: string;
  /** Modality codes; none: every modality. */
  modalities?: string[];
  /** Calling AE titles of the senders; none: any sender, uploads too. */
  callingAeTitles?: string[];
  /** A DIMSE peer with host and port (C-STORE). */
  dimsePeerId?: string | null;
  /** A DICOMweb peer (STOW-RS). */
  dicomwebPeerId?: string | null;
  enabled?: boolean;
  description?: string | null;
}

/** PATCH /api/admin/routing-rules/{id}: a rule stays with its organization; naming one destination replaces the other. */
export type RoutingRuleChanges = Partial<Omit<RoutingRuleInput, 'organizationId'>>;

/** GET /api/admin/forward-jobs: one organization (or every one the admin manages), one state. */
export interface ForwardJobFilter {
  organizationId?: string;
  state?: ForwardJobState;
  /** 1-500, default 100: the most recently changed first. */
  limit?: number;
}
