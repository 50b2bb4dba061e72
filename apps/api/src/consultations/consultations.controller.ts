import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { AuditService } from '@huizhen/audit';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { InvitedParticipant, RoomTicket } from '@huizhen/contract';
import { ApiContent, BINARY, Documented } from '@huizhen/platform-http';
import { signRoomToken } from '@huizhen/room-token';
import {
  AddendumDto,
  AttachStudyDto,
  CreateConsultationDto,
  InviteParticipantDto,
  MessagesQuery,
  MetricsQuery,
  PostMessageDto,
  ReadReceiptDto,
  ReasonDto,
  ReportDraftDto,
  ScheduleDto,
  UploadQuery,
  WorklistQuery,
} from './consultation.dto';
import { ConsultationAttachmentsService } from './consultation-attachments.service';
import { ConsultationReportService } from './consultation-report.service';
import { ConsultationThreadService } from './consultation-thread.service';
import {
  AttachedStudyView,
  ConsultationDetailView,
  ConsultationMetricsView,
  ConsultationReportView,
  ConsultationRoutingView,
  ConsultationSummaryView,
  InvitedParticipantView,
  PostedMessageView,
  ReadReceiptView,
  ReportVerificationView,
  ReportWithAddendaView,
  RoomTicketView,
  SignedConsultationView,
  ThreadView,
  UploadedFileView,
  WorklistPageView,
  type AttachedStudyAnswer,
  type DetailAnswer,
  type MetricsAnswer,
  type PostedMessageAnswer,
  type ReadReceiptAnswer,
  type ReportAnswer,
  type ReportWithAddendaAnswer,
  type RoutingAnswer,
  type SignedAnswer,
  type ThreadAnswer,
  type UploadedFileAnswer,
  type VerificationAnswer,
  type WorklistAnswer,
} from './consultation.views';
import { ConsultationWorklist } from './consultation-worklist';
import { ConsultationsService } from './consultations.service';

const Id = () => Param('id', ParseUUIDPipe);

// Long enough to join and resume after a short drop; a new one is asked for each join.
const ROOM_TOKEN_TTL_SECONDS = 600;

@ApiTags('consultations')
@ApiBearerAuth()
@Controller('api/consultations')
export class ConsultationsController {
  constructor(
    private readonly consultations: ConsultationsService,
    private readonly worklists: ConsultationWorklist,
    private readonly thread: ConsultationThreadService,
    private readonly files: ConsultationAttachmentsService,
    private readonly reports: ConsultationReportService,
    private readonly audit: AuditService,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
  ) {}

