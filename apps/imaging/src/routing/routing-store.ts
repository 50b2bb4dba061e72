import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { ForwardJobState } from '@huizhen/contract';
import { columns, command, sql, typed, type Db } from '@huizhen/database';
import type {
  ForwardFailure,
  ForwardJob,
  RoutingDestination,
  RoutingRule,
  RoutingRuleFields,
} from './routing-model';

const RULE = columns({
  id: 'uuid',
  organization_id: 'uuid',
  name: 'text',
  modalities: 'text[]',
  calling_ae_titles: 'text[]',
  dimse_peer_id: 'uuid?',
  dicomweb_peer_id: 'uuid?',
  destination_name: 'text',
  enabled: 'bool',
  description: 'text?',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});

/** The rule's columns with its destination's name, from a relation `r` (the table or a CTE). */
const RULE_SELECT = `
  SELECT r.id, r.organization_id, r.name, r.modalities, r.calling_ae_titles, r.dimse_peer_id,
         r.dicomweb_peer_id, coalesce(d.ae_title, w.name) AS destination_name, r.enabled,
         r.description, r.created_at, r.updated_at
    FROM r
    LEFT JOIN imaging_dimse_peer d ON d.id = r.dimse_peer_id
    LEFT JOIN imaging_dicomweb_peer w ON w.id = r.dicomweb_peer_id`;

function destinationOf(r: {
  dimse_peer_id: string | null;
  dicomweb_peer_id: string | null;
  destination_name: string;
}): RoutingDestination {
  return r.dimse_peer_id
    ? { kind: 'dimse', peerId: r.dimse_peer_id, name: r.destination_name }
    : { kind: 'dicomweb', peerId: r.dicomweb_peer_id!, name: r.destination_name };
}

const toRule = (r: {
  id: string;
  organization_id: string;
  name: string;
  modalities: string[];
  calling_ae_titles: string[];
  dimse_peer_id: string | null;
  dicomweb_peer_id: string | null;
  destination_name: string;
  enabled: boolean;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}): RoutingRule => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  modalities: r.modalities,
  callingAeTitles: r.calling_ae_titles,
  destination: destinationOf(r),
  enabled: r.enabled,
  description: r.description,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const RULE_BY_ID = sql(
  RULE,
  `WITH r AS (SELECT * FROM imaging_routing_rule WHERE id = $1) ${RULE_SELECT}`,
)
  .takes<[id: string]>()
  .map(toRule);

const RULES_OF = sql(
  RULE,
  `WITH r AS (SELECT * FROM imaging_routing_rule WHERE organization_id = ANY($1::uuid[])) ${RULE_SELECT}
   ORDER BY r.name LIMIT 1000`,
)
  .takes<[organizationIds: string[]]>()
  .map(toRule);

/** The switched-on rules of the organizations studies just arrived for (the arrivals' matching). */
const ENABLED_RULES_OF = sql(
  RULE,
  `WITH r AS (SELECT * FROM imaging_routing_rule
               WHERE organization_id = ANY($1::uuid[]) AND enabled) ${RULE_SELECT}`,
)
  .takes<[organizationIds: string[]]>()
  .map(toRule);

type RuleArgs = [
  name: string,
  modalities: string[],
  callingAeTitles: string[],
  dimsePeerId: string | null,
  dicomwebPeerId: string | null,
  enabled: boolean,
  description: string | null,
];

/** ON CONFLICT: a name the organization uses already answers no row. */
const INSERT_RULE = sql(
  RULE,
  `WITH r AS (
     INSERT INTO imaging_routing_rule
       (organization_id, name, modalities, calling_ae_titles, dimse_peer_id, dicomweb_peer_id, enabled, description)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (organization_id, name) DO NOTHING
     RETURNING *) ${RULE_SELECT}`,
)
  .takes<[organizationId: string, ...RuleArgs]>()
  .map(toRule);

