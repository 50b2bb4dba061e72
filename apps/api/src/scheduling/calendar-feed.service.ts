import { createHash, randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { DomainError } from '@huizhen/platform-http';
import { CalendarFeedStore } from './calendar-feed-store';
import { renderCalendar, type CalendarEvent } from './ical';
import { practitionerCard } from './known-ids';
import { SCHEDULING_CLOCK, SHIFT_MODE_ZH, type SchedulingClock } from './scheduling-terms';

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
    private readonly store: CalendarFeedStore,
  ) {}

  async mintToken(actor: Actor): Promise<{ token: string; path: string }> {
    if (!hasRole(actor, 'specialist'))
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'calendar feeds are for specialists',
      );
    const token = randomBytes(32).toString('base64url');
    await this.db.transaction(async (m) => {
      await this.store.replaceToken(m, actor.id, sha256(token));
      await this.audit.record(
        { action: 'calendar_feed.mint', actor, resourceType: 'practitioner', resourceId: actor.id },
        m,
      );
    });
    return { token, path: `/api/scheduling/calendar-feeds/${token}/calendar.ics` };
  }

  async revokeToken(actor: Actor): Promise<void> {
    await this.db.transaction(async (m) => {
      await this.store.removeToken(m, actor.id);
      await this.audit.record(
        {
          action: 'calendar_feed.revoke',
          actor,
          resourceType: 'practitioner',
          resourceId: actor.id,
        },
        m,
      );
    });
  }

  /** For a signed-in reader: the specialist themself or a hub coordinator above their hospital. */
  async forActor(actor: Actor, specialistId: string): Promise<string> {
    if (actor.id !== specialistId) {
      const p = await practitionerCard(this.db, specialistId);
      if (!p)
        throw new DomainError(
          'specialist_not_found',
          HttpStatus.NOT_FOUND,
          `specialist ${specialistId} does not exist`,
        );
      const scope = await this.policy.organizationScope(actor);
      if (!hasRole(actor, 'hub_coordinator') || !scope.organizationIds.includes(p.organizationId)) {
        throw new DomainError(
          'access_denied',
          HttpStatus.FORBIDDEN,
          'only the specialist and the hub coordinators above their hospital read this calendar',
        );
      }
    }
    return this.render(specialistId);
  }

  async forToken(token: string): Promise<string> {
    const owner = await this.store.ownerOf(sha256(token));
    if (!owner)
      throw new DomainError(
        'feed_not_found',
        HttpStatus.NOT_FOUND,
        'no calendar feed with this address (it may have been replaced)',
      );
    return this.render(owner);
  }

  private async render(specialistId: string): Promise<string> {
    const now = this.clock.now();
    const from = new Date(now.getTime() - 30 * DAY);
    const to = new Date(now.getTime() + 366 * DAY);
    const p = await practitionerCard(this.db, specialistId);
    const occ = await this.store.occurrences(specialistId, from, to);
    const bookings = await this.store.bookings(specialistId, from, to);
    const events: CalendarEvent[] = [
      ...occ.map((o) => ({
        uid: `occurrence-${o.id}@huizhen`,
        start: o.start,
        end: o.end,
        summary: `${SHIFT_MODE_ZH[o.mode]}: ${o.hosts.join('、')}`,
        location: o.mode === 'on_site_visit' ? o.hosts.join('、') : undefined,
        description: `${o.mode === 'on_site_visit' ? 'On-site visit' : 'Remote clinic block'}; booked ${o.booked}/${o.seats}${o.note ? `\n${o.note}` : ''}`,
        status: o.status === 'cancelled' ? ('CANCELLED' as const) : ('CONFIRMED' as const),
        sequence: o.version,
        lastModified: o.updatedAt,
      })),
      ...bookings.map((b) => ({
        uid: `booking-${b.id}@huizhen`,
        start: b.start,
        end: b.end,
        summary: `会诊预约 Consultation: ${b.organizationName}`,
        status:
          b.status === 'cancelled' || b.status === 'rescheduled'
            ? ('CANCELLED' as const)
            : ('CONFIRMED' as const),
        sequence: b.status === 'booked' ? 0 : 1,
        lastModified: b.updatedAt,
      })),
    ];
    return renderCalendar({ name: `Huizhen — ${p?.displayName ?? specialistId}`, events, now });
  }
}
