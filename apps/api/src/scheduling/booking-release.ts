import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '@huizhen/audit';
import { ConsultationsService } from '../consultations/consultations.service';
import { releaseSeat, returning } from './booking-store';

// A booking exists for a request that is being served; these end that, so the seat goes back.
const ENDS_THE_APPOINTMENT = new Set(['decline', 'cancel', 'expire']);

/**
 * When a consultation is declined by its specialist, cancelled by its township or expires,
 * its booked appointment is cancelled and the seat offered again, in the same transaction.
 */
@Injectable()
export class BookingRelease implements OnModuleInit {
  constructor(
    private readonly consultations: ConsultationsService,
    private readonly audit: AuditService,
  ) {}

  onModuleInit() {
    this.consultations.onTransition(async (change, m) => {
      if (!ENDS_THE_APPOINTMENT.has(change.transition)) return;
      const released = await returning<{ id: string; slot_id: string }>(
        m,
        `UPDATE booking SET status = 'cancelled', reason = $2, cancelled_by = $3, cancelled_at = now(), updated_at = now()
          WHERE consultation_request_id = $1 AND status = 'booked' RETURNING id, slot_id`,
        [change.consultationId, `consultation ${change.transition}${change.reason ? `: ${change.reason}` : ''}`, change.actor?.id ?? null],
      );
      for (const b of released) {
        await releaseSeat(m, b.slot_id);
        await this.audit.record({ action: 'booking.cancel', actor: change.actor, resourceType: 'booking', resourceId: b.id, details: { reason: `consultation ${change.transition}`, consultationId: change.consultationId } }, m);
      }
    });
  }
}