  @Documented(
    'Open a consultation request (a draft, or submitted at once)',
    'patient_not_found',
    'access_denied',
    'study_not_found',
    'patient_mismatch',
    'patient_mismatch_unnamed',
    'no_route',
    'preferred_not_routable',
    'preferred_practitioner',
  )
  @ApiCreatedResponse({ type: ConsultationSummaryView })
  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateConsultationDto) {
    return this.consultations.create(actor, dto);
  }

  @Documented(
    'A worklist box: queue, assigned, received, sent or hub (keyset pages)',
    'access_denied',
    'invalid_cursor',
  )
  @ApiOkResponse({ type: WorklistPageView })
  @Get('worklist')
  worklist(@CurrentActor() actor: Actor, @Query() q: WorklistQuery): Promise<WorklistAnswer> {
    return this.worklists.worklist(actor, q);
  }

  @Documented('Consultation figures per institution (hub coordinators)', 'access_denied')
  @ApiOkResponse({ type: ConsultationMetricsView })
  @Get('metrics')
  metrics(@CurrentActor() actor: Actor, @Query() q: MetricsQuery): Promise<MetricsAnswer> {
    return this.worklists.metrics(actor, q);
  }

  /**
   * A short-lived token for the consultation's live room on a media node (socket.io /media):
   * only participants of a live consultation get one, with the role they have in it.
   */
  @Documented(
    'A short-lived token for the live room on a media node (participants)',
    'consultation_not_found',
    'access_denied',
    'room_not_open',
  )
  @ApiOkResponse({ type: RoomTicketView })
  @Post(':id/room-token')
  @HttpCode(200)
  async roomToken(@CurrentActor() actor: Actor, @Id() id: string): Promise<RoomTicket> {
    const { role } = await this.consultations.roomParticipant(actor, id);
    const token = signRoomToken(
      { sub: actor.id, name: actor.displayName, room: id, role },
      this.config.roomTokenSecret,
      ROOM_TOKEN_TTL_SECONDS,
    );
    await this.audit.record({
      action: 'consultation.room_token',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { role },
    });
    // url null: the media namespace is on this origin (single-process server).
    return {
      token,
      room: id,
      role,
      expiresIn: ROOM_TOKEN_TTL_SECONDS,
      namespace: '/media',
      url: this.config.mediaPublicUrl,
    };
  }

  @Documented(
    'Read a consultation request: history, participants, attachments, calls',
    'consultation_not_found',
    'access_denied',
  )
  @ApiOkResponse({ type: ConsultationDetailView })
  @Get(':id')
  get(@CurrentActor() actor: Actor, @Id() id: string): Promise<DetailAnswer> {
    return this.consultations.get(actor, id);
  }

  /** Where a request stands in its queue, without clinical content: for hub coordinators of the queue's hospitals too. */
  @Documented(
    'Where a request stands in its queue (no clinical content)',
    'consultation_not_found',
    'access_denied',
  )
  @ApiOkResponse({ type: ConsultationRoutingView })
  @Get(':id/routing')
  routing(@CurrentActor() actor: Actor, @Id() id: string): Promise<RoutingAnswer> {
    return this.consultations.routingFacts(actor, id);
  }

  // ---- transitions
  @Documented(
    'Submit a draft into its queue',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
    'no_route',
    'preferred_not_routable',
  )
  @ApiOkResponse({ type: ConsultationSummaryView })
  @Post(':id/submit')
  @HttpCode(200)
  submit(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.submit(actor, id);
  }

  @Documented(
    'Claim a request from the queue',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
  )
  @ApiOkResponse({ type: ConsultationSummaryView })
  @Post(':id/claim')
  @HttpCode(200)
  claim(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.claim(actor, id);
  }

  @Documented(
    'Give a claimed request back to its queue',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
  )
  @ApiOkResponse({ type: ConsultationSummaryView })
  @Post(':id/decline')
  @HttpCode(200)
  decline(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ReasonDto) {
    return this.consultations.decline(actor, id, dto.reason);
  }

  @Documented(
    'Set the live session’s time',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
    'schedule_in_past',
  )
  @ApiOkResponse({ type: ConsultationSummaryView })
  @Post(':id/schedule')
  @HttpCode(200)
  schedule(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ScheduleDto) {
    return this.consultations.schedule(actor, id, new Date(dto.start));
  }

  @Documented(
    'Start the video session (the assigned specialist)',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
  )
  @ApiOkResponse({ type: ConsultationSummaryView })
  @Post(':id/start-session')
  @HttpCode(200)
  startSession(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.startSession(actor, id);
  }

  @Documented(
    'Close a reported request (the requester)',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
  )
  @ApiOkResponse({ type: ConsultationSummaryView })
  @Post(':id/close')
  @HttpCode(200)
  close(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.close(actor, id);
  }

  @Documented(
    'Cancel a request (the requester)',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
  )
  @ApiOkResponse({ type: ConsultationSummaryView })
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ReasonDto) {
    return this.consultations.cancel(actor, id, dto.reason);
  }

  @Documented(
    'Invite a guest specialist or an observer',
    'consultation_not_found',
    'access_denied',
    'practitioner_not_found',
    'not_a_specialist',
    'already_participant',
    'illegal_transition',
  )
  @ApiCreatedResponse({ type: InvitedParticipantView })
  @Post(':id/participants')
  invite(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Body() dto: InviteParticipantDto,
  ): Promise<InvitedParticipant> {
    return this.consultations.invite(actor, id, dto);
  }

  // ---- attachments
  @Documented(
    'Attach a stored study',
    'consultation_not_found',
    'access_denied',
    'study_not_found',
    'study_already_attached',
    'patient_mismatch',
    'illegal_transition',
  )
  @ApiCreatedResponse({ type: AttachedStudyView })
  @Post(':id/attachments/studies')
  attachStudy(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Body() dto: AttachStudyDto,
  ): Promise<AttachedStudyAnswer> {
    return this.files.attachStudy(actor, id, {
      studyInstanceUid: dto.studyInstanceUid,
      mismatchReason: dto.patientMismatchReason,
    });
  }

  @Documented(
    'Upload a PDF or photo to the consultation',
    'consultation_not_found',
    'access_denied',
    'unsupported_media_type',
    'content_mismatch',
    'attachment_too_large',
    'illegal_transition',
  )
  @ApiCreatedResponse({ type: UploadedFileView })
  @Post(':id/attachments/files')
  @ApiConsumes('application/pdf', 'image/jpeg', 'image/png')
  upload(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Query() q: UploadQuery,
    @Req() req: Request,
    @Headers('content-type') type?: string,
    @Headers('content-length') length?: string,
  ): Promise<UploadedFileAnswer> {
    return this.files.upload(actor, id, req, {
      mediaType: type,
      declaredLength: length && /^\d+$/.test(length) ? Number(length) : null,
      fileName: q.fileName,
    });
  }

  @Documented(
    'Download an attached file',
    'consultation_not_found',
    'access_denied',
    'attachment_not_found',
  )
  @ApiContent(200, 'the file as uploaded', {
    'application/pdf': BINARY,
    'image/jpeg': BINARY,
    'image/png': BINARY,
  })
  @Get(':id/attachments/:attachmentId/content')
  async download(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Param('attachmentId', ParseUUIDPipe) attachmentId: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const f = await this.files.file(actor, id, attachmentId);
    res.setHeader(
      'content-disposition',
      `attachment; filename*=UTF-8''${encodeURIComponent(f.fileName)}`,
    );
    return new StreamableFile(createReadStream(f.path), { type: f.mediaType, length: f.sizeBytes });
  }

  // ---- thread
  @Documented('Read the thread, with read receipts', 'consultation_not_found', 'access_denied')
  @ApiOkResponse({ type: ThreadView })
  @Get(':id/messages')
  messages(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Query() q: MessagesQuery,
  ): Promise<ThreadAnswer> {
    return this.thread.list(actor, id, q);
  }

  @Documented(
    'Post to the thread (with uploaded files)',
    'consultation_not_found',
    'access_denied',
    'attachment_not_usable',
    'illegal_transition',
  )
  @ApiCreatedResponse({ type: PostedMessageView })
  @Post(':id/messages')
  post(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Body() dto: PostMessageDto,
  ): Promise<PostedMessageAnswer> {
    return this.thread.post(actor, id, dto);
  }

  @Documented(
    'Mark the thread read up to a message',
    'consultation_not_found',
    'access_denied',
    'message_not_found',
  )
  @ApiOkResponse({ type: ReadReceiptView })
  @Post(':id/messages/read')
  @HttpCode(200)
  read(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Body() dto: ReadReceiptDto,
  ): Promise<ReadReceiptAnswer> {
    return this.thread.markRead(actor, id, dto.lastReadMessageId);
  }

  // ---- report
  @Documented(
    'Write or change the report draft',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'report_signed',
    'study_not_attached',
    'not_a_hospital',
  )
  @ApiOkResponse({ type: ConsultationReportView })
  @Put(':id/report')
  saveReport(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Body() dto: ReportDraftDto,
  ): Promise<ReportAnswer> {
    return this.reports.saveDraft(actor, id, dto);
  }

  @Documented(
    'Sign the report (Ed25519; a retry by its signer gets the same signature)',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'busy',
    'report_missing',
    'report_incomplete',
  )
  @ApiOkResponse({ type: SignedConsultationView })
  @Post(':id/report/sign')
  @HttpCode(200)
  sign(@CurrentActor() actor: Actor, @Id() id: string): Promise<SignedAnswer> {
    return this.reports.sign(actor, id);
  }

  @Documented(
    'Add a signed addendum to the signed report (its author)',
    'consultation_not_found',
    'access_denied',
    'illegal_transition',
    'report_missing',
  )
  @ApiCreatedResponse({ type: ConsultationReportView })
  @Post(':id/report/addenda')
  addendum(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Body() dto: AddendumDto,
  ): Promise<ReportAnswer> {
    return this.reports.addAddendum(actor, id, dto);
  }

  @Documented(
    'The signed report (or the caller’s own draft)',
    'consultation_not_found',
    'access_denied',
    'report_not_found',
  )
  @ApiOkResponse({ type: ReportWithAddendaView })
  @Get(':id/report')
  report(@CurrentActor() actor: Actor, @Id() id: string): Promise<ReportWithAddendaAnswer> {
    return this.reports.get(actor, id);
  }

  @Documented(
    'Verify the report’s signature and its addenda’s',
    'consultation_not_found',
    'access_denied',
    'report_not_found',
  )
  @ApiOkResponse({ type: ReportVerificationView })
  @Get(':id/report/verify')
  verify(@CurrentActor() actor: Actor, @Id() id: string): Promise<VerificationAnswer> {
    return this.reports.verify(actor, id);
  }

  @Documented(
    'The signed report as PDF',
    'consultation_not_found',
    'access_denied',
    'report_not_found',
    'report_font_missing',
  )
  @ApiContent(200, 'the signed report', { 'application/pdf': BINARY })
  @Get(':id/report/pdf')
  async pdf(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const pdf = await this.reports.pdf(actor, id);
    res.setHeader('content-disposition', `inline; filename="consultation-report-${id}.pdf"`);
    return new StreamableFile(pdf, { type: 'application/pdf', length: pdf.length });
  }
}
