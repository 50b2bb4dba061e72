/**
 * The error-code catalogue: every code a route answers in `details.code` of the platform's one
 * error body `{ statusCode, error, message, details? }`, with the HTTP status(es) it comes with
 * and what it means. The server throws `DomainError(code, status, message, details)`; the
 * catalogue test scans apps/ and libs/ and fails on a code thrown but not listed here (or listed
 * with another status), so a new code is catalogued when it is written. The web's i18n has a
 * Chinese message for each (apps/web/src/i18n/messages-contract.ts).
 */

export interface ErrorCodeEntry {
  /** The statuses it is answered with (the first is the usual one). */
  readonly statuses: readonly number[];
  /** What it means, in one line. */
  readonly meaning: string;
}

const e = (statuses: number | readonly number[], meaning: string): ErrorCodeEntry => ({
  statuses: typeof statuses === 'number' ? [statuses] : statuses,
  meaning,
});

export const ERROR_CODES = {
  // ---- the edge, sessions, access ----
  nul_byte: e(400, 'the path, query or body holds a NUL character (U+0000)'),
  invalid_credentials: e(401, 'username or password is incorrect'),
  invalid_access_token: e(
    401,
    'the access token is missing, invalid or expired, or its session has ended',
  ),
  invalid_refresh_token: e(401, 'the refresh token is invalid, expired or reused; log in again'),
  login_rate_limited: e(429, 'too many failed logins for this user or address; wait and try again'),
  access_denied: e(
    403,
    'the access policy (or the route’s own rule) refuses this actor this action',
  ),
  grant_grantee: e(400, 'a share must name exactly one practitioner or one organization'),
  actor_not_found: e(404, 'the audit filter names a practitioner that does not exist'),

  // ---- directory ----
  organization_not_found: e(
    [404, 400],
    'an organization named in the path, query or body does not exist',
  ),
  organization_parent_not_found: e(400, 'the parent organization does not exist'),
  organization_parent_required: e(400, 'an organization of this level needs a parent'),
  organization_parent_level: e(
    400,
    'an organization of this level cannot sit under that parent’s level',
  ),
  organization_cycle: e(400, 'an organization cannot sit under its own descendant'),
  consortium_not_found: e(404, 'the consortium does not exist'),
  practitioner_not_found: e(404, 'the practitioner does not exist (or is not active)'),
  already_exists: e(409, 'an organization, consortium or username with this name already exists'),
  weak_password: e(400, 'the password is too weak (the message says why)'),
  specialty_required: e(
    400,
    'a specialist needs a specialty (科室): consultations are routed by it',
  ),

  // ---- patients ----
  patient_not_found: e(404, 'the patient does not exist'),
  patient_exists: e(
    409,
    'a patient with this national ID is already registered at this organization',
  ),
  invalid_national_id: e(
    400,
    'the national ID fails the GB 11643 checksum or has an impossible birth date',
  ),
  national_id_birth_date: e(400, 'the national ID’s birth date differs from the birth date given'),
  patient_facts_required: e(
    400,
    'sex and birth date are needed unless a valid national ID gives them (details.missing)',
  ),

  // ---- consultations ----
  consultation_not_found: e(404, 'the consultation request does not exist'),
  illegal_transition: e(
    409,
    'the consultation (or referral) is not in a status this change applies to; details say which are legal now',
  ),
  busy: e(409, 'the consultation kept changing under concurrent updates; try again'),
  no_route: e(
    409,
    'no organization in the requester’s consortia has a specialist of this specialty',
  ),
  preferred_not_routable: e(
    400,
    'the preferred organization is not above the requester in their consortia or lacks the specialty',
  ),
  preferred_practitioner: e(
    400,
    'the preferred practitioner is not an active specialist of the specialty at the preferred organization',
  ),
  not_a_specialist: e(400, 'the practitioner named is not an active specialist'),
  already_participant: e(409, 'the practitioner already takes part in the consultation'),
  schedule_in_past: e(400, 'a session must be scheduled in the future'),
  room_not_open: e(409, 'the consultation has no live room in its mode and status'),
  invalid_cursor: e(400, 'the worklist cursor is not one the API gave out'),
  consultation_not_live: e(
    409,
    'an imaging-read consultation takes no slot; only live (video or both) ones are booked',
  ),
  consultation_not_bookable: e(
    409,
    'the consultation cannot take a slot in its status (a draft is submitted first)',
  ),
  specialist_declined: e(409, 'the slot’s specialist declined this request before'),
  specialist_mismatch: e(
    409,
    'the request is assigned to another specialist; book a slot of the assigned one',
  ),
  message_not_found: e(404, 'the message is not in this consultation’s thread'),
  attachment_not_found: e(404, 'the file is not attached to this consultation'),
  attachment_not_usable: e(
    400,
    'a message may carry only files its author uploaded to this consultation and not yet sent',
  ),
  attachment_too_large: e(413, 'the file is larger than the attachment limit'),
  unsupported_media_type: e(415, 'the body’s media type is not one this route takes'),
  content_mismatch: e(415, 'the file’s content is not the type it claims'),
  study_not_found: e(404, 'the study is not stored (or does not exist): upload it first'),
  study_already_attached: e(409, 'the study is already attached to the consultation'),
  patient_mismatch_unnamed: e(
    400,
    'a patient mismatch is confirmed for a study the request does not attach (details.studyInstanceUids)',
  ),
  patient_mismatch: e(
    409,
    'the DICOM header of a study names another patient than the consultation’s (details.studies: the fields side by side); name it again with a reason to attach it anyway',
  ),
  study_not_attached: e(400, 'a report may name only studies attached to the consultation'),
  arrival_not_found: e(404, 'no study arrived for this consultation under that id'),
  arrival_decided: e(409, 'this arrived study is not held: it was attached, confirmed or rejected'),
  report_missing: e(409, 'there is no report (or no signed report) for this step yet'),
  report_not_found: e(404, 'the consultation has no signed report yet'),
  report_signed: e(409, 'the report is signed and immutable; add an addendum instead'),
  report_incomplete: e(400, 'the report lacks fields it needs before it can be signed'),
  report_font_missing: e(503, 'the server cannot read the font the report PDF needs'),
  not_a_hospital: e(
    400,
    'a named referral organization must be an active county, city or province hospital',
  ),

  // ---- referrals ----
  referral_not_found: e(404, 'the referral does not exist'),
  referral_exists: e(
    409,
    'an open referral to this organization already exists for the consultation',
  ),
  referral_to_self: e(409, 'the receiving organization is the referring one'),
  no_referral_recommended: e(409, 'the signed report recommends no referral'),
  follow_up_plan_required: e(400, 'a down-referral needs a follow-up plan'),

  // ---- scheduling ----
  specialist_not_found: e(404, 'the specialist does not exist'),
  shift_not_found: e(404, 'the rotation shift does not exist'),
  shift_cancelled: e(409, 'the shift is cancelled'),
  shift_changed: e(409, 'the shift changed meanwhile (version mismatch); reload it'),
  shift_overlap: e(409, 'the specialist is already rostered at that time'),
  shift_self_overlap: e(400, 'two occurrences of the shift overlap each other'),
  invalid_shift_times: e(400, 'a shift ends after it starts, at most 24 hours later'),
  invalid_slot_length: e(400, 'the slot length does not fit in the shift'),
  invalid_rrule: e(
    400,
    'the shift’s recurrence rule (RFC 5545 RRULE) is invalid or has no occurrence',
  ),
  invalid_exdate: e(400, 'an exception date of the shift is invalid'),
  invalid_time: e(400, 'a local time is not YYYY-MM-DDTHH:mm or does not exist in the zone'),
  invalid_time_zone: e(400, 'not an IANA time zone (e.g. Asia/Shanghai)'),
  no_occurrences: e(400, 'the shift has no occurrence left after its exceptions'),
  host_not_found: e(400, 'a host organization of the shift does not exist'),
  outside_consortium: e(
    400,
    'an on-site visit goes only to organizations sharing a consortium with the specialist',
  ),
  outside_working_hours: e(409, 'occurrences fall outside the specialist’s working hours'),
  specialist_unavailable: e(409, 'the specialist is on leave or committed at that time'),
  bookings_affected: e(
    409,
    'the change removes occurrences with bookings; say whether to move or cancel them',
  ),
  double_booking: e(409, 'the specialist would be booked twice at one time'),
  invalid_range: e(400, 'the time range is empty, reversed or too long'),
  range_too_long: e(400, 'the range covers more days than allowed'),
  invalid_window: e(400, 'a working-hours window ends before it starts'),
  unavailability_not_found: e(404, 'the leave or commitment does not exist'),
  unavailability_clashes_shifts: e(409, 'rostered occurrences fall in the leave or commitment'),
  slot_not_found: e(404, 'the slot does not exist'),
  slot_cancelled: e(409, 'the slot was withdrawn with its shift'),
  slot_started: e(409, 'the slot has already started'),
  slot_taken: e(409, 'the slot is full'),
  slot_not_offered: e(403, 'the slot is not offered to the requesting organization'),
  same_slot: e(400, 'the booking is already in this slot'),
  specialty_mismatch: e(409, 'the request’s specialty is not the slot’s'),
  consultation_request_not_found: e(
    404,
    'the consultation request named by the booking does not exist',
  ),
  request_already_booked: e(409, 'the consultation request already has a booking'),
  booking_not_found: e(404, 'the booking does not exist'),
  booking_not_active: e(409, 'the booking is no longer booked (or changed meanwhile)'),
  booking_not_started: e(409, 'an outcome is recorded only once the slot has started'),
  invalid_idempotency_key: e(400, 'the Idempotency-Key is not 1 to 200 characters'),
  idempotency_key_mismatch: e(
    400,
    'the Idempotency-Key header and the body’s idempotencyKey differ',
  ),
  idempotency_key_reused: e(422, 'the Idempotency-Key was already used for a different booking'),
  feed_not_found: e(404, 'no calendar feed has this address (it may have been replaced)'),
  invalid_date: e(400, 'not a date'),
  plan_not_found: e(404, 'the rotation plan does not exist'),
  plan_decided: e(409, 'the rotation plan is already accepted or rejected'),
  plan_conflict: e(409, 'the plan no longer fits the roster; nothing was created'),
  demand_outside_horizon: e(400, 'demand lies beyond the plan’s horizon'),
  demand_outside_scope: e(400, 'demand names organizations that are not townships under the hub'),
  planner_busy: e(503, 'another rotation plan is being computed on this server'),
  planner_timeout: e(503, 'the planner did not finish in time; plan fewer weeks or townships'),

  // ---- imaging ----
  not_found: e(404, 'the study, series, instance or bulk data does not exist'),
  frame_not_found: e(404, 'the instance has no such frame'),
  bad_frame: e(400, 'frame numbers start at 1, comma-separated'),
  bad_viewport: e(400, 'viewport is width,height in pixels (1-4096)'),
  bad_window: e(400, 'window is center,width[,function] with width > 0'),
  bad_query: e(400, 'the QIDO-RS query cannot be answered (e.g. series attributes at study level)'),
  bad_multipart: e(400, 'the multipart/related body has no boundary'),
  invalid_uid: e(400, 'not a valid DICOM UID'),
  not_acceptable: e(
    406,
    'the Accept header asks for a representation this resource is not served in',
  ),
  render_failed: e(422, 'the frame could not be rendered'),
  deidentified: e(403, 'bulk data other than pixel data is not part of the de-identified copy'),
  burned_in_annotation: e(
    403,
    'the image has identifying text burned into its pixels and cannot be shared de-identified',
  ),
  share_expiry: e(400, 'a share must expire in the future'),

  // ---- machines: service accounts ----
  service_account_not_found: e(404, 'no service account has this id'),
  service_account_expiry: e(400, 'a service account must expire in the future'),
  service_account_scope: e(
    403,
    'the service account’s key is not granted the scope this request needs',
  ),

  // ---- machines: DICOM peers ----
  dimse_peer_not_found: e(404, 'no DIMSE peer has this id'),
  dicomweb_peer_not_found: e(404, 'no DICOMweb peer has this id'),
  peer_exists: e(
    409,
    'the AE title, or the organization’s DICOMweb peer name, is registered already',
  ),
  invalid_peer_address: e(400, 'an AE title, host, port pair or base URL that is not valid'),
  peer_destination_address: e(400, 'a retrieve destination needs the host and port we send to'),
  peer_service_account: e(400, 'the service account belongs to another organization than the peer'),

  // ---- machines: routing studies on arrival ----
  routing_rule_not_found: e(404, 'no routing rule has this id'),
  forward_job_not_found: e(404, 'no forward job has this id'),
  routing_rule_exists: e(409, 'the organization has a routing rule of that name already'),
  routing_destination: e(
    400,
    'name exactly one destination peer, of the rule’s organization, that we can send to',
  ),
  forward_job_not_dead: e(409, 'only a dead letter can be retried or discarded'),
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The platform's one error body (libs/platform-http ErrorBody); a DomainError's code is `details.code`. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: {
    code?: ErrorCode;
    fields?: { field: string; problems: string[] }[];
    [key: string]: unknown;
  };
}