const UPDATE_RULE = sql(
  RULE,
  `WITH r AS (
     UPDATE imaging_routing_rule SET name = $2, modalities = $3, calling_ae_titles = $4,
            dimse_peer_id = $5, dicomweb_peer_id = $6, enabled = $7, description = $8, updated_at = now()
      WHERE id = $1 RETURNING *) ${RULE_SELECT}`,
)
  .takes<[id: string, ...RuleArgs]>()
  .map(toRule);

/** Its jobs go with it (ON DELETE CASCADE): a rule removed forwards nothing more. */
const DELETE_RULE = command<[id: string]>(`DELETE FROM imaging_routing_rule WHERE id = $1`);

const JOB = columns({
  id: 'uuid',
  rule_id: 'uuid',
  rule_name: 'text',
  organization_id: 'uuid',
  study_instance_uid: 'text',
  dimse_peer_id: 'uuid?',
  dicomweb_peer_id: 'uuid?',
  destination_name: 'text',
  state: typed<ForwardJobState>('text'),
  attempts: 'int',
  next_attempt_at: 'timestamptz?',
  last_error: 'text?',
  failures: typed<ForwardFailure[]>('json'),
  instances_total: 'int',
  instances_sent: 'int',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  done_at: 'timestamptz?',
});

const JOB_SELECT = `
  SELECT j.id, j.rule_id, r.name AS rule_name, j.organization_id, j.study_instance_uid,
         r.dimse_peer_id, r.dicomweb_peer_id, coalesce(d.ae_title, w.name) AS destination_name,
         j.state, j.attempts, j.next_attempt_at, j.last_error, j.failures, j.instances_total,
         j.instances_sent, j.created_at, j.updated_at, j.done_at
    FROM j
    JOIN imaging_routing_rule r ON r.id = j.rule_id
    LEFT JOIN imaging_dimse_peer d ON d.id = r.dimse_peer_id
    LEFT JOIN imaging_dicomweb_peer w ON w.id = r.dicomweb_peer_id`;

const toJob = (r: {
  id: string;
  rule_id: string;
  rule_name: string;
  organization_id: string;
  study_instance_uid: string;
  dimse_peer_id: string | null;
  dicomweb_peer_id: string | null;
  destination_name: string;
  state: ForwardJobState;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  failures: ForwardFailure[];
  instances_total: number;
  instances_sent: number;
  created_at: Date;
  updated_at: Date;
  done_at: Date | null;
}): ForwardJob => ({
  id: r.id,
  ruleId: r.rule_id,
  ruleName: r.rule_name,
  organizationId: r.organization_id,
  studyInstanceUid: r.study_instance_uid,
  destination: destinationOf(r),
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  failures: r.failures,
  instancesTotal: r.instances_total,
  instancesSent: r.instances_sent,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  doneAt: r.done_at,
});

const JOB_BY_ID = sql(
  JOB,
  `WITH j AS (SELECT * FROM imaging_forward_job WHERE id = $1 AND discarded_at IS NULL) ${JOB_SELECT}`,
)
  .takes<[id: string]>()
  .map(toJob);

/** Newest change first; `$2` null lists every state. */
const JOBS_OF = sql(
  JOB,
  `WITH j AS (SELECT * FROM imaging_forward_job
               WHERE organization_id = ANY($1::uuid[]) AND ($2::text IS NULL OR state = $2)
                 AND discarded_at IS NULL
               ORDER BY updated_at DESC, id LIMIT $3) ${JOB_SELECT}
   ORDER BY j.updated_at DESC, j.id`,
)
  .takes<[organizationIds: string[], state: ForwardJobState | null, limit: number]>()
  .map(toJob);

/**
 * A study arrived for these rules: each gets its job, due once the study has been quiet for
 * `$3` seconds. Every arrival pushes a waiting job's time out (never earlier than a backoff
 * already set); a job done before goes back to the queue for what came since; one being sent is
 * marked to go round again when it finishes; a dead letter waits for an admin.
 */
