import { Module } from '@nestjs/common';
import { CallEventsModule } from '@huizhen/call-events';
import { DirectoryModule } from '@huizhen/directory';
import { PatientsModule } from '../patients/patients.module';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { ConsultationCalls } from './consultation-calls';
import { ConsultationAttachmentsService } from './consultation-attachments.service';
import { ConsultationReportService } from './consultation-report.service';
import { ConsultationRouting } from './consultation-routing';
import { ConsultationSlotBookings } from './consultation-slot-bookings';
import { ConsultationThreadService } from './consultation-thread.service';
import { ConsultationsController } from './consultations.controller';
import { ConsultationsService } from './consultations.service';
import { DeadlineSweeper } from './deadline-sweeper';

/** Consultation requests: lifecycle, routing and escalation, thread, attachments, signed reports, the video record. */
@Module({
  imports: [PatientsModule, CallEventsModule, DirectoryModule],
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
    ConsultationCalls,
    DeadlineSweeper,
  ],
  exports: [ConsultationsService, ConsultationSlotBookings, ConsultationReportService, ConsultationRouting, CONSULTATION_CLOCK],
})
export class ConsultationsModule {}
