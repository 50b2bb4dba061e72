import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { DimsePeerDirection } from '@huizhen/contract';
import { camelRow, columnList, columns, sql, typed, type Db } from '@huizhen/database';
import type { DicomwebPeer, DicomwebPeerFields, DimsePeer, DimsePeerFields } from './peer-model';

// Each table's columns are its domain object's fields (snake_case → camelCase): rows map by name.

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
const DIMSE_PEER_COLUMNS = columnList(DIMSE_PEER);
const dimseSelect = (where: string) =>
  sql(DIMSE_PEER, `SELECT ${DIMSE_PEER_COLUMNS} FROM imaging_dimse_peer ${where}`);

const DIMSE_PEER_BY_AE = dimseSelect('WHERE ae_title = $1')
  .takes<[aeTitle: string]>()
  .map((r): DimsePeer => camelRow(r));
const DIMSE_PEER_BY_ID = dimseSelect('WHERE id = $1')
  .takes<[id: string]>()
  .map((r): DimsePeer => camelRow(r));
const DIMSE_PEERS_OF = dimseSelect(
  'WHERE organization_id = ANY($1::uuid[]) ORDER BY ae_title LIMIT 1000',
)
  .takes<[organizationIds: string[]]>()
  .map((r): DimsePeer => camelRow(r));

/** What an admin sets, as $2…$7 of the insert (after the organization) and of the update (after the id). */
type DimseFieldArgs = [
  aeTitle: string,
  host: string | null,
  port: number | null,
  directions: DimsePeerDirection[],
  enabled: boolean,
  description: string | null,
];
const dimseFieldArgs = (p: DimsePeerFields): DimseFieldArgs => [
  p.aeTitle,
  p.host,
  p.port,
  p.directions,
  p.enabled,
  p.description,
];

/** ON CONFLICT: an AE title already registered answers no row. */
const INSERT_DIMSE_PEER = sql(
  DIMSE_PEER,
  `INSERT INTO imaging_dimse_peer (organization_id, ae_title, host, port, directions, enabled, description)
   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ae_title) DO NOTHING RETURNING ${DIMSE_PEER_COLUMNS}`,
)
  .takes<[organizationId: string, ...DimseFieldArgs]>()
  .map((r): DimsePeer => camelRow(r));

const UPDATE_DIMSE_PEER = sql(
  DIMSE_PEER,
  `UPDATE imaging_dimse_peer SET ae_title = $2, host = $3, port = $4, directions = $5, enabled = $6,
          description = $7, updated_at = now()
    WHERE id = $1 RETURNING ${DIMSE_PEER_COLUMNS}`,
)
  .takes<[id: string, ...DimseFieldArgs]>()
  .map((r): DimsePeer => camelRow(r));

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
const DICOMWEB_PEER_COLUMNS = columnList(DICOMWEB_PEER);
const dicomwebSelect = (where: string) =>
  sql(DICOMWEB_PEER, `SELECT ${DICOMWEB_PEER_COLUMNS} FROM imaging_dicomweb_peer ${where}`);

const DICOMWEB_PEER_BY_ID = dicomwebSelect('WHERE id = $1')
  .takes<[id: string]>()
  .map((r): DicomwebPeer => camelRow(r));
const DICOMWEB_PEERS_OF = dicomwebSelect(
  'WHERE organization_id = ANY($1::uuid[]) ORDER BY name LIMIT 1000',
)
  .takes<[organizationIds: string[]]>()
  .map((r): DicomwebPeer => camelRow(r));

/** What an admin sets, as $2…$7 of the insert (after the organization) and of the update (after the id). */
type DicomwebFieldArgs = [
  name: string,
  baseUrl: string,
  serviceAccountId: string | null,
  credentialsRef: string | null,
  enabled: boolean,
  description: string | null,
];
const dicomwebFieldArgs = (p: DicomwebPeerFields): DicomwebFieldArgs => [
  p.name,
  p.baseUrl,
  p.serviceAccountId,
  p.credentialsRef,
  p.enabled,
  p.description,
];

const INSERT_DICOMWEB_PEER = sql(
  DICOMWEB_PEER,
  `INSERT INTO imaging_dicomweb_peer (organization_id, name, base_url, service_account_id, credentials_ref, enabled, description)
   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (organization_id, name) DO NOTHING
   RETURNING ${DICOMWEB_PEER_COLUMNS}`,
)
  .takes<[organizationId: string, ...DicomwebFieldArgs]>()
  .map((r): DicomwebPeer => camelRow(r));

const UPDATE_DICOMWEB_PEER = sql(
  DICOMWEB_PEER,
  `UPDATE imaging_dicomweb_peer SET name = $2, base_url = $3, service_account_id = $4, credentials_ref = $5,
          enabled = $6, description = $7, updated_at = now()
    WHERE id = $1 RETURNING ${DICOMWEB_PEER_COLUMNS}`,
)
  .takes<[id: string, ...DicomwebFieldArgs]>()
  .map((r): DicomwebPeer => camelRow(r));

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
    return INSERT_DIMSE_PEER.first(m, [organizationId, ...dimseFieldArgs(p)]);
  }

  updateDimsePeer(id: string, p: DimsePeerFields, m: Db = this.db): Promise<DimsePeer | null> {
    return UPDATE_DIMSE_PEER.first(m, [id, ...dimseFieldArgs(p)]);
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
    return INSERT_DICOMWEB_PEER.first(m, [organizationId, ...dicomwebFieldArgs(p)]);
  }

  updateDicomwebPeer(
    id: string,
    p: DicomwebPeerFields,
    m: Db = this.db,
  ): Promise<DicomwebPeer | null> {
    return UPDATE_DICOMWEB_PEER.first(m, [id, ...dicomwebFieldArgs(p)]);
  }
}
