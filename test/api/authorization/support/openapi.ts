import type { Kind } from './world';

/** One operation of the live OpenAPI document (or added because the document lacks it). */
export interface Operation {
  method: string; // lower case
  path: string; // OpenAPI form: /api/consultations/{id}
  key: string; // "POST /api/consultations/{id}/claim"
  pathParams: string[];
  query: { name: string; required: boolean; schema: any }[];
  body?: { contentType: string; schema: any };
  inDocument: boolean;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'search', 'query'];

export function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params: any[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) =>
        p.$ref ? resolve(doc, p) : p,
      );
      const fromPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const content =
        op.requestBody?.content ??
        (op.requestBody?.$ref ? resolve(doc, op.requestBody).content : undefined);
      const contentType = content ? Object.keys(content)[0] : undefined;
      ops.push({
        method,
        path,
        key: `${method.toUpperCase()} ${path}`,
        pathParams: fromPath,
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({
            name: p.name,
            required: !!p.required,
            schema: p.schema ? deref(doc, p.schema) : {},
          })),
        body: contentType
          ? { contentType, schema: deref(doc, content[contentType].schema ?? {}) }
          : undefined,
        inDocument: true,
      });
    }
  }
  return ops;
}

export function resolve(doc: any, ref: { $ref: string }): any {
  return ref.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((o, k) => o?.[k], doc);
}

/** Inlines $refs (and allOf) so the generator sees plain schemas. */
export function deref(doc: any, schema: any, depth = 0): any {
  if (!schema || typeof schema !== 'object' || depth > 8) return schema;
  if (schema.$ref) return deref(doc, resolve(doc, schema), depth + 1);
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map((s: any) => deref(doc, s, depth + 1));
    return {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p: any) => p.properties ?? {})),
      required: parts.flatMap((p: any) => p.required ?? []),
    };
  }
  const out: any = { ...schema };
  if (schema.properties)
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, deref(doc, v, depth + 1)]),
    );
  if (schema.items) out.items = deref(doc, schema.items, depth + 1);
  return out;
}

// ---------- which kind of id a name stands for ----------

const NAME_KINDS: [RegExp, Kind][] = [
  [/consultation/i, 'consultation'],
  [/patient/i, 'patient'],
  [/stud(y|ies)/i, 'study'],
  [/series/i, 'series'],
  [/sop|instance/i, 'instance'],
  [/practitioner|specialist|actor|author|doctor|user/i, 'practitioner'],
  [/organi[sz]ation|hospital|member|host|^org/i, 'organization'],
  [/consorti/i, 'consortium'],
  [/slot/i, 'slot'],
  [/booking/i, 'booking'],
  [/shift|rotation/i, 'shift'],
  [/attachment|file/i, 'attachment'],
  [/message/i, 'message'],
  [/referral/i, 'referral'],
  [/upload/i, 'upload'],
  [/plan/i, 'plan'],
  [/unavailab/i, 'unavailability'],
  [/service-?account/i, 'serviceAccount'],
  [/dimse-?peer/i, 'dimsePeer'],
  [/dicomweb-?peer/i, 'dicomwebPeer'],
  [/routing-?rule/i, 'routingRule'],
  [/forward-?job/i, 'forwardJob'],
  [/arrival/i, 'arrival'],
];

/** Collection segment before an `{id}` → kind. */
const COLLECTION_KINDS: Record<string, Kind> = {
  consultations: 'consultation',
  patients: 'patient',
  studies: 'study',
  series: 'series',
  instances: 'instance',
  practitioners: 'practitioner',
  specialists: 'practitioner',
  organizations: 'organization',
  consortia: 'consortium',
  slots: 'slot',
  bookings: 'booking',
  shifts: 'shift',
  attachments: 'attachment',
  messages: 'message',
  referrals: 'referral',
  uploads: 'upload',
  plans: 'plan',
  unavailability: 'unavailability',
  'calendar-feeds': 'feedToken',
  'service-accounts': 'serviceAccount',
  'dicom-peers': 'dimsePeer',
  'dicomweb-peers': 'dicomwebPeer',
  'routing-rules': 'routingRule',
  'forward-jobs': 'forwardJob',
  arrivals: 'arrival',
};

/** The kind an operation is about, from its first collection segment (`/api/organizations` → organization). */
export function kindOfOperation(path: string): Kind | undefined {
  for (const seg of path.split('/')) if (COLLECTION_KINDS[seg]) return COLLECTION_KINDS[seg];
  return undefined;
}

export function kindOfName(name: string): Kind | undefined {
  return NAME_KINDS.find(([re]) => re.test(name))?.[1];
}

/** Path parameters that are not ids: fixed values. */
export const NON_ID_PARAMS: Record<string, string> = { frames: '1', frame: '1', spec: '7FE00010' };

/**
 * The kind of a path parameter: by its name (`attachmentId`, `study`, `specialistId`), else by
 * the collection segment before it (`/referrals/{id}`). Consultations in a state the operation
 * needs (so the probe could succeed were the check missing): queue actions on the submitted one,
 * report reads and referral actions on the signed one, the rest on the claimed one.
 */
export function kindOfPathParam(
  op: Pick<Operation, 'path' | 'method'>,
  name: string,
): Kind | 'unknown' {
  const segments = op.path.split('/');
  const at = segments.indexOf(`{${name}}`);
  const before = segments[at - 1] ?? '';
  let kind: Kind | undefined =
    name === 'id' || name === 'rest' || name === 'token'
      ? COLLECTION_KINDS[before]
      : (kindOfName(name) ?? COLLECTION_KINDS[before]);
  if (!kind && /\{rest\}|\*/.test(name)) kind = COLLECTION_KINDS[before];
  if (kind === 'consultation') {
    const tail = segments.slice(at + 1).join('/');
    if (/^(claim|decline)$/.test(tail)) return 'consultationSubmitted';
    if (
      /^(close|report\/addenda|report\/verify|report\/pdf)$/.test(tail) ||
      (tail === 'report' && op.method === 'get')
    )
      return 'consultationSigned';
  }
  return kind ?? 'unknown';
}

