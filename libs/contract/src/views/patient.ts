/** Patient answers as the web reads them (dates as ISO strings). */
import type { Sex } from '../directory';

export interface Patient {
  id: string;
  organizationId: string;
  name: string;
  sex: Sex;
  /** YYYY-MM-DD */
  birthDate: string;
  /** The API never answers the full national ID: a masked form when the patient has one. */
  nationalIdMasked: string | null;
  phone: string | null;
  address: string | null;
  /** ISO date-time. */
  createdAt: string;
}
