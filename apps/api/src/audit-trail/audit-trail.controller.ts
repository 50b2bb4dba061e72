import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { PageQuery } from '@huizhen/platform-http';

class AuditQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) resourceType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) resourceId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() actorId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) action?: string;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/audit')
export class AuditTrailController {
  constructor(
    private readonly audit: AuditService,
    private readonly policy: AccessPolicyService,
  ) {}

  @Get()
  async list(@CurrentActor() actor: Actor, @Query() q: AuditQuery) {
    await this.policy.assert(actor, 'read', { type: 'audit' });
    return this.audit.list(q);
  }

  /** Walks the hash chain; `firstBroken` names the first altered or missing record. */
  @Get('verify')
  async verify(@CurrentActor() actor: Actor) {
    await this.policy.assert(actor, 'read', { type: 'audit' });
    const result = await this.audit.verify();
    await this.audit.record({ action: 'audit.verify', actor, details: { ok: result.ok, checked: result.checked } });
    return result;
  }
}
