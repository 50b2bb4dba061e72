import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { DimsePeerDirection } from '@huizhen/contract';
import { columns, sql, typed, type Db } from '@huizhen/database';
import type { DicomwebPeer, DicomwebPeerFields, DimsePeer, DimsePeerFields } from './peer-model';

const DIMSE_PEER = columns({
  id: 'uuid',
  ae_title: 'text',
  organization_id: 'uuid',
  host: 'text?',
  port: 'int?',
  directions: typed<DimsePeerDirection[]>('text[]'),
  enabled: 'bool',
  description: 'text?',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
const DIMSE_PEER_COLUMNS =
  'id, ae_title, organization_id, host, port, directions, enabled, description, created_at, updated_at';

const toDimsePeer = (r: {
  id: string;
  ae_title: string;
  organization_id: string;
  host: string | null;
  port: number | null;
  directions: DimsePeerDirection[];
  enabled: boolean;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}): DimsePeer => ({
  id: r.id,
  aeTitle: r.ae_title,
  organizationId: r.organization_id,
  host: r.host,
  port: r.port,
  directions: r.directions,
  enabled: r.enabled,
  description: r.description,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const DIMSE_PEER_BY_AE = sql(
  DIMSE_PEER,
  `SELECT ${DIMSE_PEER_COLUMNS} FROM imaging_dimse_peer WHERE ae_title = $1`,
)
  .takes<[aeTitle: string]>()
  .map(toDimsePeer);

const DIMSE_PEER_BY_ID = sql(
  DIMSE_PEER,
  `SELECT ${DIMSE_PEER_COLUMNS} FROM imaging_dimse_peer WHERE id = $1`,
)
  .takes<[id: string]>()
  .map(toDimsePeer);

const DIMSE_PEERS_OF = sql(
  DIMSE_PEER,
  `SELECT ${DIMSE_PEER_COLUMNS} FROM imaging_dimse_peer WHERE organization_id = ANY($1::uuid[])
    ORDER BY ae_title LIMIT 1000`,
)
  .takes<[organizationIds: string[]]>()
  .map(toDimsePeer);

type DimseArgs = [
  aeTitle: string,
  organizationId: string,
  host: string | null,
  port: number | null,
  directions: DimsePeerDirection[],
  enabled: boolean,
  description: string | null,
];

/** ON CONFLICT: an AE title already registered answers no row. */
const INSERT_DIMSE_PEER = sql(
  DIMSE_PEER,
  `INSERT INTO imaging_dimse_peer (ae_title, organization_id, host, port, directions, enabled, description)
   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ae_title) DO NOTHING RETURNING ${DIMSE_PEER_COLUMNS}`,
)
  .takes<DimseArgs>()
  .map(toDimsePeer);

const UPDATE_DIMSE_PEER = sql(
  DIMSE_PEER,
  `UPDATE imaging_dimse_peer SET ae_title = $2, host = $3, port = $4, directions = $5, enabled = $6,
          description = $7, updated_at = now()
    WHERE id = $1 RETURNING ${DIMSE_PEER_COLUMNS}`,
)
  .takes<
    [
      id: string,
      aeTitle: string,
      host: string | null,
      port: number | null,
      directions: DimsePeerDirection[],
      enabled: boolean,
      description: string | null,
    ]
  >()
  .map(toDimsePeer);

const DICOMWEB_PEER = columns({
  id: 'uuid',
  organization_id: 'uuid',
  name: 'text',
  base_url: 'text',
  service_account_id: 'uuid?',
  credentials_ref: 'text?',
  enabled: 'bool',
  description: 'text?',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
const DICOMWEB_PEER_COLUMNS =
  'id, organization_id, name, base_url, service_account_id, credentials_ref, enabled, description, created_at, updated_at';

const toDicomwebPeer = (r: {
  id: string;
  organization_id: string;
  name: string;
  base_url: string;
  service_account_id: string | null;
  credentials_ref: string | null;
  enabled: boolean;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}): DicomwebPeer => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  baseUrl: r.base_url,
  serviceAccountId: r.service_account_id,
  credentialsRef: r.credentials_ref,
  enabled: r.enabled,
  description: r.description,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const DICOMWEB_PEER_BY_ID = sql(
  DICOMWEB_PEER,
  `SELECT ${DICOMWEB_PEER_COLUMNS} FROM imaging_dicomweb_peer WHERE id = $1`,
)
  .takes<[id: string]>()
  .map(toDicomwebPeer);

const DICOMWEB_PEERS_OF = sql(
  DICOMWEB_PEER,
  `SELECT ${DICOMWEB_PEER_COLUMNS} FROM imaging_dicomweb_peer WHERE organization_id = ANY($1::uuid[])
    ORDER BY name LIMIT 1000`,
)
  .takes<[organizationIds: string[]]>()
  .map(toDicomwebPeer);

type DicomwebArgs = [
  organizationId: string,
  name: string,
  baseUrl: string,
  serviceAccountId: string | null,
  credentialsRef: string | null,
  enabled: boolean,
  description: string | null,
];

const INSERT_DICOMWEB_PEER = sql(
  DICOMWEB_PEER,
  `INSERT INTO imaging_dicomweb_peer (organization_id, name, base_url, service_account_id, credentials_ref, enabled, description)
   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (organization_id, name) DO NOTHING
   RETURNING ${DICOMWEB_PEER_COLUMNS}`,
)
  .takes<DicomwebArgs>()
  .map(toDicomwebPeer);

const UPDATE_DICOMWEB_PEER = sql(
  DICOMWEB_PEER,
  `UPDATE imaging_dicomweb_peer SET name = $2, base_url = $3, service_account_id = $4, credentials_ref = $5,
          enabled = $6, description = $7, updated_at = now()
    WHERE id = $1 RETURNING ${DICOMWEB_PEER_COLUMNS}`,
)
  .takes<
    [
      id: string,
      name: string,
      baseUrl: string,
      serviceAccountId: string | null,
      credentialsRef: string | null,
      enabled: boolean,
      description: string | null,
    ]
  >()
  .map(toDicomwebPeer);

/** A unique violation (an AE title or a peer name taken by a concurrent change). */
export const isUniqueViolation = (err: unknown): boolean =>
  (err as { code?: string; driverError?: { code?: string } })?.code === '23505' ||
  (err as { driverError?: { code?: string } })?.driverError?.code === '23505';

/**
 * The DICOM peers: the only class issuing SQL on imaging_dimse_peer and imaging_dicomweb_peer.
 * The DIMSE SCP asks it who a calling AE title is; the admin routes list and change peers; the
 * demo seeder registers its modalities here.
 */
@Injectable()
export class PeerStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The peer with that AE title (enabled or not), or null for a stranger. */
  findByAeTitle(aeTitle: string, m: Db = this.db): Promise<DimsePeer | null> {
    return DIMSE_PEER_BY_AE.first(m, [aeTitle]);
  }

  dimsePeer(id: string, m: Db = this.db): Promise<DimsePeer | null> {
    return DIMSE_PEER_BY_ID.first(m, [id]);
  }

  dimsePeersOf(organizationIds: string[]): Promise<DimsePeer[]> {
    return DIMSE_PEERS_OF.all(this.db, [organizationIds]);
  }

  /** The new peer, or null when its AE title is registered already. */
  createDimsePeer(
    organizationId: string,
    p: DimsePeerFields,
    m: Db = this.db,
  ): Promise<DimsePeer | null> {
    return INSERT_DIMSE_PEER.first(m, [
      p.aeTitle,
      organizationId,
      p.host,
      p.port,
      p.directions,
      p.enabled,
      p.description,
    ]);
  }

  updateDimsePeer(id: string, p: DimsePeerFields, m: Db = this.db): Promise<DimsePeer | null> {
    return UPDATE_DIMSE_PEER.first(m, [
      id,
      p.aeTitle,
      p.host,
      p.port,
      p.directions,
      p.enabled,
      p.description,
    ]);
  }

  dicomwebPeer(id: string, m: Db = this.db): Promise<DicomwebPeer | null> {
    return DICOMWEB_PEER_BY_ID.first(m, [id]);
  }

  dicomwebPeersOf(organizationIds: string[]): Promise<DicomwebPeer[]> {
    return DICOMWEB_PEERS_OF.all(this.db, [organizationIds]);
  }

  /** The new peer, or null when the organization has a peer of that name already. */
  createDicomwebPeer(
    organizationId: string,
    p: DicomwebPeerFields,
    m: Db = this.db,
  ): Promise<DicomwebPeer | null> {
    return INSERT_DICOMWEB_PEER.first(m, [
      organizationId,
      p.name,
      p.baseUrl,
      p.serviceAccountId,
      p.credentialsRef,
      p.enabled,
      p.description,
    ]);
  }

  updateDicomwebPeer(
    id: string,
    p: DicomwebPeerFields,
    m: Db = this.db,
  ): Promise<DicomwebPeer | null> {
    return UPDATE_DICOMWEB_PEER.first(m, [
      id,
      p.name,
      p.baseUrl,
      p.serviceAccountId,
      p.credentialsRef,
      p.enabled,
      p.description,
    ]);
  }
}
