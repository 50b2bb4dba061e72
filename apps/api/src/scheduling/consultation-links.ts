import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Actor } from '@huizhen/auth';

/**
 * Scheduling needs two facts that belong to the consultations feature, which is being built on
 * another branch. They are asked through these two interfaces; the defaults below make the
 * feature work on its own and are meant to be replaced when consultations land:
 *
 *   { provide: CONSULTATION_REQUESTS, useExisting: ConsultationsService }  // describe(id)
 *   { provide: WAITING_DEMAND, useExisting: ConsultationsService }         // waiting(orgIds)
 *
 * booking.consultation_request_id is a uuid without a foreign key until then.
 */
export const CONSULTATION_REQUESTS = Symbol('CONSULTATION_REQUESTS');
export const WAITING_DEMAND = Symbol('WAITING_DEMAND');

export interface ConsultationRequestFacts {
  id: string;
  /** The requesting organization: the only one whose clinicians may book for it. */
  organizationId: string;
  /** The specialty asked for, when known: a slot of another specialty is refused. */
  specialty: string | null;
}

export interface ConsultationRequestSource {
  /** Facts about a request, or null when no such request exists. */
  describe(id: string, asker: Actor): Promise<ConsultationRequestFacts | null>;
}

export interface WaitingDemand {
  organizationId: string;
  specialty: string;
  count: number;
}

export interface WaitingDemandSource {
  /** Requests waiting for a slot, per requesting organization and specialty. */
  waiting(organizationIds: string[]): Promise<WaitingDemand[]>;
}

/**
 * Until consultation_request exists: a request belongs to the organization that first booked
 * for it (so another organization can never book, move or cancel for it), and a request seen
 * for the first time belongs to the asker's organization. Specialty is unknown.
 */
@Injectable()
export class FirstBookingRequestSource implements ConsultationRequestSource {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async describe(id: string, asker: Actor): Promise<ConsultationRequestFacts | null> {
    const rows: { requesting_organization_id: string }[] = await this.db.query(
      'SELECT requesting_organization_id FROM booking WHERE consultation_request_id = $1 ORDER BY created_at LIMIT 1',
      [id],
    );
    return { id, organizationId: rows[0]?.requesting_organization_id ?? asker.organizationId, specialty: null };
  }
}

/**
 * Until consultation_request exists, the only waiting requests scheduling can see are the ones
 * it left waiting itself: requests whose booking was cancelled (by a shift change, or by the
 * township) and that have no active booking since. Fresh, never-booked requests count 0.
 */
@Injectable()
export class UnrebookedRequestsDemand implements WaitingDemandSource {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async waiting(organizationIds: string[]): Promise<WaitingDemand[]> {
    const rows: { organization_id: string; specialty: string; count: string }[] = await this.db.query(
      `SELECT b.requesting_organization_id AS organization_id, b.specialty, count(DISTINCT b.consultation_request_id) AS count
         FROM booking b
        WHERE b.status = 'cancelled' AND b.specialty IS NOT NULL AND b.requesting_organization_id = ANY($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM booking a WHERE a.consultation_request_id = b.consultation_request_id AND a.status IN ('booked','fulfilled','no_show'))
        GROUP BY 1, 2`,
      [organizationIds],
    );
    return rows.map((r) => ({ organizationId: r.organization_id, specialty: r.specialty, count: Number(r.count) }));
  }
}
