import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { DirectoryTerms, Page } from '@huizhen/contract';
import { ApiPage, Documented } from '@huizhen/platform-http';
import { CurrentActor, type Actor } from '@huizhen/auth';
import {
  CONSORTIUM_KIND_ZH,
  DirectoryService,
  ORGANIZATION_LEVEL_ZH,
  SPECIALTIES,
  TITLE_ZH,
} from '@huizhen/directory';
import { DirectoryAdminService } from './directory-admin.service';
import {
  ConsortiumQuery,
  CreateConsortiumDto,
  CreateOrganizationDto,
  CreatePractitionerDto,
  ConsortiumView,
  DirectoryTermsView,
  OrganizationView,
  PractitionerView,
  OrganizationQuery,
  PractitionerQuery,
  UpdateConsortiumDto,
  UpdateOrganizationDto,
  UpdatePractitionerDto,
  type ConsortiumAnswer,
  type OrganizationAnswer,
  type PractitionerAnswer,
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
  @Documented('List organizations (filter by level, parent, name)', 'organization_not_found')
  @ApiPage(OrganizationView)
  @Get('organizations')
  async listOrganizations(@Query() q: OrganizationQuery): Promise<Page<OrganizationAnswer>> {
    if (q.parentId) await this.directory.organization(q.parentId);
    return this.directory.listOrganizations(q);
  }

  @Documented('Read an organization', 'organization_not_found')
  @ApiOkResponse({ type: OrganizationView })
  @Get('organizations/:id')
  async organization(@Param('id', ParseUUIDPipe) id: string): Promise<OrganizationAnswer> {
    const org = await this.directory.organization(id);
    return { ...org, levelName: ORGANIZATION_LEVEL_ZH[org.level] };
  }

  @Documented(
    'Create an organization (admins, within their subtree)',
    'access_denied',
    'organization_parent_not_found',
    'organization_parent_required',
    'organization_parent_level',
    'already_exists',
  )
  @ApiCreatedResponse({ type: OrganizationView })
  @Post('organizations')
  createOrganization(
    @CurrentActor() actor: Actor,
    @Body() dto: CreateOrganizationDto,
  ): Promise<OrganizationAnswer> {
    return this.admin.createOrganization(actor, dto);
  }

  @Documented(
    'Change an organization (admins, within their subtree)',
    'organization_not_found',
    'access_denied',
    'organization_parent_not_found',
    'organization_parent_required',
    'organization_parent_level',
    'organization_cycle',
    'already_exists',
  )
  @ApiOkResponse({ type: OrganizationView })
  @Patch('organizations/:id')
  async updateOrganization(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateOrganizationDto,
  ): Promise<OrganizationAnswer> {
    // 404 before the subtree check: an unknown organization is under nobody, which read as 403.
    await this.directory.organization(id);
    return this.admin.updateOrganization(actor, id, dto);
  }

  @Documented('List consortia (filter by member organization)', 'organization_not_found')
  @ApiPage(ConsortiumView)
  @Get('consortia')
  async listConsortia(@Query() q: ConsortiumQuery): Promise<Page<ConsortiumAnswer>> {
    if (q.organizationId) await this.directory.organization(q.organizationId);
    return this.directory.listConsortia(q);
  }

  @Documented('Read a consortium with its members', 'consortium_not_found')
  @ApiOkResponse({ type: ConsortiumView })
  @Get('consortia/:id')
  async consortium(@Param('id', ParseUUIDPipe) id: string): Promise<ConsortiumAnswer> {
    const c = await this.directory.consortium(id);
    return { ...c, kindName: CONSORTIUM_KIND_ZH[c.kind] };
  }

  @Documented(
    'Create a consortium (admins)',
    'access_denied',
    'organization_not_found',
    'already_exists',
  )
  @ApiCreatedResponse({ type: ConsortiumView })
  @Post('consortia')
  createConsortium(
    @CurrentActor() actor: Actor,
    @Body() dto: CreateConsortiumDto,
  ): Promise<ConsortiumAnswer> {
    return this.admin.createConsortium(actor, dto);
  }

  @Documented(
    'Change a consortium or its members (admins)',
    'consortium_not_found',
    'access_denied',
    'organization_not_found',
    'already_exists',
  )
  @ApiOkResponse({ type: ConsortiumView })
  @Patch('consortia/:id')
  updateConsortium(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateConsortiumDto,
  ): Promise<ConsortiumAnswer> {
    return this.admin.updateConsortium(actor, id, dto);
  }

  @Documented(
    'List practitioners (filter by organization, role, specialty)',
    'organization_not_found',
  )
  @ApiPage(PractitionerView)
  @Get('practitioners')
  async listPractitioners(@Query() q: PractitionerQuery): Promise<Page<PractitionerAnswer>> {
    if (q.organizationId) await this.directory.organization(q.organizationId);
    return this.directory.listPractitioners({ ...q, active: undefined });
  }

  @Documented('Read a practitioner', 'practitioner_not_found')
  @ApiOkResponse({ type: PractitionerView })
  @Get('practitioners/:id')
  async practitioner(@Param('id', ParseUUIDPipe) id: string): Promise<PractitionerAnswer> {
    const p = await this.directory.practitioner(id);
    return {
      ...p,
      specialtyName: p.specialty
        ? ((SPECIALTIES as Record<string, string>)[p.specialty] ?? p.specialty)
        : null,
      titleName: p.title ? TITLE_ZH[p.title] : null,
    };
  }

  @Documented(
    'Create a practitioner account (admins)',
    'access_denied',
    'organization_not_found',
    'specialty_required',
    'weak_password',
    'already_exists',
  )
  @ApiCreatedResponse({ type: PractitionerView })
  @Post('practitioners')
  createPractitioner(
    @CurrentActor() actor: Actor,
    @Body() dto: CreatePractitionerDto,
  ): Promise<PractitionerAnswer> {
    return this.admin.createPractitioner(actor, dto);
  }

  @Documented(
    'Change a practitioner: roles, specialty, password, deactivation (admins)',
    'practitioner_not_found',
    'access_denied',
    'organization_not_found',
    'specialty_required',
    'weak_password',
    'already_exists',
  )
  @ApiOkResponse({ type: PractitionerView })
  @Patch('practitioners/:id')
  updatePractitioner(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdatePractitionerDto,
  ): Promise<PractitionerAnswer> {
    return this.admin.updatePractitioner(actor, id, dto);
  }

  /** Code lists for forms: specialties, titles, levels, consortium kinds, with Chinese names. */
  @Documented(
    'The directory code lists with Chinese names: specialties, titles, levels, consortium kinds',
  )
  @ApiOkResponse({ type: DirectoryTermsView })
  @Get('directory/terms')
  terms(): DirectoryTerms {
    return {
      specialties: SPECIALTIES,
      titles: TITLE_ZH,
      organizationLevels: ORGANIZATION_LEVEL_ZH,
      consortiumKinds: CONSORTIUM_KIND_ZH,
    };
  }
}
