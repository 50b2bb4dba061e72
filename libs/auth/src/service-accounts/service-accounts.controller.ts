import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Documented } from '@huizhen/platform-http';
import { CurrentActor, type Actor } from '../actor';
import {
  CreateServiceAccountDto,
  CreatedServiceAccountResponse,
  ServiceAccountListResponse,
  ServiceAccountQuery,
  ServiceAccountResponse,
} from './service-accounts.dto';
import { ServiceAccountsService } from './service-accounts.service';

/** Service accounts: machines' keys, managed by the admins of their organization (or above it). */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/service-accounts')
export class ServiceAccountsController {
  constructor(private readonly accounts: ServiceAccountsService) {}

  @Documented(
    'List service accounts (one organization, or every one the admin manages)',
    'organization_not_found',
    'access_denied',
  )
  @ApiOkResponse({ type: ServiceAccountListResponse })
  @Get()
  async list(@CurrentActor() actor: Actor, @Query() q: ServiceAccountQuery) {
    return { items: await this.accounts.list(actor, q.organizationId) };
  }

  @Documented(
    'Create a service account; its key is in this answer only',
    'organization_not_found',
    'access_denied',
    'service_account_expiry',
  )
  @ApiCreatedResponse({ type: CreatedServiceAccountResponse })
  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateServiceAccountDto) {
    return this.accounts.create(actor, dto);
  }

  @Documented('Read a service account', 'service_account_not_found', 'access_denied')
  @ApiOkResponse({ type: ServiceAccountResponse })
  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.accounts.get(actor, id);
  }

  @Documented(
    'Revoke a service account: its key stops at once',
    'service_account_not_found',
    'access_denied',
  )
  @ApiOkResponse({ type: ServiceAccountResponse })
  @HttpCode(200)
  @Post(':id/revoke')
  revoke(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.accounts.revoke(actor, id);
  }
}
