import { Module } from '@nestjs/common';
import { AvailabilityService } from './availability.service';
import { BookingsController } from './bookings.controller';
import { BookingsService } from './bookings.service';
import { CalendarFeedController } from './calendar-feed.controller';
import { CalendarFeedService } from './calendar-feed.service';
import { CONSULTATION_REQUESTS, FirstBookingRequestSource, UnrebookedRequestsDemand, WAITING_DEMAND } from './consultation-links';
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
  controllers: [ShiftsController, AvailabilityController, BookingsController, HubController, CalendarFeedController],
  providers: [
    { provide: SCHEDULING_CLOCK, useClass: SystemClock },
    { provide: CONSULTATION_REQUESTS, useClass: FirstBookingRequestSource },
    { provide: WAITING_DEMAND, useClass: UnrebookedRequestsDemand },
    RotationShiftsService,
    AvailabilityService,
    BookingsService,
    HubReportsService,
    RotationPlansService,
    CalendarFeedService,
  ],
  exports: [RotationShiftsService, BookingsService, HubReportsService, SCHEDULING_CLOCK],
})
export class SchedulingModule {}
