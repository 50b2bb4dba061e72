import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { CONSORTIUM_KIND_ZH, DirectoryService, ORGANIZATION_LEVEL_ZH, SPECIALTIES, TITLE_ZH } from '@huizhen/directory';
import { DirectoryAdminService } from './directory-admin.service';
import {
  ConsortiumQuery,
  CreateConsortiumDto,
  CreateOrganizationDto,
  CreatePractitionerDto,
  OrganizationQuery,
  PractitionerQuery,
  UpdateConsortiumDto,
  UpdateOrganizationDto,
  UpdatePractitionerDto,
} from './directory.dto';

/**
 * Organizations, consortia and practitioners. Readable by every signed-in user (a township
 * doctor picks a specialist from it); changed by admins within their subtree.
 */
@ApiTags('directory')
@ApiBearerAuth()
@Controller('api')
export class DirectoryController {
  constructor(
    private readonly directory: DirectoryService,
    private readonly admin: DirectoryAdminService,
  ) {}

  /** A filter naming an organization that does not exist is 404 `organization_not_found`, not an empty page. */
  @Get('organizations')
  async listOrganizations(@Query() q: OrganizationQuery) {
    if (q.parentId) await this.directory.organization(q.parentId);
    return this.directory.listOrganizations(q);
  }

  @Get('organizations/:id')
  async organization(@Param('id', ParseUUIDPipe) id: string) {
    const org = await this.directory.organization(id);
    return { ...org, levelName: ORGANIZATION_LEVEL_ZH[org.level] };
  }

  @Post('organizations')
  createOrganization(@CurrentActor() actor: Actor, @Body() dto: CreateOrganizationDto) {
    return this.admin.createOrganization(actor, dto);
  }

  @Patch('organizations/:id')
  async updateOrganization(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateOrganizationDto) {
    // 404 before the subtree check: an unknown organization is under nobody, which read as 403.
    await this.directory.organization(id);
    return this.admin.updateOrganization(actor, id, dto);
  }

  @Get('consortia')
  async listConsortia(@Query() q: ConsortiumQuery) {
    if (q.organizationId) await this.directory.organization(q.organizationId);
    return this.directory.listConsortia(q);
  }

  @Get('consortia/:id')
  async consortium(@Param('id', ParseUUIDPipe) id: string) {
    const c = await this.directory.consortium(id);
    return { ...c, kindName: CONSORTIUM_KIND_ZH[c.kind] };
  }

  @Post('consortia')
  createConsortium(@CurrentActor() actor: Actor, @Body() dto: CreateConsortiumDto) {
    return this.admin.createConsortium(actor, dto);
  }

  @Patch('consortia/:id')
  updateConsortium(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateConsortiumDto) {
    return this.admin.updateConsortium(actor, id, dto);
  }

  @Get('practitioners')
  async listPractitioners(@Query() q: PractitionerQuery) {
    if (q.organizationId) await this.directory.organization(q.organizationId);
    return this.directory.listPractitioners({ ...q, active: undefined });
  }

  @Get('practitioners/:id')
  async practitioner(@Param('id', ParseUUIDPipe) id: string) {
    const p = await this.directory.practitioner(id);
    return {
      ...p,
      specialtyName: p.specialty ? ((SPECIALTIES as Record<string, string>)[p.specialty] ?? p.specialty) : null,
      titleName: p.title ? TITLE_ZH[p.title] : null,
    };
  }

  @Post('practitioners')
  createPractitioner(@CurrentActor() actor: Actor, @Body() dto: CreatePractitionerDto) {
    return this.admin.createPractitioner(actor, dto);
  }

  @Patch('practitioners/:id')
  updatePractitioner(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdatePractitionerDto) {
    return this.admin.updatePractitioner(actor, id, dto);
  }

  /** Code lists for forms: specialties, titles, levels, consortium kinds, with Chinese names. */
  @Get('directory/terms')
  terms() {
    return { specialties: SPECIALTIES, titles: TITLE_ZH, organizationLevels: ORGANIZATION_LEVEL_ZH, consortiumKinds: CONSORTIUM_KIND_ZH };
  }
}
