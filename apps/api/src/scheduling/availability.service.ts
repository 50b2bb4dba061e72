import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DomainError } from '@huizhen/platform-http';
import { rangeText } from './sql';
import { assertSpecialistExists } from './known-ids';
import { RecurrenceError, instantToLocal, isValidTimeZone, localToInstant } from './recurrence';
import type { RangeQuery, UnavailabilityDto, WorkingHoursDto } from './scheduling.dto';
import { SCHEDULING_CLOCK, type SchedulingClock } from './scheduling-terms';

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
      await m.query('DELETE FROM specialist_working_hours WHERE specialist_id = $1', [
        specialistId,
      ]);
      for (const w of dto.windows) {
        await m.query(
          'INSERT INTO specialist_working_hours (specialist_id, weekday, start_local, end_local, time_zone) VALUES ($1, $2, $3, $4, $5)',
          [specialistId, w.weekday, w.start, w.end, zone],
        );
      }
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
    const clashes: { shift_id: string; s: Date; e: Date }[] = await this.db.query(
      `SELECT shift_id, lower(period) AS s, upper(period) AS e FROM shift_occurrence WHERE specialist_id = $1 AND status = 'scheduled' AND period && $2::tstzrange ORDER BY lower(period) LIMIT 20`,
      [specialistId, rangeText(start, end)],
    );
    if (clashes.length) {
      throw new DomainError(
        'unavailability_clashes_shifts',
        HttpStatus.CONFLICT,
        `${clashes.length} rostered occurrence(s) fall in this ${dto.kind}, first at ${instantToLocal(clashes[0].s, zone)} (${zone}); change or cancel those shifts first`,
        {
          occurrences: clashes.map((c) => ({ shiftId: c.shift_id, start: c.s, end: c.e })),
        },
      );
    }
    const id = await this.db.transaction(async (m) => {
      const [row]: { id: string }[] = await m.query(
        `INSERT INTO specialist_unavailability (specialist_id, kind, period, time_zone, reason, created_by) VALUES ($1, $2, tstzrange($3, $4, '[)'), $5, $6, $7) RETURNING id`,
        [specialistId, dto.kind, start, end, zone, dto.reason ?? null, actor.id],
      );
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
      return row.id;
    });
    return {
      id,
      specialistId,
      kind: dto.kind,
      start,
      end,
      timeZone: zone,
      reason: dto.reason ?? null,
    };
  }

  async removeUnavailability(actor: Actor, specialistId: string, id: string): Promise<void> {
    await this.assertManages(actor, specialistId);
    await this.db.transaction(async (m) => {
      const rows = await m.query(
        'DELETE FROM specialist_unavailability WHERE id = $1 AND specialist_id = $2 RETURNING id',
        [id, specialistId],
      );
      const deleted = Array.isArray(rows[0]) ? rows[0] : rows;
      if (!deleted.length)
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
    const away: { id: string; kind: string; s: Date; e: Date; reason: string | null }[] =
      await this.db.query(
        `SELECT id, kind, lower(period) AS s, upper(period) AS e, reason FROM specialist_unavailability WHERE specialist_id = $1 AND period && tstzrange($2, $3) ORDER BY lower(period)`,
        [specialistId, from, to],
      );
    const busy: { shift_id: string; mode: string; s: Date; e: Date; bs: Date; be: Date }[] =
      await this.db.query(
        `SELECT shift_id, mode, lower(period) AS s, upper(period) AS e, lower(blocked) AS bs, upper(blocked) AS be FROM shift_occurrence
        WHERE specialist_id = $1 AND status = 'scheduled' AND blocked && tstzrange($2, $3) ORDER BY lower(period)`,
        [specialistId, from, to],
      );
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
      ...away.map((a) => ({ start: a.s, end: a.e })),
      ...busy.map((b) => ({ start: b.bs, end: b.be })),
    ])
      .map((w) => ({ start: w.start < from ? from : w.start, end: w.end > to ? to : w.end }))
      .filter((w) => w.end > w.start);
    return {
      specialistId,
      timeZone: zone,
      workingHours: hours.windows,
      unavailability: away.map((a) => ({
        id: a.id,
        kind: a.kind,
        start: a.s,
        end: a.e,
        reason: a.reason,
      })),
      shifts: busy.map((b) => ({ shiftId: b.shift_id, mode: b.mode, start: b.s, end: b.e })),
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
    const rows: { weekday: number; s: string; e: string; time_zone: string }[] =
      await this.db.query(
        `SELECT weekday, to_char(start_local, 'HH24:MI') AS s, to_char(end_local, 'HH24:MI') AS e, time_zone FROM specialist_working_hours WHERE specialist_id = $1 ORDER BY weekday, start_local`,
        [specialistId],
      );
    if (!rows.length)
      return {
        timeZone: this.config.scheduling.defaultTimeZone,
        windows: DEFAULT_WEEK,
        recorded: false,
      };
    return {
      timeZone: rows[0].time_zone,
      windows: rows.map((r) => ({ weekday: r.weekday, start: r.s, end: r.e })),
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
