import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { ConsultationsService } from '../consultations/consultations.service';
import { BookingStore, type BookingView } from './booking-store';

// A booking exists for a request that is being served; these end that, so the seat goes back.
const ENDS_THE_APPOINTMENT = new Set(['decline', 'cancel', 'expire']);

/** A consultation's state change, as the consultations feature tells it inside its transaction. */
export interface ConsultationChange {
  consultationId: string;
  transition: string;
  actor: Actor | null;
  reason: string | null;
}

/**
 * When a consultation is declined by its specialist, cancelled by its township or expires,
 * its booked appointment is cancelled and the seat offered again, in the same transaction,
 * through the BookingStore like every other cancellation: the scheduling clock, the reason
 * in the booking's reason field, and `booking.cancelled` (by: 'consultation') once the
 * consultation's transaction commits.
 */
@Injectable()
export class BookingRelease implements OnModuleInit {
  constructor(
    private readonly consultations: ConsultationsService,
    private readonly bookings: BookingStore,
    private readonly audit: AuditService,
  ) {}

  onModuleInit() {
    this.consultations.onTransition((change, m) => this.release(m, change).then(() => undefined));
  }

  /**
   * In the consultation's transaction `m`: cancels what is still booked for it when the change
   * ends the appointment (decline, cancel, expire); anything else leaves the bookings alone.
   */
  async release(m: EntityManager, change: ConsultationChange): Promise<BookingView[]> {
    if (!ENDS_THE_APPOINTMENT.has(change.transition)) return [];
    const cancelled = await this.bookings.cancelForRequest(m, change.consultationId, {
      reason: `consultation ${change.transition}${change.reason ? `: ${change.reason}` : ''}`,
      actorId: change.actor?.id ?? null,
      by: 'consultation',
      extra: { transition: change.transition },
    });
    for (const b of cancelled) {
      await this.audit.record(
        {
          action: 'booking.cancel',
          actor: change.actor,
          resourceType: 'booking',
          resourceId: b.id,
          details: {
            reason: `consultation ${change.transition}`,
            consultationId: change.consultationId,
          },
        },
        m,
      );
    }
    return cancelled;
  }
}
