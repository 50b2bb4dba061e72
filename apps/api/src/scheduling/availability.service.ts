import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DomainError } from '@huizhen/platform-http';
import { AvailabilityStore } from './availability-store';
import { assertSpecialistExists } from './known-ids';
import { RecurrenceError, instantToLocal, isValidTimeZone, localToInstant } from './recurrence';
import type { RangeQuery, UnavailabilityDto, WorkingHoursDto } from './scheduling.dto';
import { SCHEDULING_CLOCK, type SchedulingClock } from './scheduling-terms';
import { ShiftStore } from './shift-store';

export interface WorkingWindow {
  weekday: number;
  start: string;
  end: string;
}
export interface Interval {
  start: Date;
  end: Date;
}

/** Working-hours windows of one local day, as instants (a window inside a DST gap moves with luxon). */
export function windowsOnDay(date: string, hours: WorkingWindow[], zone: string): Interval[] {
  const weekday = DateTime.fromISO(date, { zone }).weekday;
  return hours
    .filter((h) => h.weekday === weekday)
    .map((h) => ({
      start: localToInstant(`${date}T${h.start}`, zone),
      end: localToInstant(`${date}T${h.end}`, zone),
    }))
    .filter((w) => w.end > w.start);
}

/** `base` minus every interval of `cut`. */
export function subtract(base: Interval[], cut: Interval[]): Interval[] {
  let out = base;
  for (const c of cut) {
    out = out.flatMap((b) => {
      if (c.end <= b.start || c.start >= b.end) return [b];
      const parts: Interval[] = [];
      if (c.start > b.start) parts.push({ start: b.start, end: c.start });
      if (c.end < b.end) parts.push({ start: c.end, end: b.end });
      return parts;
    });
  }
  return out;
}

/**
 * A specialist's availability: weekly working hours in their zone, leave and other commitments
 * (stored as UTC instants with the zone they were stated in), and the free time that remains
 * once shifts are taken out.
 */
