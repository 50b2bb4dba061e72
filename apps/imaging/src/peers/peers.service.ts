import { HttpStatus, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { ServiceAccountsService, type Actor } from '@huizhen/auth';
import type { DicomwebPeerView, DimsePeerView } from '@huizhen/contract';
import { DirectoryService } from '@huizhen/directory';
import { DomainError } from '@huizhen/kernel';
import type { DicomwebPeer, DicomwebPeerFields, DimsePeer, DimsePeerFields } from './peer-model';
import { isAeTitle, isDicomwebBaseUrl, isHost } from './peer-rules';
import { PeerStore, isUniqueViolation } from './peer-store';
import type {
  CreateDicomwebPeerDto,
  CreateDimsePeerDto,
  UpdateDicomwebPeerDto,
  UpdateDimsePeerDto,
} from './peers.dto';

export const dimsePeerView = (p: DimsePeer): DimsePeerView => ({
  ...p,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

export const dicomwebPeerView = (p: DicomwebPeer): DicomwebPeerView => ({
  ...p,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

function invalid(field: string, problem: string): DomainError {
  return new DomainError('invalid_peer_address', HttpStatus.BAD_REQUEST, `${field}: ${problem}`, {
    fields: [{ field, problems: [problem] }],
  });
}

/** The checks the DTO's shape cannot make: the AE title's and host's rules, a destination's address. */
function checkDimse(p: DimsePeerFields): DimsePeerFields {
  if (!isAeTitle(p.aeTitle))
    throw invalid('aeTitle', '1-16 printable ASCII characters, no backslash, not blank');
  if (p.host !== null && !isHost(p.host)) throw invalid('host', 'a DNS name or an IP address');
  if ((p.host === null) !== (p.port === null))
    throw invalid(p.host === null ? 'host' : 'port', 'host and port go together');
  if (p.directions.includes('retrieve_destination') && (p.host === null || p.port === null))
    throw new DomainError(
      'peer_destination_address',
      HttpStatus.BAD_REQUEST,
      'a retrieve destination needs the host and port we send to',
    );
  return p;
}

function checkDicomweb(p: DicomwebPeerFields): DicomwebPeerFields {
  if (!isDicomwebBaseUrl(p.baseUrl))
    throw invalid('baseUrl', 'an http(s) URL without credentials, query or fragment');
  return p;
}

function peerExists(what: string): DomainError {
  return new DomainError('peer_exists', HttpStatus.CONFLICT, `${what} is registered already`);
}

/**
 * Admins register their organizations' DICOM peers (DIMSE and DICOMweb) here, through the
 * policy (admins of the organization or above it), every change audited with what changed.
 */
@Injectable()
export class PeersService {
  constructor(
    private readonly store: PeerStore,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly directory: DirectoryService,
    private readonly accounts: ServiceAccountsService,
  ) {}

  /** The organizations a listing covers: the one named (checked), or all the admin manages. */
  private async listed(actor: Actor, organizationId?: string): Promise<string[]> {
    if (organizationId) await this.directory.organization(organizationId);
    const org = organizationId ?? actor.organizationId;
    await this.policy.assert(actor, 'read', { type: 'dicom_peer', organizationId: org });
    return organizationId
      ? [organizationId]
      : (await this.policy.organizationScope(actor)).organizationIds;
  }

  async listDimse(actor: Actor, organizationId?: string): Promise<DimsePeerView[]> {
    const orgs = await this.listed(actor, organizationId);
    return (await this.store.dimsePeersOf(orgs)).map(dimsePeerView);
  }

  async listDicomweb(actor: Actor, organizationId?: string): Promise<DicomwebPeerView[]> {
    const orgs = await this.listed(actor, organizationId);
    return (await this.store.dicomwebPeersOf(orgs)).map(dicomwebPeerView);
  }

  async createDimse(actor: Actor, dto: CreateDimsePeerDto): Promise<DimsePeerView> {
    await this.directory.organization(dto.organizationId);
    await this.policy.assert(actor, 'create', {
      type: 'dicom_peer',
      organizationId: dto.organizationId,
    });
    const fields = checkDimse({
      aeTitle: dto.aeTitle,
      host: dto.host ?? null,
      port: dto.port ?? null,
      directions: [...new Set(dto.directions)],
      enabled: dto.enabled ?? true,
      description: dto.description ?? null,
    });
    return this.store.transaction(async (m) => {
      const peer = await this.store.createDimsePeer(dto.organizationId, fields, m);
      if (!peer) throw peerExists(`AE title ${fields.aeTitle}`);
      await this.record(
        actor,
        'create',
        peer.id,
        { ...fields, organizationId: peer.organizationId },
        m,
      );
      return dimsePeerView(peer);
    });
  }

  async updateDimse(actor: Actor, id: string, dto: UpdateDimsePeerDto): Promise<DimsePeerView> {
    const before = await this.store.dimsePeer(id);
    if (!before)
      throw new DomainError(
        'dimse_peer_not_found',
        HttpStatus.NOT_FOUND,
        'no DIMSE peer has this id',
      );
    await this.policy.assert(actor, 'update', {
      type: 'dicom_peer',
      id,
      organizationId: before.organizationId,
    });
    const fields = checkDimse({
      aeTitle: dto.aeTitle ?? before.aeTitle,
      host: dto.host === undefined ? before.host : dto.host,
      port: dto.port === undefined ? before.port : dto.port,
      directions: dto.directions ? [...new Set(dto.directions)] : before.directions,
      enabled: dto.enabled ?? before.enabled,
      description: dto.description === undefined ? before.description : dto.description,
    });
    try {
      return await this.store.transaction(async (m) => {
        const peer = (await this.store.updateDimsePeer(id, fields, m))!;
        await this.record(actor, 'update', id, changes(before, fields), m);
        return dimsePeerView(peer);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw peerExists(`AE title ${fields.aeTitle}`);
      throw err;
    }
  }

  async createDicomweb(actor: Actor, dto: CreateDicomwebPeerDto): Promise<DicomwebPeerView> {
    await this.directory.organization(dto.organizationId);
    await this.policy.assert(actor, 'create', {
      type: 'dicom_peer',
      organizationId: dto.organizationId,
    });
    const fields = checkDicomweb({
      name: dto.name,
      baseUrl: dto.baseUrl,
      serviceAccountId: dto.serviceAccountId ?? null,
      credentialsRef: dto.credentialsRef ?? null,
      enabled: dto.enabled ?? true,
      description: dto.description ?? null,
    });
    await this.checkAccount(actor, fields.serviceAccountId, dto.organizationId);
    return this.store.transaction(async (m) => {
      const peer = await this.store.createDicomwebPeer(dto.organizationId, fields, m);
      if (!peer) throw peerExists(`a DICOMweb peer named ${fields.name}`);
      await this.record(
        actor,
        'create',
        peer.id,
        { ...fields, organizationId: peer.organizationId },
        m,
      );
      return dicomwebPeerView(peer);
    });
  }

  async updateDicomweb(
    actor: Actor,
    id: string,
    dto: UpdateDicomwebPeerDto,
  ): Promise<DicomwebPeerView> {
    const before = await this.store.dicomwebPeer(id);
    if (!before)
      throw new DomainError(
        'dicomweb_peer_not_found',
        HttpStatus.NOT_FOUND,
        'no DICOMweb peer has this id',
      );
    await this.policy.assert(actor, 'update', {
      type: 'dicom_peer',
      id,
      organizationId: before.organizationId,
    });
    const fields = checkDicomweb({
      name: dto.name ?? before.name,
      baseUrl: dto.baseUrl ?? before.baseUrl,
      serviceAccountId:
        dto.serviceAccountId === undefined ? before.serviceAccountId : dto.serviceAccountId,
      credentialsRef: dto.credentialsRef === undefined ? before.credentialsRef : dto.credentialsRef,
      enabled: dto.enabled ?? before.enabled,
      description: dto.description === undefined ? before.description : dto.description,
    });
    if (fields.serviceAccountId !== before.serviceAccountId)
      await this.checkAccount(actor, fields.serviceAccountId, before.organizationId);
    try {
      return await this.store.transaction(async (m) => {
        const peer = (await this.store.updateDicomwebPeer(id, fields, m))!;
        await this.record(actor, 'update', id, changes(before, fields), m);
        return dicomwebPeerView(peer);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw peerExists(`a DICOMweb peer named ${fields.name}`);
      throw err;
    }
  }

  /** An account named in a body is an access decision: one the admin may read, of the peer's organization. */
  private async checkAccount(actor: Actor, accountId: string | null, organizationId: string) {
    if (!accountId) return;
    const account = await this.accounts.get(actor, accountId);
    if (account.organizationId !== organizationId)
      throw new DomainError(
        'peer_service_account',
        HttpStatus.BAD_REQUEST,
        'the service account belongs to another organization than the peer',
      );
  }

  private record(
    actor: Actor,
    what: 'create' | 'update',
    id: string,
    details: Record<string, unknown>,
    m: EntityManager,
  ): Promise<void> {
    return this.audit.record(
      { action: `dicom_peer.${what}`, actor, resourceType: 'dicom_peer', resourceId: id, details },
      m,
    );
  }
}

/** The fields an update changed, before and after (for the audit trail). */
function changes<T extends object>(before: T, after: Partial<T>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    const was = (before as Record<string, unknown>)[k];
    if (JSON.stringify(was) !== JSON.stringify(v)) out[k] = { from: was, to: v };
  }
  return out;
}
