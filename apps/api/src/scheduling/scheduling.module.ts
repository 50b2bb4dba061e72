import { Module } from '@nestjs/common';
import { AvailabilityStore } from './availability-store';
import { AvailabilityService } from './availability.service';
import { BookingStore } from './booking-store';
import { BookingsController } from './bookings.controller';
import { BookingRelease } from './booking-release';
import { BookingsService } from './bookings.service';
import { CalendarFeedController } from './calendar-feed.controller';
import { CalendarFeedStore } from './calendar-feed-store';
import { CalendarFeedService } from './calendar-feed.service';
import { CommitHooks } from './commit-hooks';
import { ConsultationSlotBookings } from '../consultations/consultation-slot-bookings';
import { ConsultationsModule } from '../consultations/consultations.module';
import { CONSULTATION_REQUESTS, WAITING_DEMAND } from './consultation-links';
import { HubController } from './hub.controller';
import { HubReadModel } from './hub-read-model';
import { HubReportsService } from './hub-reports.service';
import { RotationPlanStore } from './planner/rotation-plan-store';
import { RotationPlansService } from './planner/rotation-plans.service';
import { RotationShiftsService } from './rotation-shifts.service';
import { SCHEDULING_CLOCK, SystemClock } from './scheduling-terms';
import { ShiftStore } from './shift-store';
import { SlotStore } from './slot-store';
import { AvailabilityController, ShiftsController } from './shifts.controller';

/**
 * Expert rotations planned by hubs, slots booked by townships. Needs the global
 * AccessPolicyModule, AuditModule and EventsModule of the api.
 */
@Module({
  imports: [ConsultationsModule],
  controllers: [
    ShiftsController,
    AvailabilityController,
    BookingsController,
    HubController,
    CalendarFeedController,
  ],
  providers: [
    { provide: SCHEDULING_CLOCK, useClass: SystemClock },
    // Bookings are for real consultation requests: facts, waiting demand and the request's
    // `scheduled` transition come from consultations, inside the booking's transaction.
    { provide: CONSULTATION_REQUESTS, useExisting: ConsultationSlotBookings },
    { provide: WAITING_DEMAND, useExisting: ConsultationSlotBookings },
    // Stores: the only classes that write scheduling's tables; services keep policy and audit.
    CommitHooks,
    BookingStore,
    SlotStore,
    ShiftStore,
    AvailabilityStore,
    RotationPlanStore,
    CalendarFeedStore,
    HubReadModel,
    RotationShiftsService,
    AvailabilityService,
    BookingsService,
    BookingRelease,
    HubReportsService,
    RotationPlansService,
    CalendarFeedService,
  ],
  exports: [RotationShiftsService, BookingsService, HubReportsService, SCHEDULING_CLOCK],
})
export class SchedulingModule {}