@Injectable()
export class AvailabilityService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly store: AvailabilityStore,
    private readonly shifts: ShiftStore,
  ) {}

  async setWorkingHours(actor: Actor, specialistId: string, dto: WorkingHoursDto) {
    await this.assertManages(actor, specialistId);
    const zone = this.zone(dto.timeZone);
    for (const w of dto.windows)
      if (w.end <= w.start)
        throw new DomainError(
          'invalid_window',
          HttpStatus.BAD_REQUEST,
          `weekday ${w.weekday}: end ${w.end} should be after start ${w.start}`,
        );
    await this.db.transaction(async (m) => {
      await this.store.replaceWindows(m, specialistId, dto.windows, zone);
      await this.audit.record(
        {
          action: 'availability.working_hours',
          actor,
          resourceType: 'practitioner',
          resourceId: specialistId,
          details: { windows: dto.windows.length, timeZone: zone },
        },
        m,
      );
    });
    return this.workingHours(specialistId);
  }

  async addUnavailability(actor: Actor, specialistId: string, dto: UnavailabilityDto) {
    await this.assertManages(actor, specialistId);
    const zone = this.zone(dto.timeZone);
    let start: Date;
    let end: Date;
    try {
      start = localToInstant(dto.start, zone);
      end = localToInstant(dto.end, zone);
    } catch (e) {
      if (e instanceof RecurrenceError)
        throw new DomainError('invalid_time', HttpStatus.BAD_REQUEST, e.message);
      throw e;
    }
    if (end <= start)
      throw new DomainError('invalid_range', HttpStatus.BAD_REQUEST, 'end should be after start');
    const clashes = await this.shifts.scheduledIn(specialistId, start, end);
    if (clashes.length) {
      throw new DomainError(
        'unavailability_clashes_shifts',
        HttpStatus.CONFLICT,
        `${clashes.length} rostered occurrence(s) fall in this ${dto.kind}, first at ${instantToLocal(clashes[0].start, zone)} (${zone}); change or cancel those shifts first`,
        {
          occurrences: clashes.map((c) => ({ shiftId: c.shiftId, start: c.start, end: c.end })),
        },
      );
    }
    const entry = {
      specialistId,
      kind: dto.kind,
      start,
      end,
      timeZone: zone,
      reason: dto.reason ?? null,
    };
    const id = await this.db.transaction(async (m) => {
      const added = await this.store.addUnavailability(m, { ...entry, createdBy: actor.id });
      await this.audit.record(
        {
          action: 'availability.unavailable',
          actor,
          resourceType: 'practitioner',
          resourceId: specialistId,
          details: { kind: dto.kind, start: start.toISOString(), end: end.toISOString() },
        },
        m,
      );
      return added;
    });
    return { id, ...entry };
  }

  async removeUnavailability(actor: Actor, specialistId: string, id: string): Promise<void> {
    await this.assertManages(actor, specialistId);
    await this.db.transaction(async (m) => {
      if (!(await this.store.removeUnavailability(m, specialistId, id)))
        throw new DomainError(
          'unavailability_not_found',
          HttpStatus.NOT_FOUND,
          `no such leave or commitment ${id}`,
        );
      await this.audit.record(
        {
          action: 'availability.unavailable_removed',
          actor,
          resourceType: 'practitioner',
          resourceId: specialistId,
          details: { id },
        },
        m,
      );
    });
  }

  /** Working hours, leave/commitments and shifts in a range, and the free windows left (at most 62 days). */
  async availability(actor: Actor, specialistId: string, q: RangeQuery) {
    await assertSpecialistExists(this.db, specialistId);
    await this.policy.assert(actor, 'read', { type: 'practitioner', id: specialistId });
    const from = q.from ? new Date(q.from) : this.clock.now();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 14 * 86_400_000);
    if (!(to > from) || to.getTime() - from.getTime() > 62 * 86_400_000)
      throw new DomainError(
        'invalid_range',
        HttpStatus.BAD_REQUEST,
        'the range should be positive and at most 62 days',
      );
    const hours = await this.workingHours(specialistId);
    const away = await this.store.unavailableIn(specialistId, from, to);
    const busy = await this.shifts.blockedIn(specialistId, from, to);
    const zone = hours.timeZone;
    let windows: Interval[] = [];
    for (
      let d = DateTime.fromJSDate(from, { zone }).startOf('day');
      d.toJSDate() < to;
      d = d.plus({ days: 1 })
    ) {
      windows.push(...windowsOnDay(d.toISODate()!, hours.windows, zone));
    }
    windows = subtract(windows, [
      ...away,
      ...busy.map((b) => ({ start: b.blockedStart, end: b.blockedEnd })),
    ])
      .map((w) => ({ start: w.start < from ? from : w.start, end: w.end > to ? to : w.end }))
      .filter((w) => w.end > w.start);
    return {
      specialistId,
      timeZone: zone,
      workingHours: hours.windows,
      unavailability: away.map(({ id, kind, start, end, reason }) => ({
        id,
        kind,
        start,
        end,
        reason,
      })),
      shifts: busy.map(({ shiftId, mode, start, end }) => ({ shiftId, mode, start, end })),
      free: windows.map((w) => ({
        ...w,
        localStart: instantToLocal(w.start, zone),
        localEnd: instantToLocal(w.end, zone),
      })),
    };
  }

  /** Recorded working hours, or (when none) the default Monday–Friday 08:00–17:00 the planner assumes. */
  async workingHours(
    specialistId: string,
  ): Promise<{ timeZone: string; windows: WorkingWindow[]; recorded: boolean }> {
    const rows = await this.store.windows(specialistId);
    if (!rows.length)
      return {
        timeZone: this.config.scheduling.defaultTimeZone,
        windows: DEFAULT_WEEK,
        recorded: false,
      };
    return {
      timeZone: rows[0].timeZone,
      windows: rows.map((r) => ({ weekday: r.weekday, start: r.start, end: r.end })),
      recorded: true,
    };
  }

  private zone(z: string | undefined): string {
    const zone = z ?? this.config.scheduling.defaultTimeZone;
    if (!isValidTimeZone(zone))
      throw new DomainError(
        'invalid_time_zone',
        HttpStatus.BAD_REQUEST,
        `"${zone}" is not an IANA time zone (e.g. Asia/Shanghai)`,
      );
    return zone;
  }

  /** The specialist themself, or a hub coordinator above the specialist's hospital. */
  private async assertManages(actor: Actor, specialistId: string): Promise<void> {
    const p = await assertSpecialistExists(this.db, specialistId);
    if (actor.id === specialistId) return;
    await this.policy.assert(actor, 'manage', {
      type: 'rotation_shift',
      organizationId: p.organizationId,
    });
  }
}

export const DEFAULT_WEEK: WorkingWindow[] = [1, 2, 3, 4, 5].map((weekday) => ({
  weekday,
  start: '08:00',
  end: '17:00',
}));
