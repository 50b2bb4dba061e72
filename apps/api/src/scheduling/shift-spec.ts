import { HttpStatus } from '@nestjs/common';
import { DomainError } from '@huizhen/platform-http';
import type { StoredWorkingWindow } from './availability-store';
import {
  RecurrenceError,
  expandShift,
  instantToLocal,
  isValidTimeZone,
  type ShiftOccurrenceTime,
} from './recurrence';
import type { CreateShiftDto } from './scheduling.dto';
import { minutesBetweenLocal, type ShiftSpec } from './shift-store';

// A shift's rules, apart from any storage: a coordinator's request made a spec, a spec expanded
// into occurrences, an occurrence held against working hours.

/** Expands a spec into its occurrences, mapping rule problems to 400. */
export function expandSpec(spec: ShiftSpec, maxOccurrences: number): ShiftOccurrenceTime[] {
  let occ: ShiftOccurrenceTime[];
  try {
    occ = expandShift(
      {
        timeZone: spec.timeZone,
        startLocal: spec.start,
        durationMinutes: minutesBetweenLocal(spec.start, spec.end),
        rrule: spec.rrule,
        exdates: spec.exdates,
        bufferBeforeMinutes: spec.bufferBeforeMinutes,
        bufferAfterMinutes: spec.bufferAfterMinutes,
      },
      maxOccurrences,
    );
  } catch (e) {
    // invalid_rrule names what is wrong with the rule; exdates, times and zones have their own codes.
    if (e instanceof RecurrenceError)
      throw new DomainError(e.code, HttpStatus.BAD_REQUEST, e.message);
    throw e;
  }
  if (!occ.length)
    throw new DomainError(
      'no_occurrences',
      HttpStatus.BAD_REQUEST,
      'the shift has no occurrence left after its exceptions',
    );
  for (let i = 1; i < occ.length; i++) {
    if (occ[i].blockedStart < occ[i - 1].blockedEnd) {
      throw new DomainError(
        'shift_self_overlap',
        HttpStatus.BAD_REQUEST,
        `occurrences ${occ[i - 1].localStart} and ${occ[i].localStart} of this shift overlap (with buffers)`,
      );
    }
  }
  return occ;
}

/** A coordinator's shift as a spec (default zone, de-duplicated hosts, a bare RRULE), checked. */
export function specOfDto(dto: CreateShiftDto, defaultTimeZone: string): ShiftSpec {
  const timeZone = dto.timeZone ?? defaultTimeZone;
  if (!isValidTimeZone(timeZone))
    throw new DomainError(
      'invalid_time_zone',
      HttpStatus.BAD_REQUEST,
      `"${timeZone}" is not an IANA time zone (e.g. Asia/Shanghai)`,
    );
  const duration = minutesBetweenLocal(dto.start, dto.end);
  if (!(duration > 0 && duration <= 24 * 60))
    throw new DomainError(
      'invalid_shift_times',
      HttpStatus.BAD_REQUEST,
      'end should be after start, at most 24 hours later',
    );
  const slotMinutes = dto.slotMinutes;
  if (slotMinutes > duration)
    throw new DomainError(
      'invalid_slot_length',
      HttpStatus.BAD_REQUEST,
      `a ${slotMinutes}-minute slot does not fit in a ${duration}-minute shift`,
    );
  return {
    specialistId: dto.specialistId,
    hostOrganizationIds: [...new Set(dto.hostOrganizationIds)],
    mode: dto.mode,
    timeZone,
    start: dto.start,
    end: dto.end,
    rrule: dto.rrule ? dto.rrule.trim().replace(/^RRULE:/i, '') : null,
    exdates: dto.exdates ?? [],
    slotMinutes,
    slotCapacity: dto.slotCapacity ?? 1,
    bufferBeforeMinutes: dto.bufferBeforeMinutes ?? 0,
    bufferAfterMinutes: dto.bufferAfterMinutes ?? 0,
    note: dto.note ?? null,
  };
}

/** Does an occurrence lie inside one working-hours window (its weekday, its zone)? */
export function fitsWindow(o: ShiftOccurrenceTime, h: StoredWorkingWindow): boolean {
  const start = instantToLocal(o.start, h.timeZone);
  const end = instantToLocal(o.end, h.timeZone);
  if (start.slice(0, 10) !== end.slice(0, 10) && end.slice(11) !== '00:00') return false;
  const weekday = ((new Date(`${start.slice(0, 10)}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const endClock = end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : '24:00';
  return (
    weekday === h.weekday && start.slice(11) >= h.start.slice(0, 5) && endClock <= h.end.slice(0, 5)
  );
}
