import { Controller, Get, HttpStatus, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { CurrentActor, type Actor } from '@huizhen/auth';
import {
  AUDIT_OUTCOMES,
  CHAIN_BREAK_KINDS,
  type AuditEntry,
  type AuditOutcome,
  type ChainBreak,
  type ChainBreakKind,
  type ChainVerification,
  type Page,
  type WithDates,
} from '@huizhen/contract';
import { ApiPage, Documented, DomainError, PageQuery } from '@huizhen/platform-http';

class AuditQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) resourceType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) resourceId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() actorId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) action?: string;
}

/** One audit record (the contract's AuditEntry). */
class AuditEntryView implements AuditEntry {
  @ApiProperty({ description: 'orders appends' }) id: number;
  @ApiProperty({ type: Number, nullable: true, description: 'its place in the chain, once sealed' })
  seq: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) occurredAt: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId: string | null;
  @ApiProperty({ type: String, nullable: true }) actorUsername: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorOrganizationId: string | null;
  @ApiProperty({ example: 'consultation.read' }) action: string;
  @ApiProperty({ type: String, nullable: true }) resourceType: string | null;
  @ApiProperty({ type: String, nullable: true }) resourceId: string | null;
  @ApiProperty({ enum: AUDIT_OUTCOMES }) outcome: AuditOutcome;
  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) prevHash: string | null;
  @ApiProperty({ type: String, nullable: true }) hash: string | null;
}

class ChainBreakView implements ChainBreak {
  @ApiProperty() seq: number;
  @ApiProperty({ enum: CHAIN_BREAK_KINDS }) kind: ChainBreakKind;
  @ApiPropertyOptional({ description: 'missing_before: how many sequence numbers are absent' })
  missing?: number;
}

class FirstBrokenView {
  @ApiProperty() seq: number;
  @ApiProperty({ enum: CHAIN_BREAK_KINDS }) problem: ChainBreakKind;
}

/** The chain walked after sealing what was pending (the contract's ChainVerification). */
class ChainVerificationView implements ChainVerification {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'records walked' }) checked: number;
  @ApiProperty() lastSeq: number;
  @ApiProperty({ description: 'appended but not sealed yet' }) pending: number;
  @ApiProperty() breakCount: number;
  @ApiProperty({ type: [ChainBreakView] }) breaks: ChainBreakView[];
  @ApiPropertyOptional() breaksTruncated?: boolean;
  @ApiPropertyOptional({ type: FirstBrokenView, description: 'the first break' })
  firstBroken?: FirstBrokenView;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/audit')
export class AuditTrailController {
  constructor(
    private readonly audit: AuditService,
    private readonly policy: AccessPolicyService,
  ) {}

  /**
   * `actorId` naming nobody (no practitioner, no event) is 404 `actor_not_found`. `resourceId` is
   * not checked: it may name a study UID or a resource that no longer exists, whose trail still counts.
   */
  @Documented(
    'List audit events (admins; filter by resource, actor, action)',
    'access_denied',
    'actor_not_found',
  )
  @ApiPage(AuditEntryView)
  @Get()
  async list(
    @CurrentActor() actor: Actor,
    @Query() q: AuditQuery,
  ): Promise<Page<WithDates<AuditEntry, 'occurredAt'>>> {
    await this.policy.assert(actor, 'read', { type: 'audit' });
    if (q.actorId && !(await this.audit.knowsActor(q.actorId)))
      throw new DomainError(
        'actor_not_found',
        HttpStatus.NOT_FOUND,
        `no practitioner ${q.actorId}, and no audit event by that id`,
      );
    return this.audit.list(q);
  }

  /**
   * Walks the hash chain: `breaks` lists every altered, missing-before or re-linked record (seq
   * and kind), `breakCount` counts them; `firstBroken` is the first, as before.
   */
  @Documented(
    'Seal pending events and verify the whole hash chain, listing every break',
    'access_denied',
  )
  @ApiOkResponse({ type: ChainVerificationView })
  @Get('verify')
  async verify(@CurrentActor() actor: Actor): Promise<ChainVerification> {
    await this.policy.assert(actor, 'read', { type: 'audit' });
    const result = await this.audit.verify();
    await this.audit.record({
      action: 'audit.verify',
      actor,
      details: { ok: result.ok, checked: result.checked, breakCount: result.breakCount },
    });
    return result;
  }
}
