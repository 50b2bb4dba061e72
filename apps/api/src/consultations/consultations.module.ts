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
import { ConsultationStore } from './consultation-store';
import { ConsultationThreadService } from './consultation-thread.service';
import { ConsultationTransitions } from './consultation-transitions';
import { ConsultationWorklist } from './consultation-worklist';
import { ConsultationsController } from './consultations.controller';
import { ConsultationsService } from './consultations.service';
import { DeadlineSweeper } from './deadline-sweeper';
import { StudyHeaderReadModel } from './study-header-read-model';
import { StudyPatientCheck } from './study-patient-check';

/**
 * Consultation requests: lifecycle, routing and escalation, thread, attachments, signed reports,
 * the video record. ConsultationStore holds the SQL on the feature's tables, ConsultationTransitions
 * writes every status, ConsultationWorklist reads the lists; the services orchestrate.
 */
@Module({
  imports: [PatientsModule, CallEventsModule, DirectoryModule],
  controllers: [ConsultationsController],
  providers: [
    // One clock object per app, so a test can steer the time of the app it started.
    { provide: CONSULTATION_CLOCK, useFactory: (): Clock => ({ now: () => new Date() }) },
    ConsultationStore,
    ConsultationTransitions,
    ConsultationWorklist,
    ConsultationsService,
    ConsultationSlotBookings,
    ConsultationRouting,
    ConsultationThreadService,
    ConsultationAttachmentsService,
    ConsultationReportService,
    ConsultationCalls,
    DeadlineSweeper,
    StudyHeaderReadModel,
    StudyPatientCheck,
  ],
  exports: [
    ConsultationStore,
    ConsultationsService,
    ConsultationSlotBookings,
    ConsultationReportService,
    ConsultationRouting,
    CONSULTATION_CLOCK,
  ],
})
export class ConsultationsModule {}
