import type { Sex } from '../directory';
import type { PageFilter } from './page';

/** POST /api/patients: registered at the asking doctor's organization. */
export interface PatientInput {
  name: string;
  /** Read from nationalId when left out (its 17th digit). */
  sex?: Sex;
  /** YYYY-MM-DD; read from nationalId when left out (digits 7-14). */
  birthDate?: string;
  /** The 18-character resident identity number (GB 11643), checksum checked. */
  nationalId?: string;
  phone?: string;
  address?: string;
}

/** PATCH /api/patients/{id}. */
export type PatientChanges = Partial<PatientInput>;

/** GET /api/patients: a name (partial, fuzzy) or an exact national ID. */
export interface PatientFilter extends PageFilter {
  q?: string;
  nationalId?: string;
}
