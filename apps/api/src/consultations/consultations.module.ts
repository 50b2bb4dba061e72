import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { ConsultationAttachmentsService } from './consultation-attachments.service';
import { ConsultationReportService } from './consultation-report.service';
import { ConsultationRouting } from './consultation-routing';
import { ConsultationSlotBookings } from './consultation-slot-bookings';
import { ConsultationThreadService } from './consultation-thread.service';
import { ConsultationsController } from './consultations.controller';
import { ConsultationsService } from './consultations.service';
import { DeadlineSweeper } from './deadline-sweeper';

/** Consultation requests: lifecycle, routing and escalation, thread, attachments, signed reports. */
@Module({
  imports: [PatientsModule],
  controllers: [ConsultationsController],
  providers: [
    // One clock object per app, so a test can steer the time of the app it started.
    { provide: CONSULTATION_CLOCK, useFactory: (): Clock => ({ now: () => new Date() }) },
    ConsultationsService,
    ConsultationSlotBookings,
    ConsultationRouting,
    ConsultationThreadService,
    ConsultationAttachmentsService,
    ConsultationReportService,
    DeadlineSweeper,
  ],
  exports: [ConsultationsService, ConsultationSlotBookings, ConsultationReportService, ConsultationRouting, CONSULTATION_CLOCK],
})
export class ConsultationsModule {}
