/** Directory answers as the web reads them (dates as ISO strings): organizations, consortia, practitioners, the signed-in profile. */
import type { ConsortiumKind, OrganizationLevel, PractitionerTitle, Role } from '../directory';

export interface Organization {
  id: string;
  name: string;
  level: OrganizationLevel;
  parentId: string | null;
  /** 6-digit administrative region code. */
  regionCode: string;
  active: boolean;
  /** ISO date-time. */
  createdAt: string;
  /** ISO date-time. */
  updatedAt: string;
  /** The level in Chinese (on reads of one organization). */
  levelName?: string;
}

/** A medical consortium (医联体) and its member organizations. */
export interface Consortium {
  id: string;
  name: string;
  kind: ConsortiumKind;
  leadOrganizationId: string;
  /** Member organizations (the lead is always one). */
  memberIds: string[];
  /** ISO date-time. */
  createdAt: string;
  /** ISO date-time. */
  updatedAt: string;
  /** The kind in Chinese (on reads of one consortium). */
  kindName?: string;
}

/** A practitioner's account as the directory shows it (never a password). */
export interface Practitioner {
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  roles: Role[];
  specialty: string | null;
  title: PractitionerTitle | null;
  active: boolean;
  /** ISO date-time. */
  createdAt: string;
  /** ISO date-time. */
  updatedAt: string;
  /** The specialty in Chinese (on reads of one practitioner). */
  specialtyName?: string | null;
  /** The title in Chinese (on reads of one practitioner). */
  titleName?: string | null;
}

/** Code lists of the directory (GET /api/directory/terms), names in Chinese. */
export interface DirectoryTerms {
  specialties: Record<string, string>;
  titles: Record<PractitionerTitle, string>;
  organizationLevels: Record<OrganizationLevel, string>;
  consortiumKinds: Record<ConsortiumKind, string>;
}

/** The signed-in practitioner (GET /api/me), with the Chinese names of their codes. */
export interface Profile {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  specialty: string | null;
  /** The specialty in Chinese (科室). */
  specialtyName: string | null;
  title: PractitionerTitle | null;
  titleName: string | null;
  organizationId: string;
  organizationName: string;
  organizationLevel: OrganizationLevel;
  organizationLevelName: string;
}

/** What logging in and refreshing answer. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token lives. */
  expiresIn: number;
}
