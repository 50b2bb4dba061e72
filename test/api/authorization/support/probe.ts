import { randomUUID } from 'node:crypto';
import { ALLOWED, type Allowed } from '../allowlist';
import { multipartRelated, send, tinyDicom, tinyPdf, type Reply } from './http';
import {
  NON_ID_PARAMS,
  generate,
  isIdField,
  kindOfField,
  kindOfOperation,
  kindOfPathParam,
  type IdField,
  type Operation,
} from './openapi';
import { first, type Kind, type Side } from './world';

export interface Target {
  where: 'path' | 'query' | 'body';
  field: string;
  kind: string;
  value: string;
}

export interface Probe {
  op: Operation;
  who: string;
  variant: string;
  method: string;
  path: string;
  body?: unknown;
  contentType?: string;
  headers: Record<string, string>;
  /** Organization A's ids this request names. */
  targets: Target[];
}

export interface Outcome {
  probe: Probe;
  status: number;
  excerpt: string;
  validation: string | null;
  leaks: string[];
  location?: string | null;
  error?: string;
}

export type Cause =
  | 'not 401 with a bad token'
  | 'open without a token'
  | 'crossing (2xx)'
  | 'leak of organization A data'
  | '5xx'
  | 'victim state changed';

export interface Finding {
  cause: Cause;
  op: string;
  who: string;
  variant: string;
  sent: string;
  status: number;
  excerpt: string;
}

const SAFE = new Set(['get', 'head', 'options', 'search', 'query']);
export const isSafe = (op: Operation) => SAFE.has(op.method);

/** Reads first; then creations, other changes, transitions that end things, deletions: a state change spoils as little as possible. */
export function order(ops: Operation[]): Operation[] {
  const rank = (o: Operation) => {
    if (isSafe(o)) return 0;
    if (o.method === 'delete') return 4;
    if (
      /\/(cancel|decline|close|discard|accept|sign|outcome|claim|submit|start-session|schedule|reschedule|down-referral)$/.test(
        o.path,
      )
    )
      return 3;
    if (!o.pathParams.length) return 1;
    return 2;
  };
  return [...ops].sort(
    (a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path) || a.method.localeCompare(b.method),
  );
}

const QIDO =
  /^\/dicom-web\/(studies|series|instances)$|^\/dicom-web\/studies\/\{study\}\/(series|instances)$|^\/dicom-web\/studies\/\{study\}\/series\/\{series\}\/instances$/;
const STOW = /^\/dicom-web\/studies(\/\{study\})?$/;
const TUS = /^\/dicom-web\/uploads/;

/** Which consultation a body's consultation id should be, for the operation to be able to succeed. */
function bodyConsultationKind(op: Operation): Kind {
  if (op.path.startsWith('/api/referrals')) return 'consultationSigned';
  if (op.path.startsWith('/api/scheduling/bookings')) return 'consultationSubmitted';
  return 'consultation';
}

export interface World {
  base: string;
  token: Record<string, string>;
  victim: Side;
  ownOf: Record<string, Side | undefined>;
  /** Ids the world lacked, replaced by random ones (reported). */
  substituted: Set<string>;
  /** Id-shaped places of unknown kind and the kind used for them (reported). */
  unknown: Set<string>;
}

function valueOf(
  w: World,
  side: Side,
  kind: Kind | 'unknown',
  where: string,
  op?: Operation,
): string {
  let k: Kind;
  if (kind === 'unknown') {
    // The nearest kind: what the operation is about, else a consultation. Said in the summary.
    k = (op && kindOfOperation(op.path)) ?? 'consultation';
    w.unknown.add(`${where} → ${k}`);
  } else k = kind;
  const v = first(side, k);
  if (v) return v;
  w.substituted.add(`${side.name}:${k} (${where})`);
  return k === 'study' || k === 'series' || k === 'instance'
    ? `1.2.826.0.1.3680043.8.498.${Date.now()}`
    : randomUUID();
}

type Choice = 'victim' | 'own';

