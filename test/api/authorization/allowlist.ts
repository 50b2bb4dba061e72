/**
 * What the trust-boundary suite lets through, each with its reason. Keep it short and honest:
 * every entry must name an operation the live OpenAPI document still has (the suite fails on a
 * stale entry), and is matched per attacker and per place where a foreign id was put.
 *
 * `targets`: where the foreign (organization A) id sat — `path.<param>`, `query.<name>`,
 * `body.<field path>` — or '*'. A 2xx is excused only when EVERY foreign id of the request is
 * covered. `leaks`: kinds of organization A's data that may appear in the answer.
 */
export interface Allowed {
  op: string;
  who: string[] | '*';
  targets?: string[];
  leaks?: string[];
  reason: string;
}

/** Operations without a bearer token (anything else answering non-401 without one is a finding). */
export const PUBLIC_OPERATIONS: { op: string; reason: string }[] = [
  { op: 'POST /api/auth/login', reason: 'signing in' },
  { op: 'POST /api/auth/refresh', reason: 'the refresh token is the credential' },
  { op: 'POST /api/auth/logout', reason: 'the refresh token is the credential' },
  // @All on the tus controller documents every method; OPTIONS is a CORS preflight answered at the edge (installHttpEdge) before authentication, with no data.
  {
    op: 'OPTIONS /dicom-web/uploads',
    reason: 'CORS preflight, answered at the edge, carries no data',
  },
  {
    op: 'OPTIONS /dicom-web/uploads/{rest}',
    reason: 'CORS preflight, answered at the edge, carries no data',
  },
  {
    op: 'GET /api/scheduling/calendar-feeds/{token}/calendar.ics',
    reason:
      'calendar apps cannot send a bearer token: the secret feed token in the path is the credential',
  },
];

const EVERYONE = '*';

export const ALLOWED: Allowed[] = [
  // The directory is readable by every signed-in user: a township doctor picks a specialist of any hospital from it.
  {
    op: 'GET /api/organizations/{id}',
    who: EVERYONE,
    targets: ['path.id'],
    leaks: ['organization'],
    reason: 'directory: readable by every signed-in user (names organizations)',
  },
  {
    op: 'GET /api/practitioners/{id}',
    who: EVERYONE,
    targets: ['path.id'],
    leaks: ['organization'],
    reason: 'directory: readable by every signed-in user (names organizations)',
  },
  {
    op: 'GET /api/consortia/{id}',
    who: EVERYONE,
    targets: ['path.id'],
    leaks: ['organization'],
    reason: 'directory: readable by every signed-in user (names organizations)',
  },
  {
    op: 'GET /api/organizations',
    who: EVERYONE,
    targets: ['*'],
    leaks: ['organization'],
    reason: 'directory listing; an organization id in the query only filters it',
  },
  {
    op: 'GET /api/practitioners',
    who: EVERYONE,
    targets: ['*'],
    leaks: ['organization'],
    reason: 'directory listing; an organization id in the query only filters it',
  },
  {
    op: 'GET /api/consortia',
    who: EVERYONE,
    targets: ['*'],
    leaks: ['organization'],
    reason: 'directory listing; an organization id in the query only filters it',
  },

  // Listings whose id parameters only narrow what the actor may see anyway (the leak check still applies to their answers).
  {
    op: 'GET /api/consultations/worklist',
    who: EVERYONE,
    targets: ['query.organizationId'],
    reason: 'a filter on the actor-scoped worklist (answer checked for leaks)',
  },
  {
    op: 'GET /api/scheduling/slots',
    who: EVERYONE,
    targets: ['query.specialistId', 'query.organizationId', 'query.specialistOrganizationId'],
    reason: 'a filter on the actor-scoped slot search (answer checked for leaks)',
  },
  {
    op: 'GET /api/scheduling/shifts',
    who: EVERYONE,
    targets: ['query.specialistId', 'query.organizationId'],
    reason: 'a filter on the actor-scoped shift list (answer checked for leaks)',
  },

  // QIDO-RS: a StudyInstanceUID matching key is a search: the answer holds only what the reader may see (checked for leaks).
  ...[
    '/dicom-web/studies',
    '/dicom-web/series',
    '/dicom-web/instances',
    '/dicom-web/studies/{study}/series',
    '/dicom-web/studies/{study}/instances',
    '/dicom-web/studies/{study}/series/{series}/instances',
  ].map((path): Allowed => ({
    op: `GET ${path}`,
    who: EVERYONE,
    targets: ['query.StudyInstanceUID'],
    reason: 'QIDO-RS matching key: a search scoped to the reader (answer checked for leaks)',
  })),

  // Rotation shifts are public scheduling facts: AccessPolicyService.rotationRule "rotation plans are visible to every signed-in user".
  {
    op: 'GET /api/scheduling/shifts/{id}',
    who: EVERYONE,
    targets: ['path.id'],
    leaks: ['shift', 'organization'],
    reason: 'policy: rotation shifts are visible to every signed-in user (hosts, times)',
  },
  {
    op: 'GET /api/scheduling/shifts',
    who: EVERYONE,
    leaks: ['shift', 'organization'],
    reason: 'policy: rotation shifts are visible to every signed-in user (hosts, times)',
  },
  // A specialist's availability is a directory read (policy: practitioner read): townships pick whom to ask.
  {
    op: 'GET /api/scheduling/specialists/{specialistId}/availability',
    who: EVERYONE,
    targets: ['path.specialistId'],
    reason: 'directory read: a specialist’s free and busy times',
  },
  // CORS preflight of the tus routes (see PUBLIC_OPERATIONS): nothing about the upload is answered.
  {
    op: 'OPTIONS /dicom-web/uploads/{rest}',
    who: EVERYONE,
    targets: ['path.rest'],
    reason: 'CORS preflight at the edge: no upload data',
  },

  // The feed token is the credential (a capability URL for calendar apps): whoever holds A's token was given A's feed.
  {
    op: 'GET /api/scheduling/calendar-feeds/{token}/calendar.ics',
    who: EVERYONE,
    targets: ['path.token'],
    leaks: ['*'],
    reason:
      'capability URL: the secret token is the credential, not the caller (the feed is A’s by design)',
  },

  // Data flowing OUT of the attacker's own organization by the owner's choice: naming another organization's
  // specialist or hospital for one's own request, study or report is the point of telemedicine.
  {
    op: 'POST /api/consultations/{id}/participants',
    who: EVERYONE,
    targets: ['body.practitionerId'],
    leaks: ['organization'],
    reason: 'inviting an outside guest specialist or observer to one’s own consultation',
  },
  {
    op: 'POST /api/imaging/studies/{study}/shares',
    who: EVERYONE,
    targets: ['body.practitionerId'],
    reason: 'sharing one’s own study with a named outside specialist (an access grant)',
  },
  {
    op: 'PUT /api/consultations/{id}/report',
    who: EVERYONE,
    targets: ['body.referralOrganizationId'],
    leaks: ['organization'],
    reason: 'a report may recommend referral to any named hospital (read back in the report)',
  },
];