const ARM = command<[ruleIds: string[], studyUid: string, quietSeconds: number]>(`
  INSERT INTO imaging_forward_job (rule_id, organization_id, study_instance_uid, state, next_attempt_at)
  SELECT r.id, r.organization_id, $2, 'queued', now() + make_interval(secs => $3)
    FROM imaging_routing_rule r WHERE r.id = ANY($1::uuid[])
  ON CONFLICT (rule_id, study_instance_uid) DO UPDATE SET
    state = CASE WHEN imaging_forward_job.state = 'done' THEN 'queued' ELSE imaging_forward_job.state END,
    attempts = CASE WHEN imaging_forward_job.state = 'done' THEN 0 ELSE imaging_forward_job.attempts END,
    next_attempt_at = CASE imaging_forward_job.state
      WHEN 'done' THEN EXCLUDED.next_attempt_at
      WHEN 'queued' THEN greatest(imaging_forward_job.next_attempt_at, EXCLUDED.next_attempt_at)
      ELSE imaging_forward_job.next_attempt_at END,
    rearmed = imaging_forward_job.rearmed OR imaging_forward_job.state = 'sending',
    updated_at = now()`);

/**
 * After a start: studies of the last `$1` seconds that a switched-on rule takes (by modality; a
 * rule naming calling AE titles cannot be judged afterwards: the sender is not stored), changed
 * after the rule was, with no job (discarded ones included) that saw their last change: a process
 * heard of them and stopped before arming their job (the arrivals' 250 ms gathering).
 */
const MISSED = sql(
  { rule_id: 'uuid', study_instance_uid: 'text' },
  `SELECT r.id AS rule_id, s.study_instance_uid
     FROM imaging_routing_rule r
     JOIN imaging_study s ON s.organization_id = r.organization_id
    WHERE r.enabled AND cardinality(r.calling_ae_titles) = 0
      AND (cardinality(r.modalities) = 0 OR s.modalities && r.modalities)
      AND s.updated_at > greatest(r.updated_at, now() - make_interval(secs => $1))
      AND NOT EXISTS (SELECT 1 FROM imaging_forward_job j
                       WHERE j.rule_id = r.id AND j.study_instance_uid = s.study_instance_uid
                         AND j.updated_at >= s.updated_at)
    LIMIT 10000`,
).takes<[withinSeconds: number]>();

const CLAIMED = columns({
  id: 'uuid',
  rule_id: 'uuid',
  study_instance_uid: 'text',
  attempts: 'int',
});

/**
 * Due jobs, taken by this node: queued ones whose time has come, and ones a node was sending
 * whose lease ran out (it died or lost the database). SKIP LOCKED: two nodes claiming at once
 * take different jobs, and a claimed job is 'sending' under this node's name until it says how
 * it went or its lease runs out.
 */
const CLAIM = sql(
  CLAIMED,
  `UPDATE imaging_forward_job j
      SET state = 'sending', attempts = j.attempts + 1, claimed_by = $1,
          lease_until = now() + make_interval(secs => $2), rearmed = false, updated_at = now()
    WHERE j.id IN (SELECT id FROM imaging_forward_job
                    WHERE (state = 'queued' AND next_attempt_at <= now())
                       OR (state = 'sending' AND lease_until < now())
                    ORDER BY next_attempt_at NULLS FIRST
                    LIMIT $3 FOR UPDATE SKIP LOCKED)
   RETURNING j.id, j.rule_id, j.study_instance_uid, j.attempts`,
)
  .takes<[node: string, leaseSeconds: number, limit: number]>()
  .map((r) => ({
    id: r.id,
    ruleId: r.rule_id,
    studyInstanceUid: r.study_instance_uid,
    attempts: r.attempts,
  }));

const SENT_OF = sql(
  { sop_instance_uid: 'text' },
  `SELECT sop_instance_uid FROM imaging_forward_sent WHERE job_id = $1`,
).takes<[jobId: string]>();

const STARTED = command<[jobId: string, node: string, total: number]>(
  `UPDATE imaging_forward_job SET instances_total = $3, updated_at = now()
    WHERE id = $1 AND claimed_by = $2 AND state = 'sending'`,
);