interface Plan {
  who: string;
  variant: string;
  /** per path param */
  path: Record<string, Choice>;
  /** per id field (body and query), by field path; default for the rest */
  fields: Record<string, { choice: Choice; value?: string }>;
  rest: Choice;
  /** Optional id fields (body and query) to fill: all, none, or only the one under test. */
  optionalIds: 'all' | 'none' | string;
  /** More query parameters (searches for A's texts, every enum value of a listing's filters). */
  extraQuery?: Record<string, string>;
}

/** The request for a plan: path, query and body filled from the victim's or the attacker's own world. */
async function build(w: World, op: Operation, plan: Plan, own: Side | undefined): Promise<Probe> {
  const targets: Target[] = [];
  const sideFor = (c: Choice) => (c === 'own' && own ? own : w.victim);
  // path
  let path = op.path;
  for (const p of op.pathParams) {
    let value: string;
    if (NON_ID_PARAMS[p]) value = NON_ID_PARAMS[p];
    else {
      const kind = kindOfPathParam(op, p);
      const choice = plan.path[p] ?? 'victim';
      value = valueOf(w, sideFor(choice), kind, `path ${op.key} {${p}}`, op);
      if (sideFor(choice) === w.victim) targets.push({ where: 'path', field: p, kind, value });
    }
    path = path.replace(`{${p}}`, encodeURIComponent(value));
  }
  const idFor = (where: 'query' | 'body', f: IdField): unknown => {
    const chosen = plan.fields[f.path] ?? { choice: plan.rest };
    const side = sideFor(chosen.choice);
    const kind = f.kind === 'consultation' ? bodyConsultationKind(op) : f.kind;
    const value = chosen.value ?? valueOf(w, side, kind, `${where} ${op.key} ${f.path}`, op);
    if (side === w.victim) targets.push({ where, field: f.path, kind: f.kind, value });
    const scalar = f.integer ? Number(value) : value;
    return f.array ? [scalar] : scalar;
  };
  // query
  const query = new URLSearchParams();
  const optional = (path: string) => plan.optionalIds === 'all' || plan.optionalIds === path;
  for (const q of op.query) {
    if (isIdField(q.name, q.schema) && (q.required || optional(q.name))) {
      const f: IdField = {
        path: q.name,
        name: q.name,
        kind: kindOfField(q.name),
        array: false,
        integer: q.schema?.type === 'integer',
      };
      query.set(q.name, String(idFor('query', f)));
    } else if (q.required) {
      query.set(q.name, String(generate(q.schema, () => undefined).value));
    }
  }
  for (const [k, v] of Object.entries(plan.extraQuery ?? {})) query.set(k, v);
  const headers: Record<string, string> = {};
  let body: unknown;
  let contentType: string | undefined;
  if (QIDO.test(op.path) && op.method === 'get' && optional('StudyInstanceUID')) {
    // QIDO-RS matching keys are not declared as parameters: search for the study by its UID.
    const f: IdField = {
      path: 'StudyInstanceUID',
      name: 'StudyInstanceUID',
      kind: 'study',
      array: false,
      integer: false,
    };
    query.set('StudyInstanceUID', String(idFor('query', f)));
  }
  if (STOW.test(op.path) && op.method === 'post') {
    // STOW-RS: an instance whose Study Instance UID is the chosen study (a write into that study).
    const f: IdField = {
      path: 'dicom.StudyInstanceUID',
      name: 'StudyInstanceUID',
      kind: 'study',
      array: false,
      integer: false,
    };
    const study = path.match(/\/studies\/([^/]+)$/)?.[1];
    const uid =
      study && plan.fields[f.path] === undefined
        ? decodeURIComponent(study)
        : String(idFor('body', f));
    if (
      study &&
      plan.fields[f.path] === undefined &&
      sideFor(plan.path.study ?? 'victim') === w.victim
    )
      targets.push({ where: 'body', field: f.path, kind: 'study', value: uid });
    const mp = multipartRelated([
      tinyDicom({ study: uid }, { name: 'PROBE^Attacker', id: 'PROBE-ATTACKER' }).bytes,
    ]);
    body = mp.body;
    contentType = mp.contentType;
    headers.accept = 'application/dicom+json';
  } else if (TUS.test(op.path)) {
    headers['tus-resumable'] = '1.0.0';
    if (op.method === 'patch') {
      body = Buffer.alloc(16, 1);
      contentType = 'application/offset+octet-stream';
      headers['upload-offset'] = String(w.victim.uploadOffset);
    } else if (op.method === 'post') {
      headers['upload-length'] = '4096';
    }
  } else if (op.body) {
    if (/json/.test(op.body.contentType)) {
      body = generate(
        op.body.schema,
        (f) => idFor('body', f),
        (f) => optional(f.path),
      ).value;
    } else if (/pdf/.test(op.body.contentType)) {
      body = await tinyPdf('probe');
      contentType = 'application/pdf';
    } else if (/image\/(png|jpeg)/.test(op.body.contentType)) {
      body = Buffer.from(
        '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
        'hex',
      );
      contentType = 'image/png';
    } else body = Buffer.from('probe');
  }
  const qs = query.toString();
  return {
    op,
    who: plan.who,
    variant: plan.variant,
    method: op.method,
    path: qs ? `${path}?${qs}` : path,
    body,
    contentType,
    headers,
    targets,
  };
}

