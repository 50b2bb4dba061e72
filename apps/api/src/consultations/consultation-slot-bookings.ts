import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '@huizhen/auth';
import { ConsultationsService, type AfterCommit, type SlotAppointment } from './consultations.service';

/**
 * What scheduling asks of consultations (its CONSULTATION_REQUESTS and WAITING_DEMAND
 * providers are bound to this service): facts about a request before booking for it, the
 * demand still waiting for a slot, and the request's side of a booking, made in the
 * booking's own transaction so a slot and the consultation's time never disagree.
 */
@Injectable()
export class ConsultationSlotBookings {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly consultations: ConsultationsService,
  ) {}

  /** The requesting organization and specialty of a request, or null when there is no such request (the booking answers 404). */
  async describe(id: string, _asker: Actor) {
    return this.consultations.bookingFacts(id);
  }

  /**
   * Live (video or both) requests that still need a time: submitted or claimed, per requesting
   * organization and specialty. A booked request is `scheduled`, so it no longer counts.
   */
  async waiting(organizationIds: string[]): Promise<{ organizationId: string; specialty: string; count: number }[]> {
    if (!organizationIds.length) return [];
    const rows: { organization_id: string; specialty: string; count: number }[] = await this.db.query(
      `SELECT requesting_organization_id AS organization_id, specialty, count(*)::int AS count
         FROM consultation_request
        WHERE requesting_organization_id = ANY($1::uuid[]) AND status IN ('submitted','claimed') AND mode IN ('live_video','both')
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [organizationIds],
    );
    return rows.map((r) => ({ organizationId: r.organization_id, specialty: r.specialty, count: r.count }));
  }

  appointmentBooked(m: EntityManager, actor: Actor, requestId: string, slot: SlotAppointment, opts: { follow?: boolean } = {}): Promise<AfterCommit> {
    return this.consultations.takeAppointment(m, actor, requestId, slot, opts);
  }

  appointmentCancelled(m: EntityManager, actor: Actor, requestId: string, slot: SlotAppointment, reason: string | null): Promise<AfterCommit> {
    return this.consultations.releaseAppointment(m, actor, requestId, slot, reason);
  }
}