/**
 * Instances the destination acknowledged: kept whoever holds the job now (they did arrive), the
 * count refreshed, the lease renewed if it is still ours. Answers whether it is.
 */
const ACKNOWLEDGED = sql(
  { ours: 'bool' },
  `WITH s AS (INSERT INTO imaging_forward_sent (job_id, sop_instance_uid)
              SELECT $1, unnest($3::text[]) ON CONFLICT DO NOTHING RETURNING 1)
   UPDATE imaging_forward_job
      SET instances_sent = (SELECT count(*) FROM imaging_forward_sent WHERE job_id = $1)
                           + (SELECT count(*) FROM s),
          lease_until = CASE WHEN claimed_by = $2 THEN now() + make_interval(secs => $4) ELSE lease_until END,
          updated_at = now()
    WHERE id = $1
   RETURNING claimed_by IS NOT DISTINCT FROM $2 AND state = 'sending' AS ours`,
).takes<[jobId: string, node: string, sopUids: string[], leaseSeconds: number]>();

/** Everything sent: done, or queued again after the quiet time if more arrived meanwhile. */
const SUCCEEDED = sql(
  { state: typed<ForwardJobState>('text') },
  `UPDATE imaging_forward_job SET
      state = CASE WHEN rearmed THEN 'queued' ELSE 'done' END,
      next_attempt_at = CASE WHEN rearmed THEN now() + make_interval(secs => $3) END,
      attempts = CASE WHEN rearmed THEN 0 ELSE attempts END,
      done_at = CASE WHEN rearmed THEN done_at ELSE now() END,
      last_error = NULL, lease_until = NULL, claimed_by = NULL, rearmed = false, updated_at = now()
    WHERE id = $1 AND claimed_by = $2 AND state = 'sending'
   RETURNING state`,
).takes<[jobId: string, node: string, quietSeconds: number]>();

/** An attempt failed: dead when permanent or out of attempts, else queued for after the backoff. The reason is kept (ten at most). */
const FAILED = sql(
  { state: typed<ForwardJobState>('text') },
  `UPDATE imaging_forward_job SET
      state = CASE WHEN $4 OR attempts >= $5 THEN 'dead' ELSE 'queued' END,
      next_attempt_at = CASE WHEN $4 OR attempts >= $5 THEN NULL
                             ELSE now() + make_interval(secs => $6) END,
      last_error = $3,
      failures = jsonb_path_query_array(
        jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempts, 'reason', $3::text))
          || failures, '$[0 to 9]'),
      lease_until = NULL, claimed_by = NULL, rearmed = false, updated_at = now()
    WHERE id = $1 AND claimed_by = $2 AND state = 'sending'
   RETURNING state`,
).takes<
  [
    jobId: string,
    node: string,
    reason: string,
    permanent: boolean,
    maxAttempts: number,
    delaySeconds: number,
  ]
>();

/** A node stopping gives its job back as it was: the attempt it did not finish is not counted. */
const RELEASE = command<[jobId: string, node: string]>(
  `UPDATE imaging_forward_job SET state = 'queued', next_attempt_at = now(),
          attempts = greatest(attempts - 1, 0), lease_until = NULL, claimed_by = NULL, updated_at = now()
    WHERE id = $1 AND claimed_by = $2 AND state = 'sending'`,
);

/** An admin sends a dead letter again: from its first attempt, now. */
const RETRY = command<[jobId: string]>(
  `UPDATE imaging_forward_job SET state = 'queued', attempts = 0, next_attempt_at = now(),
          updated_at = now()
    WHERE id = $1 AND state = 'dead' AND discarded_at IS NULL`,
);

/** Kept, marked: a discarded study is not brought back by the start-up catch-up (nor by a later arrival: it stays dead). */
const DISCARD = command<[jobId: string]>(
  `UPDATE imaging_forward_job SET discarded_at = now(), updated_at = now()
    WHERE id = $1 AND state = 'dead' AND discarded_at IS NULL`,
);