/** Every request an attacker makes against one operation. */
export async function plansFor(w: World, op: Operation, who: string): Promise<Probe[]> {
  const own = w.ownOf[who];
  const idParams = op.pathParams.filter((p) => !NON_ID_PARAMS[p]);
  const probes: Probe[] = [];
  const v = await build(
    w,
    op,
    { who, variant: 'victim ids', path: {}, fields: {}, rest: 'victim', optionalIds: 'all' },
    own,
  );
  probes.push(v);
  if (!own) return [...probes, ...(await searches(w, op, who, own))];
  const ownPath = Object.fromEntries(idParams.map((p) => [p, 'own' as Choice]));
  // Fields the request can carry ids in (from a dry build).
  const fieldProbe = await build(
    w,
    op,
    { who, variant: 'dry', path: ownPath, fields: {}, rest: 'victim', optionalIds: 'all' },
    own,
  );
  const fieldTargets = fieldProbe.targets.filter((t) => t.where !== 'path');
  if (idParams.length && fieldTargets.length)
    probes.push(
      await build(
        w,
        op,
        {
          who,
          variant: 'victim path, own ids in body/query',
          path: {},
          fields: {},
          rest: 'own',
          optionalIds: 'all',
        },
        own,
      ),
    );
  for (const t of fieldTargets) {
    const kind =
      t.kind === 'unknown' ? (kindOfOperation(op.path) ?? 'consultation') : (t.kind as Kind);
    const values = kind.startsWith('consultation')
      ? (
          [
            'consultation',
            'consultationSubmitted',
            'consultationSigned',
            'consultationBooked',
          ] as Kind[]
        )
          .map((k) => first(w.victim, k))
          .filter((x): x is string => !!x)
      : (w.victim.ids[kind] ?? [t.value]).slice(0, 2);
    for (const value of values) {
      probes.push(
        await build(
          w,
          op,
          {
            who,
            variant: `own path, victim ${t.where}.${t.field}${values.length > 1 ? ` (${labelOf(w.victim, value)})` : ''}`,
            path: ownPath,
            fields: { [t.field]: { choice: 'victim', value } },
            rest: 'own',
            optionalIds: t.field,
          },
          own,
        ),
      );
    }
  }
  for (let i = 1; i < idParams.length; i++) {
    const mixed = Object.fromEntries(
      idParams.map((p, j) => [p, (j < i ? 'own' : 'victim') as Choice]),
    );
    probes.push(
      await build(
        w,
        op,
        {
          who,
          variant: `own {${idParams.slice(0, i).join('},{')}}, victim {${idParams.slice(i).join('},{')}}`,
          path: mixed,
          fields: {},
          rest: 'own',
          optionalIds: 'none',
        },
        own,
      ),
    );
  }
  if (probes.length > 1)
    probes.push(
      await build(
        w,
        op,
        {
          who,
          variant: 'baseline: own ids (required fields)',
          path: ownPath,
          fields: {},
          rest: 'own',
          optionalIds: 'none',
        },
        own,
      ),
    );
  return [...probes, ...(await searches(w, op, who, own))];
}

