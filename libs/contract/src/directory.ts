/** The directory's words: roles, organization levels, consortium kinds, titles, sexes. */

export const ROLES = ['township_doctor', 'specialist', 'hub_coordinator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ORGANIZATION_LEVELS = [
  'province_hub',
  'city_hospital',
  'county_hospital',
  'township_health_centre',
  'village_clinic',
] as const;
export type OrganizationLevel = (typeof ORGANIZATION_LEVELS)[number];

export const CONSORTIUM_KINDS = [
  'urban_medical_group',
  'county_medical_community',
  'specialty_alliance',
  'telemedicine_network',
] as const;
export type ConsortiumKind = (typeof CONSORTIUM_KINDS)[number];

export const PRACTITIONER_TITLES = ['resident', 'attending', 'associate_chief', 'chief'] as const;
export type PractitionerTitle = (typeof PRACTITIONER_TITLES)[number];

export const SEXES = ['male', 'female', 'other', 'unknown'] as const;
export type Sex = (typeof SEXES)[number];