/**
 * Routing's tables: the only class issuing SQL on imaging_routing_rule, imaging_forward_job and
 * imaging_forward_sent (the queue). It reads the peers' names beside them for the listings.
 */
@Injectable()
export class RoutingStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  rule(id: string, m: Db = this.db): Promise<RoutingRule | null> {
    return RULE_BY_ID.first(m, [id]);
  }

  rulesOf(organizationIds: string[]): Promise<RoutingRule[]> {
    return RULES_OF.all(this.db, [organizationIds]);
  }

  enabledRulesOf(organizationIds: string[]): Promise<RoutingRule[]> {
    return ENABLED_RULES_OF.all(this.db, [organizationIds]);
  }

  /** The new rule, or null when the organization has a rule of that name already. */
  createRule(organizationId: string, f: RoutingRuleFields, m: Db): Promise<RoutingRule | null> {
    return INSERT_RULE.first(m, [organizationId, ...ruleArgs(f)]);
  }

  updateRule(id: string, f: RoutingRuleFields, m: Db): Promise<RoutingRule | null> {
    return UPDATE_RULE.first(m, [id, ...ruleArgs(f)]);
  }

  async deleteRule(id: string, m: Db): Promise<void> {
    await DELETE_RULE.run(m, [id]);
  }

  job(id: string, m: Db = this.db): Promise<ForwardJob | null> {
    return JOB_BY_ID.first(m, [id]);
  }

  jobsOf(
    organizationIds: string[],
    state: ForwardJobState | null,
    limit: number,
  ): Promise<ForwardJob[]> {
    return JOBS_OF.all(this.db, [organizationIds, state, limit]);
  }

  async arm(ruleIds: string[], studyUid: string, quietSeconds: number): Promise<void> {
    if (ruleIds.length) await ARM.run(this.db, [ruleIds, studyUid, quietSeconds]);
  }

  missedArrivals(withinSeconds: number) {
    return MISSED.all(this.db, [withinSeconds]);
  }

  claim(node: string, leaseSeconds: number, limit: number) {
    return CLAIM.all(this.db, [node, leaseSeconds, limit]);
  }

  async sentOf(jobId: string): Promise<Set<string>> {
    return new Set((await SENT_OF.all(this.db, [jobId])).map((r) => r.sop_instance_uid));
  }

  async started(jobId: string, node: string, total: number): Promise<void> {
    await STARTED.run(this.db, [jobId, node, total]);
  }

  /** False when the job is no longer this node's (its lease ran out and another took it). */
  async acknowledged(
    jobId: string,
    node: string,
    sopUids: string[],
    leaseSeconds: number,
  ): Promise<boolean> {
    return (await ACKNOWLEDGED.first(this.db, [jobId, node, sopUids, leaseSeconds]))?.ours ?? false;
  }

  async succeeded(jobId: string, node: string, quietSeconds: number, m: Db = this.db) {
    return (await SUCCEEDED.first(m, [jobId, node, quietSeconds]))?.state ?? null;
  }

  async failed(
    jobId: string,
    node: string,
    failure: { reason: string; permanent: boolean; maxAttempts: number; delaySeconds: number },
  ): Promise<ForwardJobState | null> {
    const { reason, permanent, maxAttempts, delaySeconds } = failure;
    return (
      (await FAILED.first(this.db, [jobId, node, reason, permanent, maxAttempts, delaySeconds]))
        ?.state ?? null
    );
  }

  async release(jobId: string, node: string): Promise<void> {
    await RELEASE.run(this.db, [jobId, node]);
  }

  /** True when it was a dead letter (and is queued now). */
  async retry(jobId: string, m: Db): Promise<boolean> {
    return (await RETRY.run(m, [jobId])) > 0;
  }

  async discard(jobId: string, m: Db): Promise<boolean> {
    return (await DISCARD.run(m, [jobId])) > 0;
  }
}

const ruleArgs = (f: RoutingRuleFields): RuleArgs => [
  f.name,
  f.modalities,
  f.callingAeTitles,
  f.dimsePeerId,
  f.dicomwebPeerId,
  f.enabled,
  f.description,
];