/**
 * Listings and searches, whose answers are scoped to the reader: every value of their enum
 * filters (worklist boxes, referral boxes...), A's patient name in free-text searches, and
 * QIDO-RS matching on A's patient. Nothing names an id of A's: the answers are checked for A's data.
 */
async function searches(
  w: World,
  op: Operation,
  who: string,
  own: Side | undefined,
): Promise<Probe[]> {
  if (!isSafe(op) || op.pathParams.some((p) => !NON_ID_PARAMS[p] && !(own && QIDO.test(op.path))))
    return [];
  const path = Object.fromEntries(op.pathParams.map((p) => [p, 'own' as Choice]));
  const marker = (what: string) => [...w.victim.markers].find(([, k]) => k === what)?.[0] ?? '';
  const extras: [string, Record<string, string>][] = [];
  for (const q of op.query) {
    const values: unknown[] = q.schema?.enum ?? q.schema?.items?.enum ?? [];
    for (const v of values) extras.push([`${q.name}=${v}`, { [q.name]: String(v) }]);
    if (/^(q|name|search|query|patientName|text)$/i.test(q.name))
      extras.push([`${q.name}=A's patient name`, { [q.name]: marker('patient name') }]);
  }
  if (QIDO.test(op.path)) {
    extras.push(['QIDO PatientID=A’s', { PatientID: marker('DICOM PatientID') }]);
    extras.push([
      'QIDO PatientName=A’s*',
      { PatientName: `${marker('DICOM PatientName')}*`, includefield: 'all' },
    ]);
    extras.push(['QIDO PatientName=*', { PatientName: '*', fuzzymatching: 'true', limit: '1000' }]);
  }
  const out: Probe[] = [];
  for (const [label, extraQuery] of extras)
    out.push(
      await build(
        w,
        op,
        {
          who,
          variant: `search ${label}`,
          path,
          fields: {},
          rest: 'own',
          optionalIds: 'none',
          extraQuery,
        },
        own,
      ),
    );
  return out;
}

function labelOf(side: Side, value: string): string {
  for (const [k, vs] of Object.entries(side.ids)) if (vs?.includes(value)) return k;
  return 'value';
}

/** The requests with a bad token (or none): the victim-id variant, each token. */
export async function badTokenProbes(
  w: World,
  op: Operation,
  tokens: Record<string, string | null>,
): Promise<{ probe: Probe; token: string | null }[]> {
  const base = await build(
    w,
    op,
    {
      who: 'anonymous',
      variant: 'victim ids',
      path: {},
      fields: {},
      rest: 'victim',
      optionalIds: 'all',
    },
    undefined,
  );
  return Object.entries(tokens).map(([label, token]) => ({
    probe: { ...base, who: label, variant: `token: ${label}`, headers: { ...base.headers } },
    token,
  }));
}

