import { createHash, randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { DomainError } from '@huizhen/platform-http';
import { HOLDING_STATUSES } from './booking-store';
import { renderCalendar, type CalendarEvent } from './ical';
import { SCHEDULING_CLOCK, SHIFT_MODE_ZH, type SchedulingClock, type ShiftMode } from './scheduling-terms';

const DAY = 86_400_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * A specialist's roster as iCalendar. Calendar apps cannot send a Bearer token, so each
 * specialist may mint a secret feed URL (only its SHA-256 is stored; minting again revokes the
 * old one). The feed carries times, places and booking counts, never patient data.
 */
@Injectable()
export class CalendarFeedService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
  ) {}

  async mintToken(actor: Actor): Promise<{ token: string; path: string }> {
    if (!hasRole(actor, 'specialist')) throw new DomainError('access_denied', HttpStatus.FORBIDDEN, 'calendar feeds are for specialists');
    const token = randomBytes(32).toString('base64url');
    await this.db.transaction(async (m) => {
      await m.query(
        `INSERT INTO calendar_feed_token (specialist_id, token_hash) VALUES ($1, $2) ON CONFLICT (specialist_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now()`,
        [actor.id, sha256(token)],
      );
      await this.audit.record({ action: 'calendar_feed.mint', actor, resourceType: 'practitioner', resourceId: actor.id }, m);
    });
    return { token, path: `/api/scheduling/calendar-feeds/${token}/calendar.ics` };
  }

  async revokeToken(actor: Actor): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query('DELETE FROM calendar_feed_token WHERE specialist_id = $1', [actor.id]);
      await this.audit.record({ action: 'calendar_feed.revoke', actor, resourceType: 'practitioner', resourceId: actor.id }, m);
    });
  }

  /** For a signed-in reader: the specialist themself or a hub coordinator above their hospital. */
  async forActor(actor: Actor, specialistId: string): Promise<string> {
    if (actor.id !== specialistId) {
      const [p]: { organization_id: string }[] = await this.db.query('SELECT organization_id FROM practitioner WHERE id = $1', [specialistId]);
      if (!p) throw new DomainError('specialist_not_found', HttpStatus.NOT_FOUND, `specialist ${specialistId} does not exist`);
      const scope = await this.policy.organizationScope(actor);
      if (!hasRole(actor, 'hub_coordinator') || !scope.organizationIds.includes(p.organization_id)) {
        throw new DomainError('access_denied', HttpStatus.FORBIDDEN, 'only the specialist and the hub coordinators above their hospital read this calendar');
      }
    }
    return this.render(specialistId);
  }

  async forToken(token: string): Promise<string> {
    const [row]: { specialist_id: string }[] = await this.db.query('SELECT specialist_id FROM calendar_feed_token WHERE token_hash = $1', [sha256(token)]);
    if (!row) throw new DomainError('feed_not_found', HttpStatus.NOT_FOUND, 'no calendar feed with this address (it may have been replaced)');
    return this.render(row.specialist_id);
  }

  private async render(specialistId: string): Promise<string> {
    const now = this.clock.now();
    const from = new Date(now.getTime() - 30 * DAY);
    const to = new Date(now.getTime() + 366 * DAY);
    const [p]: { display_name: string }[] = await this.db.query('SELECT display_name FROM practitioner WHERE id = $1', [specialistId]);
    const occ: { id: string; shift_id: string; mode: ShiftMode; s: Date; e: Date; status: string; version: number; updated_at: Date; hosts: string[]; booked: number; seats: number; note: string | null }[] = await this.db.query(
      `SELECT o.id, o.shift_id, o.mode, lower(o.period) AS s, upper(o.period) AS e, o.status, sh.version, sh.updated_at, sh.note,
              ARRAY(SELECT org.name FROM organization org WHERE org.id = ANY(sh.host_organization_ids) ORDER BY org.name) AS hosts,
              (SELECT count(*)::int FROM booking b JOIN slot sl ON sl.id = b.slot_id WHERE sl.occurrence_id = o.id AND b.status = ANY($4)) AS booked,
              (SELECT coalesce(sum(capacity), 0)::int FROM slot sl WHERE sl.occurrence_id = o.id AND sl.status = 'open') AS seats
         FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id
        WHERE o.specialist_id = $1 AND o.period && tstzrange($2, $3) ORDER BY lower(o.period)`,
      [specialistId, from, to, HOLDING_STATUSES],
    );
    const bookings: { id: string; s: Date; e: Date; org: string; status: string; updated_at: Date }[] = await this.db.query(
      `SELECT b.id, lower(b.period) AS s, upper(b.period) AS e, o.name AS org, b.status, b.updated_at FROM booking b JOIN organization o ON o.id = b.requesting_organization_id
        WHERE b.specialist_id = $1 AND b.period && tstzrange($2, $3) AND b.status IN ('booked','cancelled','rescheduled','fulfilled','no_show') ORDER BY lower(b.period)`,
      [specialistId, from, to],
    );
    const events: CalendarEvent[] = [
      ...occ.map((o) => ({
        uid: `occurrence-${o.id}@huizhen`,
        start: o.s,
        end: o.e,
        summary: `${SHIFT_MODE_ZH[o.mode]}: ${o.hosts.join('、')}`,
        location: o.mode === 'on_site_visit' ? o.hosts.join('、') : undefined,
        description: `${o.mode === 'on_site_visit' ? 'On-site visit' : 'Remote clinic block'}; booked ${o.booked}/${o.seats}${o.note ? `\n${o.note}` : ''}`,
        status: o.status === 'cancelled' ? ('CANCELLED' as const) : ('CONFIRMED' as const),
        sequence: o.version,
        lastModified: o.updated_at,
      })),
      ...bookings.map((b) => ({
        uid: `booking-${b.id}@huizhen`,
        start: b.s,
        end: b.e,
        summary: `会诊预约 Consultation: ${b.org}`,
        status: b.status === 'cancelled' || b.status === 'rescheduled' ? ('CANCELLED' as const) : ('CONFIRMED' as const),
        sequence: b.status === 'booked' ? 0 : 1,
        lastModified: b.updated_at,
      })),
    ];
    return renderCalendar({ name: `Huizhen — ${p?.display_name ?? specialistId}`, events, now });
  }
}
