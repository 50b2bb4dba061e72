/** Where consultations read the time: deadlines, claim and report times. Tests substitute their own. */
export interface Clock {
  now(): Date;
}

export const CONSULTATION_CLOCK = Symbol('CONSULTATION_CLOCK');