/** Is this field an id the schema invites a client to name? (uuid format, *Id(s), *Uid(s), studies). */
export function isIdField(name: string, schema: any): boolean {
  const s = schema ?? {};
  if (s.format === 'uuid' || s.items?.format === 'uuid') return true;
  // *Id / *Uid names whose kind is known (nationalId, an identity number, is not a reference).
  if (/(Ids|Uids)$/.test(name)) return true;
  if (/(Id|Uid|ID|UID)$/.test(name)) return kindOfField(name) !== 'unknown';
  if (
    /^(studies|series|instances|attachments|participants)$/.test(name) &&
    (s.type === 'array' || s.items)
  )
    return true;
  return false;
}

/** By the name's last word first (`specialistOrganizationId` is an organization), then anywhere in it. */
export function kindOfField(name: string): Kind | 'unknown' {
  if (/^studyInstanceUids?$|^studies$/i.test(name)) return 'study';
  if (/^seriesInstanceUids?$/i.test(name)) return 'series';
  if (/^sopInstanceUids?$/i.test(name)) return 'instance';
  if (/^consultationRequestIds?$/.test(name)) return 'consultation';
  const stem = name.replace(/(Ids?|Uids?|ID|UID)$/, '');
  const last = /[A-Z]?[a-z]+$/.exec(stem)?.[0] ?? stem;
  return kindOfName(last) ?? kindOfName(stem) ?? 'unknown';
}

// ---------- bodies ----------

export interface IdField {
  /** dotted path in the body, `[]` for array items: `demand[].organizationId` */
  path: string;
  name: string;
  kind: Kind | 'unknown';
  array: boolean;
  integer: boolean;
}

/** A year in the future keeps example dates valid whatever day the suite runs on. */
function future(example: string): string {
  const m = /^(\d{4})(-\d{2}-\d{2})/.exec(example);
  if (!m) return example;
  const t = Date.parse(
    example.length === 16
      ? `${example}:00Z`
      : example.length === 10
        ? `${example}T00:00:00Z`
        : example,
  );
  if (!Number.isFinite(t) || t > Date.now() + 7 * 86400_000) return example;
  const year = new Date().getUTCFullYear() + 1;
  return `${year}${example.slice(4)}`;
}

function scalar(name: string, s: any): unknown {
  if (s.example !== undefined) return typeof s.example === 'string' ? future(s.example) : s.example;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
  }
  if (s.format === 'date-time') return `${new Date().getUTCFullYear() + 1}-03-01T09:00:00+08:00`;
  if (s.format === 'date') return `${new Date().getUTCFullYear() + 1}-03-01`;
  if (s.format === 'email') return 'probe@example.org';
  if (/(At|Date|Time|start|end|from|to)$/i.test(name))
    return `${new Date().getUTCFullYear() + 1}-03-01T09:00:00+08:00`;
  const min = Math.max(1, s.minLength ?? 1);
  return `trust boundary probe ${name}`.slice(0, s.maxLength ?? 200).padEnd(min, 'x');
}

/**
 * A body valid for the schema: required fields, plus every optional field that names an id (so
 * each id-shaped field the schema declares is tried). `idValue(field)` gives the id to put there.
 */
export function generate(
  schema: any,
  idValue: (f: IdField) => unknown,
  /** Which optional id fields to fill (required ones always are). */
  optional: (f: IdField) => boolean = () => true,
  path = '',
  fields: IdField[] = [],
): { value: unknown; fields: IdField[] } {
  const s = schema ?? {};
  if (s.type === 'object' || s.properties) {
    const out: Record<string, unknown> = {};
    const required: string[] = s.required ?? [];
    for (const [name, prop] of Object.entries<any>(s.properties ?? {})) {
      const p = prop ?? {};
      const here = path ? `${path}.${name}` : name;
      if (isIdField(name, p)) {
        const array = p.type === 'array' || !!p.items;
        const t = array ? p.items?.type : p.type;
        const f: IdField = {
          path: here,
          name,
          kind: kindOfField(name),
          array,
          integer: t === 'integer' || t === 'number',
        };
        fields.push(f);
        if (required.includes(name) || optional(f)) out[name] = idValue(f);
        continue;
      }
      const nestedIds = hasIdFields(p);
      if (!required.includes(name) && !nestedIds) continue;
      if (p.type === 'array' || p.items) {
        out[name] = [generate(p.items ?? {}, idValue, optional, `${here}[]`, fields).value];
      } else if (p.type === 'object' || p.properties) {
        out[name] = generate(p, idValue, optional, here, fields).value;
      } else out[name] = scalar(name, p);
    }
    return { value: out, fields };
  }
  if (s.type === 'array' || s.items)
    return {
      value: [generate(s.items ?? {}, idValue, optional, `${path}[]`, fields).value],
      fields,
    };
  return { value: scalar(path, s), fields };
}

function hasIdFields(s: any, depth = 0): boolean {
  if (!s || depth > 6) return false;
  const target = s.items ?? s;
  return Object.entries<any>(target.properties ?? {}).some(
    ([n, p]) => isIdField(n, p) || hasIdFields(p, depth + 1),
  );
}