export async function run(w: World, p: Probe, token: string | null): Promise<Outcome> {
  let r: Reply;
  try {
    r = await send(w.base, {
      method: p.method,
      path: p.path,
      token,
      body: p.body,
      contentType: p.contentType,
      headers: p.headers,
    });
  } catch (e) {
    return {
      probe: p,
      status: 0,
      excerpt: '',
      validation: null,
      leaks: [],
      error: e instanceof Error ? `${e.message} ${(e as any).cause?.code ?? ''}` : String(e),
    };
  }
  const validation =
    r.status === 400 && r.body && typeof r.body === 'object' && r.body.details?.fields
      ? String(r.body.message).slice(0, 300)
      : null;
  const sent = `${p.path} ${Buffer.isBuffer(p.body) ? '' : JSON.stringify(p.body ?? '')}`;
  const leaks: string[] = [];
  if (r.status >= 200 && r.status < 300) {
    const text = r.text + ' ' + [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join(' ');
    for (const [marker, what] of w.victim.markers)
      if (text.includes(marker) && !sent.includes(marker)) leaks.push(`${what} ${marker}`);
  }
  const location = r.headers.get('location');
  return {
    probe: p,
    status: r.status,
    excerpt: (location ? `Location: ${location} ` : '') + excerpt(r),
    validation,
    leaks,
    location,
  };
}

function excerpt(r: Reply): string {
  // A STOW-RS answer: its failure reasons say more than its first bytes.
  const failed = r.body?.['00081198']?.Value;
  if (Array.isArray(failed))
    return `STOW failed SOP sequence: ${failed.map((x: any) => `${x['00081197']?.Value?.[0]} ${x['00000902']?.Value?.[0] ?? ''}`).join('; ')}`;
  const t = r.text.replace(/\s+/g, ' ').trim();
  return t.length > 240 ? `${t.slice(0, 240)}…` : t;
}

export function describeSent(p: Probe): string {
  const body =
    p.body === undefined
      ? ''
      : Buffer.isBuffer(p.body)
        ? ` <${p.body.length} bytes ${p.contentType ?? ''}>`
        : ` ${JSON.stringify(p.body)}`;
  const ids = p.targets.length
    ? ` [org A ids: ${p.targets.map((t) => `${t.where}.${t.field}=${t.kind}`).join(', ')}]`
    : '';
  return `${p.method.toUpperCase()} ${p.path}${body}${ids}`;
}

/** Allowlist entries that excused something in this run (the others are listed in the summary). */
export const usedAllowances = new Set<Allowed>();

function allowed(op: string, who: string): Allowed[] {
  return ALLOWED.filter((a) => a.op === op && (a.who === '*' || a.who.includes(who)));
}

/** The verdict on one attacker request. */
export function judge(o: Outcome): Finding[] {
  const p = o.probe;
  const base = {
    op: p.op.key,
    who: p.who,
    variant: p.variant,
    sent: describeSent(p),
    status: o.status,
    excerpt: o.excerpt,
  };
  const out: Finding[] = [];
  if (o.status >= 500) out.push({ ...base, cause: '5xx' });
  if (o.status >= 200 && o.status < 300) {
    const rules = allowed(p.op.key, p.who);
    // A creation whose Location names a new resource did not act on the path's one (tus POST ignores the path).
    const createdElsewhere =
      o.status === 201 && !!o.location && !p.targets.some((t) => o.location!.includes(t.value));
    const excuse = (t: Target) =>
      rules.find((a) => a.targets?.includes('*') || a.targets?.includes(`${t.where}.${t.field}`));
    const unexcused = p.targets.filter(
      (t) => !(createdElsewhere && t.where === 'path') && !excuse(t),
    );
    if (!unexcused.length) for (const t of p.targets) if (excuse(t)) usedAllowances.add(excuse(t)!);
    if (unexcused.length)
      out.push({
        ...base,
        cause: 'crossing (2xx)',
        sent: `${base.sent} — unexcused: ${unexcused.map((t) => `${t.where}.${t.field}`).join(', ')}`,
      });
    const leakExcuse = (l: string) =>
      rules.find((a) => a.leaks?.some((k) => k === '*' || l.startsWith(`${k} `)));
    for (const l of o.leaks) if (leakExcuse(l)) usedAllowances.add(leakExcuse(l)!);
    const leaks = o.leaks.filter((l) => !leakExcuse(l));
    if (leaks.length)
      out.push({
        ...base,
        cause: 'leak of organization A data',
        excerpt: `${leaks.join('; ')} — ${o.excerpt}`,
      });
  }
  return out;
}

export function format(f: Finding): string {
  return `  [${f.cause}] ${f.op} as ${f.who} (${f.variant})\n      sent: ${f.sent}\n      got:  ${f.status} ${f.excerpt}`;
}
