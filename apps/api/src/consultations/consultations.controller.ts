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
import { ApiBearerAuth, ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { AuditService } from '@huizhen/audit';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
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

  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateConsultationDto) {
    return this.consultations.create(actor, dto);
  }

  @Get('worklist')
  worklist(@CurrentActor() actor: Actor, @Query() q: WorklistQuery) {
    return this.worklists.worklist(actor, q);
  }

  @Get('metrics')
  metrics(@CurrentActor() actor: Actor, @Query() q: MetricsQuery) {
    return this.worklists.metrics(actor, q);
  }

  /**
   * A short-lived token for the consultation's live room on a media node (socket.io /media):
   * only participants of a live consultation get one, with the role they have in it.
   */
  @Post(':id/room-token')
  @HttpCode(200)
  async roomToken(@CurrentActor() actor: Actor, @Id() id: string) {
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

  @Get(':id')
  get(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.get(actor, id);
  }

  /** Where a request stands in its queue, without clinical content: for hub coordinators of the queue's hospitals too. */
  @Get(':id/routing')
  routing(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.routingFacts(actor, id);
  }

  // ---- transitions
  @Post(':id/submit')
  @HttpCode(200)
  submit(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.submit(actor, id);
  }

  @Post(':id/claim')
  @HttpCode(200)
  claim(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.claim(actor, id);
  }

  @Post(':id/decline')
  @HttpCode(200)
  decline(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ReasonDto) {
    return this.consultations.decline(actor, id, dto.reason);
  }

  @Post(':id/schedule')
  @HttpCode(200)
  schedule(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ScheduleDto) {
    return this.consultations.schedule(actor, id, new Date(dto.start));
  }

  @Post(':id/start-session')
  @HttpCode(200)
  startSession(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.startSession(actor, id);
  }

  @Post(':id/close')
  @HttpCode(200)
  close(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.consultations.close(actor, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ReasonDto) {
    return this.consultations.cancel(actor, id, dto.reason);
  }

  @Post(':id/participants')
  invite(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: InviteParticipantDto) {
    return this.consultations.invite(actor, id, dto);
  }

  // ---- attachments
  @Post(':id/attachments/studies')
  attachStudy(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: AttachStudyDto) {
    return this.files.attachStudy(actor, id, dto.studyInstanceUid);
  }

  @Post(':id/attachments/files')
  @ApiConsumes('application/pdf', 'image/jpeg', 'image/png')
  upload(
    @CurrentActor() actor: Actor,
    @Id() id: string,
    @Query() q: UploadQuery,
    @Req() req: Request,
    @Headers('content-type') type?: string,
    @Headers('content-length') length?: string,
  ) {
    return this.files.upload(actor, id, req, {
      mediaType: type,
      declaredLength: length && /^\d+$/.test(length) ? Number(length) : null,
      fileName: q.fileName,
    });
  }

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
  @Get(':id/messages')
  messages(@CurrentActor() actor: Actor, @Id() id: string, @Query() q: MessagesQuery) {
    return this.thread.list(actor, id, q);
  }

  @Post(':id/messages')
  post(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: PostMessageDto) {
    return this.thread.post(actor, id, dto);
  }

  @Post(':id/messages/read')
  @HttpCode(200)
  read(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ReadReceiptDto) {
    return this.thread.markRead(actor, id, dto.lastReadMessageId);
  }

  // ---- report
  @Put(':id/report')
  saveReport(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: ReportDraftDto) {
    return this.reports.saveDraft(actor, id, dto);
  }

  @Post(':id/report/sign')
  @HttpCode(200)
  sign(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.reports.sign(actor, id);
  }

  @Post(':id/report/addenda')
  addendum(@CurrentActor() actor: Actor, @Id() id: string, @Body() dto: AddendumDto) {
    return this.reports.addAddendum(actor, id, dto);
  }

  @Get(':id/report')
  report(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.reports.get(actor, id);
  }

  @Get(':id/report/verify')
  verify(@CurrentActor() actor: Actor, @Id() id: string) {
    return this.reports.verify(actor, id);
  }

  @Get(':id/report/pdf')
  @ApiProduces('application/pdf')
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
