import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { Documented } from '@huizhen/platform-http';
import {
  CreateDicomwebPeerDto,
  CreateDimsePeerDto,
  DicomwebPeerListResponse,
  DicomwebPeerResponse,
  DimsePeerListResponse,
  DimsePeerResponse,
  PeerQuery,
  UpdateDicomwebPeerDto,
  UpdateDimsePeerDto,
} from './peers.dto';
import { PeersService } from './peers.service';

/** DICOM peers: DIMSE application entities and DICOMweb archives, managed by their organization's admins. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin')
export class PeersController {
  constructor(private readonly peers: PeersService) {}

  @Documented('List DIMSE peers', 'organization_not_found', 'access_denied')
  @ApiOkResponse({ type: DimsePeerListResponse })
  @Get('dicom-peers')
  async listDimse(@CurrentActor() actor: Actor, @Query() q: PeerQuery) {
    return { items: await this.peers.listDimse(actor, q.organizationId) };
  }

  @Documented(
    'Register a DIMSE peer (AE title, address, directions)',
    'organization_not_found',
    'access_denied',
    'peer_exists',
    'invalid_peer_address',
    'peer_destination_address',
  )
  @ApiCreatedResponse({ type: DimsePeerResponse })
  @Post('dicom-peers')
  createDimse(@CurrentActor() actor: Actor, @Body() dto: CreateDimsePeerDto) {
    return this.peers.createDimse(actor, dto);
  }

  @Documented(
    'Change or disable a DIMSE peer',
    'dimse_peer_not_found',
    'access_denied',
    'peer_exists',
    'invalid_peer_address',
    'peer_destination_address',
  )
  @ApiOkResponse({ type: DimsePeerResponse })
  @Patch('dicom-peers/:id')
  updateDimse(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateDimsePeerDto,
  ) {
    return this.peers.updateDimse(actor, id, dto);
  }

  @Documented('List DICOMweb peers', 'organization_not_found', 'access_denied')
  @ApiOkResponse({ type: DicomwebPeerListResponse })
  @Get('dicomweb-peers')
  async listDicomweb(@CurrentActor() actor: Actor, @Query() q: PeerQuery) {
    return { items: await this.peers.listDicomweb(actor, q.organizationId) };
  }

  @Documented(
    'Register a DICOMweb peer (base URL; credentials by reference only)',
    'organization_not_found',
    'access_denied',
    'peer_exists',
    'invalid_peer_address',
    'service_account_not_found',
    'peer_service_account',
  )
  @ApiCreatedResponse({ type: DicomwebPeerResponse })
  @Post('dicomweb-peers')
  createDicomweb(@CurrentActor() actor: Actor, @Body() dto: CreateDicomwebPeerDto) {
    return this.peers.createDicomweb(actor, dto);
  }

  @Documented(
    'Change or disable a DICOMweb peer',
    'dicomweb_peer_not_found',
    'access_denied',
    'peer_exists',
    'invalid_peer_address',
    'service_account_not_found',
    'peer_service_account',
  )
  @ApiOkResponse({ type: DicomwebPeerResponse })
  @Patch('dicomweb-peers/:id')
  updateDicomweb(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateDicomwebPeerDto,
  ) {
    return this.peers.updateDicomweb(actor, id, dto);
  }
}
