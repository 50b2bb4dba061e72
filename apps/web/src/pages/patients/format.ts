import dayjs from 'dayjs';

/** Whole years between the birth date and today. */
export function ageOf(birthDate: string, today = dayjs()): number {
  return today.diff(dayjs(birthDate), 'year');
}
