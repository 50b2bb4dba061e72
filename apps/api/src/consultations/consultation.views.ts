import { ApiProperty } from '@nestjs/swagger';
import {
  CONSULTATION_MODES,
  CONSULTATION_STATUSES,
  QUEUE_LEVELS,
  URGENCIES,
  type ConsultationMode,
  type ConsultationQueue,
  type ConsultationStatus,
  type ConsultationSummary,
  type QueueLevel,
  type Urgency,
} from '@huizhen/contract';

/** Where a submitted request waits (null once it left its queue). */
export class ConsultationQueueView implements ConsultationQueue {
  @ApiProperty({ type: [String], format: 'uuid' }) organizationIds: string[];
  @ApiProperty({ enum: QUEUE_LEVELS, nullable: true }) level: QueueLevel | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deadlineAt: string | null;
}

/** A consultation request without its clinical text: what creating it and every transition answer (the contract's ConsultationSummary). */
export class ConsultationSummaryView implements ConsultationSummary {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: CONSULTATION_STATUSES }) status: ConsultationStatus;
  @ApiProperty({ enum: URGENCIES }) urgency: Urgency;
  @ApiProperty({ enum: CONSULTATION_MODES }) mode: ConsultationMode;
  @ApiProperty() specialty: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ format: 'uuid' }) requestingOrganizationId: string;
  @ApiProperty({ format: 'uuid' }) requesterId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assignedSpecialistId:
    string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assignedOrganizationId:
    string | null;
  @ApiProperty({ type: ConsultationQueueView, nullable: true }) queue: ConsultationQueueView | null;
  @ApiProperty() escalations: number;
  @ApiProperty() declines: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) scheduledStart: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) submittedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) claimedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reportedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}
