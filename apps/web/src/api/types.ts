/**
 * Shapes of the platform's HTTP API as the web client uses them (see the server's OpenAPI at
 * /api/docs). The words (roles, levels, kinds, titles, sexes) are the shared contract's (libs/contract).
 */
import type {
  ConsortiumKind,
  OrganizationLevel,
  PractitionerTitle,
  Role,
  Sex,
} from '@huizhen/contract';

export {
  CONSORTIUM_KINDS,
  ORGANIZATION_LEVELS,
  PRACTITIONER_TITLES,
  ROLES,
  SEXES,
} from '@huizhen/contract';
export type {
  ConsortiumKind,
  OrganizationLevel,
  PractitionerTitle,
  Role,
  Sex,
} from '@huizhen/contract';

export interface Profile {
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  organizationName: string;
  roles: Role[];
  specialty: string | null;
  /** Chinese name of the specialty (科室), from the server. */
  specialtyName?: string | null;
  title: PractitionerTitle | null;
  organizationLevel?: OrganizationLevel;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Organization {
  id: string;
  name: string;
  level: OrganizationLevel;
  parentId: string | null;
  regionCode: string;
  active?: boolean;
}

export interface OrganizationInput {
  name: string;
  level: OrganizationLevel;
  parentId?: string | null;
  regionCode: string;
}

export interface Consortium {
  id: string;
  name: string;
  kind: ConsortiumKind;
  leadOrganizationId: string;
  /** Member organizations (the lead is always one). */
  memberIds: string[];
}

export interface ConsortiumInput {
  name: string;
  kind: ConsortiumKind;
  leadOrganizationId: string;
  memberIds: string[];
}

export interface Practitioner {
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  organizationName?: string;
  roles: Role[];
  specialty: string | null;
  title: PractitionerTitle | null;
  active?: boolean;
}

export interface PractitionerInput {
  username?: string;
  password?: string;
  displayName: string;
  organizationId: string;
  roles: Role[];
  specialty?: string | null;
  title?: PractitionerTitle | null;
  active?: boolean;
}

/** Code lists of the directory (GET /api/directory/terms), names in Chinese. */
export interface DirectoryTerms {
  specialties: Record<string, string>;
  titles: Record<PractitionerTitle, string>;
  organizationLevels: Record<OrganizationLevel, string>;
  consortiumKinds: Record<ConsortiumKind, string>;
}

export interface Patient {
  id: string;
  organizationId: string;
  name: string;
  sex: Sex;
  /** YYYY-MM-DD */
  birthDate: string;
  phone?: string | null;
  address?: string | null;
  /** The API never returns the full national ID; a masked form when it has one. */
  nationalIdMasked?: string | null;
  createdAt?: string;
}

export interface PatientInput {
  name: string;
  sex: Sex;
  birthDate: string;
  nationalId?: string;
  phone?: string;
  address?: string;
}
