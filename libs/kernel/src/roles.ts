/** What a practitioner may act as (DESIGN.md); a practitioner holds one or more. */
export const ROLES = ['township_doctor', 'specialist', 'hub_coordinator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
