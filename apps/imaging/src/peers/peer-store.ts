import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DimsePeerDirection } from '@huizhen/contract';
import { columns, sql, typed, type Db } from '@huizhen/database';
import type { DimsePeer } from './peer-model';

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

/**
 * The DICOM peers: the only class issuing SQL on imaging_dimse_peer (and the DICOMweb peers).
 * The DIMSE SCP asks it who a calling AE title is; the admin routes list and change peers.
 */
@Injectable()
export class PeerStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The peer with that AE title (enabled or not), or null for a stranger. */
  findByAeTitle(aeTitle: string, m: Db = this.db): Promise<DimsePeer | null> {
    return DIMSE_PEER_BY_AE.first(m, [aeTitle]);
  }
}
