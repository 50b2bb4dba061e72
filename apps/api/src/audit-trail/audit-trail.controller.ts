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
import { Documented, DomainError, PageQuery } from '@huizhen/platform-http';

class AuditQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) resourceType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) resourceId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() actorId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) action?: string;
}

class ChainBreakView {
  @ApiProperty() seq: number;
  @ApiProperty({ enum: ['altered', 'missing_before', 'relinked'] }) kind: string;
  @ApiPropertyOptional({ description: 'missing_before: how many sequence numbers are absent' })
  missing?: number;
}

class ChainVerificationView {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'records walked' }) checked: number;
  @ApiProperty() lastSeq: number;
  @ApiProperty({ description: 'appended but not sealed yet' }) pending: number;
  @ApiProperty() breakCount: number;
  @ApiProperty({ type: [ChainBreakView] }) breaks: ChainBreakView[];
  @ApiPropertyOptional() breaksTruncated?: boolean;
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
  @Get()
  async list(@CurrentActor() actor: Actor, @Query() q: AuditQuery) {
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
  async verify(@CurrentActor() actor: Actor) {
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
