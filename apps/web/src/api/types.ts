/**
 * Shapes of the platform's HTTP API as the web client uses them (see the server's OpenAPI at
 * /api/docs). The answers and the words (roles, levels, kinds, titles, sexes) are the shared
 * contract's (libs/contract): a change to the server's answer breaks this compile. What the web
 * sends (the …Input shapes) is spelled here.
 */
import type { Practitioner as ContractPractitioner } from '@huizhen/contract';

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
export type {
  Consortium,
  DirectoryTerms,
  Organization,
  Page,
  Patient,
  Profile,
} from '@huizhen/contract';

/** A practitioner as the directory answers it. */
export type Practitioner = ContractPractitioner;

export type {
  ConsortiumChanges,
  ConsortiumInput,
  OrganizationChanges,
  OrganizationFilter,
  OrganizationInput,
  PatientFilter,
  PatientInput,
  PractitionerChanges,
  PractitionerFilter,
  PractitionerInput,
} from '@huizhen/contract';
