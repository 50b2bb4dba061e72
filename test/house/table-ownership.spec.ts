import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * The house's rule for data: each feature's tables are written only by that feature (its store),
 * and a feature reads another's tables only where it is meant to: in its stores and read models
 * (joins for display names, the directory facts it checks) or in the access policy, which decides
 * over every feature's rows by design. A service that needs another feature's facts asks that
 * feature's service. This scan reads the SQL in the source (statements are upper case here) and
 * holds every file to the rule, so a new statement in the wrong place fails here, not in review.
 */
// jest runs from the repository root (its rootDir).
const ROOT = process.cwd();

const FEATURES: Record<string, { dirs: string[]; tables: string[] }> = {
  directory: {
    dirs: ['libs/directory/', 'apps/api/src/directory/'],
    tables: ['organization', 'consortium', 'consortium_member', 'practitioner'],
  },
  // Before auth: a file belongs to the first feature whose folder holds it.
  'service-accounts': { dirs: ['libs/auth/src/service-accounts/'], tables: ['service_account'] },
  auth: { dirs: ['libs/auth/'], tables: ['refresh_token', 'access_revocation'] },
  audit: { dirs: ['libs/audit/', 'apps/api/src/audit-trail/'], tables: ['audit_event'] },
  access: { dirs: ['libs/access-policy/'], tables: ['access_grant'] },
  patients: { dirs: ['apps/api/src/patients/'], tables: ['patient'] },
  consultations: {
    dirs: ['apps/api/src/consultations/'],
    tables: [
      'consultation_request',
      'consultation_status_history',
      'consultation_participant',
      'consultation_message',
      'consultation_read_receipt',
      'consultation_attachment',
      'consultation_report',
      'consultation_call_event',
      'practitioner_signing_key',
      'consultation_requested_exam',
    ],
  },
  referrals: { dirs: ['apps/api/src/referrals/'], tables: ['referral'] },
  scheduling: {
    dirs: ['apps/api/src/scheduling/'],
    tables: [
      'booking',
      'slot',
      'shift_occurrence',
      'rotation_shift',
      'rotation_plan',
      'specialist_working_hours',
      'specialist_unavailability',
      'calendar_feed_token',
    ],
  },
  // Before imaging: a file belongs to the first feature whose folder holds it.
  peers: {
    dirs: ['apps/imaging/src/peers/'],
    tables: ['imaging_dimse_peer', 'imaging_dicomweb_peer'],
  },
  routing: {
    dirs: ['apps/imaging/src/routing/'],
    tables: ['imaging_routing_rule', 'imaging_forward_job', 'imaging_forward_sent'],
  },
  imaging: {
    dirs: ['apps/imaging/'],
    tables: [
      'imaging_study',
      'imaging_series',
      'imaging_instance',
      'imaging_study_link',
      'imaging_worklist_arrival',
    ],
  },
  database: { dirs: ['libs/database/'], tables: ['schema_migration'] },
};

/** Files whose name says they hold a feature's SQL: its stores, statements and read models. */
const STORE_FILE = /(-store|-sql|-read-model|known-ids)\.ts$/;

/** Reads of another feature's tables outside a store, each with why it is there. */
const FOREIGN_READS: Record<string, { tables: string[]; why: string }> = {
  'libs/access-policy/src/access-policy.service.ts': {
    tables: ['consortium_member', 'consultation_participant', 'organization', 'patient'],
    why: 'the one access policy decides over every feature’s rows',
  },
  'libs/access-policy/src/consultation-refs.ts': {
    tables: [
      'consultation_attachment',
      'consultation_participant',
      'consultation_request',
      'imaging_study',
      'imaging_study_link',
    ],
    why: 'a standalone imaging node decides on a study reached through consultations as the api does',
  },
  'libs/audit/src/audit.service.ts': {
    tables: ['practitioner'],
    why: 'an audit event written in the statement that reads names its actor',
  },
  'apps/server/src/demo-province/demo-consultations.ts': {
    tables: ['patient'],
    why: 'the demo loader finds the demo patients it registered',
  },
};

/** Writers of another feature's tables: loaders of fixtures, never a feature. */
const FOREIGN_WRITES: Record<string, string> = {
  'apps/server/src/demo-province/demo-province.seeder.ts':
    'loads the demo province (directory, patients; its DICOM peers go through PeerStore) into an empty database',
  'apps/server/src/province/province-generator.ts':
    'grows the demo province to Guizhou’s size by bulk SQL (directory, patients, rotations as the scheduling services expand them) for benches and screens at scale',
};

/**
 * The entities of features whose stores hold all their SQL: reading or writing them through
 * TypeORM (`m.findOne(Practitioner, …)`, `getRepository(Organization)`) goes around the store.
 */
