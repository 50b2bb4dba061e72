import type { ConsortiumKind, OrganizationLevel, PractitionerTitle, Role } from '../directory';
import type { PageFilter } from './page';

/** POST /api/organizations. */
export interface OrganizationInput {
  name: string;
  level: OrganizationLevel;
  parentId?: string | null;
  /** The 6-digit administrative region code. */
  regionCode: string;
}

/** PATCH /api/organizations/{id}: any field, and switching the organization off. */
export interface OrganizationChanges extends Partial<OrganizationInput> {
  active?: boolean;
}

/** GET /api/organizations. */
export interface OrganizationFilter extends PageFilter {
  level?: OrganizationLevel;
  parentId?: string;
  q?: string;
}

/** POST /api/consortia (the lead joins the members when missing). */
export interface ConsortiumInput {
  name: string;
  kind: ConsortiumKind;
  leadOrganizationId: string;
  memberIds: string[];
}

/** PATCH /api/consortia/{id}. */
export type ConsortiumChanges = Partial<ConsortiumInput>;

/** GET /api/consortia. */
export interface ConsortiumFilter extends PageFilter {
  kind?: ConsortiumKind;
  organizationId?: string;
}

/** POST /api/practitioners: a login of the platform. */
export interface PractitionerInput {
  username: string;
  displayName: string;
  /** At least 10 characters with letters and digits. */
  password: string;
  organizationId: string;
  roles: Role[];
  specialty?: string | null;
  title?: PractitionerTitle | null;
}

/** PATCH /api/practitioners/{id}: a new password ends the practitioner's sessions. */
export interface PractitionerChanges extends Partial<PractitionerInput> {
  active?: boolean;
}

/** GET /api/practitioners. */
export interface PractitionerFilter extends PageFilter {
  organizationId?: string;
  specialty?: string;
  role?: Role;
  q?: string;
}
