import { Module } from '@nestjs/common';
import { AvailabilityService } from './availability.service';
import { BookingsController } from './bookings.controller';
import { BookingRelease } from './booking-release';
import { BookingsService } from './bookings.service';
import { CalendarFeedController } from './calendar-feed.controller';
import { CalendarFeedService } from './calendar-feed.service';
import { ConsultationSlotBookings } from '../consultations/consultation-slot-bookings';
import { ConsultationsModule } from '../consultations/consultations.module';
import { CONSULTATION_REQUESTS, WAITING_DEMAND } from './consultation-links';
import { HubController } from './hub.controller';
import { HubReportsService } from './hub-reports.service';
import { RotationPlansService } from './planner/rotation-plans.service';
import { RotationShiftsService } from './rotation-shifts.service';
import { SCHEDULING_CLOCK, SystemClock } from './scheduling-terms';
import { AvailabilityController, ShiftsController } from './shifts.controller';

/**
 * Issue 6: expert rotations planned by hubs, slots booked by townships. Needs the global
 * AccessPolicyModule, AuditModule and EventsModule of the api.
 */
@Module({
  imports: [ConsultationsModule],
  controllers: [ShiftsController, AvailabilityController, BookingsController, HubController, CalendarFeedController],
  providers: [
    { provide: SCHEDULING_CLOCK, useClass: SystemClock },
    // Bookings are for real consultation requests: facts, waiting demand and the request's
    // `scheduled` transition come from consultations, inside the booking's transaction.
    { provide: CONSULTATION_REQUESTS, useExisting: ConsultationSlotBookings },
    { provide: WAITING_DEMAND, useExisting: ConsultationSlotBookings },
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