const STORE_ONLY_ENTITIES = ['Organization', 'Consortium', 'ConsortiumMember', 'Practitioner'];
const ENTITY_API = new RegExp(
  `\\.(?:find\\w*|save|insert|update|delete|upsert|count\\w*|exist\\w*|create|merge|preload|increment|decrement)\\((${STORE_ONLY_ENTITIES.join('|')})\\b|getRepository\\((${STORE_ONLY_ENTITIES.join('|')})\\)`,
  'g',
);

const OWNER = new Map(
  Object.entries(FEATURES).flatMap(([f, { tables }]) => tables.map((t) => [t, f] as const)),
);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      return ['node_modules', 'migrations', 'web', 'testing', 'dist'].includes(e.name)
        ? []
        : sourceFiles(path);
    }
    return /\.ts$/.test(e.name) && !/(spec|test-support)\.ts$/.test(e.name) ? [path] : [];
  });
}

function tablesAfter(text: string, keywords: string): Set<string> {
  const re = new RegExp(`\\b(?:${keywords})\\s+([a-z_]+)`, 'g');
  return new Set([...text.matchAll(re)].map((m) => m[1]).filter((t) => OWNER.has(t)));
}

const files = ['apps', 'libs'].flatMap((d) => sourceFiles(d)).map((p) => relative('.', p));
const featureOf = (file: string) =>
  Object.entries(FEATURES).find(([, { dirs }]) => dirs.some((d) => file.startsWith(d)))?.[0];
const scanned = files.map((file) => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const feature = featureOf(file);
  const foreign = (tables: Set<string>) =>
    [...tables].filter((t) => OWNER.get(t) !== feature).sort();
  return {
    file,
    feature,
    writes: foreign(tablesAfter(text, 'INSERT INTO|UPDATE|DELETE FROM')),
    reads: foreign(tablesAfter(text, 'FROM|JOIN')),
  };
});

describe('each feature’s tables', () => {
  it('sees the SQL of every feature (the scan finds statements at all)', () => {
    const owners = new Set(
      scanned.flatMap((s) =>
        s.feature && tablesAfter(readFileSync(join(ROOT, s.file), 'utf8'), 'FROM|INTO').size
          ? [s.feature]
          : [],
      ),
    );
    expect([...owners].sort()).toEqual(
      expect.arrayContaining(['consultations', 'imaging', 'referrals', 'scheduling', 'directory']),
    );
  });

  it('are written by their own feature only', () => {
    const wrong = scanned
      .filter((s) => s.writes.length && !FOREIGN_WRITES[s.file])
      .map((s) => `${s.file} writes ${s.writes.join(', ')}`);
    expect(wrong).toEqual([]);
  });

  it('are read by another feature only in its stores and read models, or where listed with why', () => {
    const wrong = scanned
      .filter((s) => s.reads.length && !STORE_FILE.test(s.file) && !FOREIGN_WRITES[s.file])
      .filter((s) => !s.reads.every((t) => FOREIGN_READS[s.file]?.tables.includes(t)))
      .map((s) => `${s.file} reads ${s.reads.join(', ')}`);
    expect(wrong).toEqual([]);
  });

  it('lists no exception that is no longer needed', () => {
    const stale = Object.entries(FOREIGN_READS).flatMap(([file, { tables }]) => {
      const s = scanned.find((x) => x.file === file);
      const unused = tables.filter((t) => !s?.reads.includes(t));
      return unused.length ? [`${file}: ${unused.join(', ')}`] : [];
    });
    expect(stale).toEqual([]);
  });

  it('are queried, in features that have stores, from the stores only', () => {
    const withStores = [
      'auth',
      'consultations',
      'directory',
      'imaging',
      'patients',
      'peers',
      'referrals',
      'routing',
      'scheduling',
      'service-accounts',
    ];
    const wrong = scanned
      .filter((s) => s.feature && withStores.includes(s.feature) && !STORE_FILE.test(s.file))
      .filter((s) =>
        /\.query\(|\bSELECT\b[\s\S]*?\bFROM\b|\bINSERT INTO\b|\bUPDATE\s+[a-z_]+\s+SET\b/.test(
          readFileSync(join(ROOT, s.file), 'utf8'),
        ),
      )
      .map((s) => s.file);
    expect(wrong).toEqual([]);
  });

  it('are not reached through TypeORM’s entity API around the stores (the scan above cannot see it)', () => {
    const wrong = scanned
      .filter((s) => !STORE_FILE.test(s.file))
      .flatMap((s) => {
        const text = readFileSync(join(ROOT, s.file), 'utf8');
        const hits = [...text.matchAll(ENTITY_API)].map((m) => m[1] ?? m[2]);
        return hits.length ? [`${s.file}: ${[...new Set(hits)].join(', ')}`] : [];
      });
    expect(wrong).toEqual([]);
  });
});
