// One-shot codemod (issue 19): documents the consultations, referrals and scheduling controllers
// with @Documented(summary, ...errorCodes) and takes their operations off test/api/openapi-pending.ts.
//   node test/api/openapi-codemod.mjs [--dry] [--root DIR]
// Matches each route decorator (@Get('x'), @Post(), ...) under its @Controller('prefix') to the
// operation key below; a route already @Documented is left alone; prints what it did not find.
// Delete this file once the pending list is empty.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const dry = args.includes('--dry');
const root = args.includes('--root') ? args[args.indexOf('--root') + 1] : process.cwd();

const C = ['consultation_not_found', 'access_denied'];
const T = [...C, 'illegal_transition', 'busy'];
const TIMING = [
  'invalid_time_zone',
  'invalid_time',
  'invalid_rrule',
  'invalid_exdate',
  'invalid_shift_times',
  'invalid_slot_length',
  'no_occurrences',
  'shift_self_overlap',
];
const SLOT = [
  'slot_not_found',
  'slot_cancelled',
  'slot_started',
  'slot_taken',
  'slot_not_offered',
  'specialty_mismatch',
  'double_booking',
  'specialist_mismatch',
];
const HUB = ['access_denied', 'invalid_range'];

/** "METHOD /path" → [summary, ...error codes]. */
const DOCS = {
  'POST /api/consultations': [
    'Open a consultation request (a draft, or submitted at once)',
    'patient_not_found',
    'access_denied',
    'study_not_found',
    'no_route',
    'preferred_not_routable',
    'preferred_practitioner',
  ],
  'GET /api/consultations/worklist': [
    'A worklist box: queue, assigned, received, sent or hub (keyset pages)',
    'access_denied',
    'invalid_cursor',
  ],
  'GET /api/consultations/metrics': [
    'Consultation figures per institution (hub coordinators)',
    'access_denied',
  ],
  'POST /api/consultations/{id}/room-token': [
    'A short-lived token for the live room on a media node (participants)',
    ...C,
    'room_not_open',
  ],
  'GET /api/consultations/{id}': [
    'Read a consultation request: history, participants, attachments, calls',
    ...C,
  ],
  'GET /api/consultations/{id}/routing': [
    'Where a request stands in its queue (no clinical content)',
    ...C,
  ],
  'POST /api/consultations/{id}/submit': ['Submit a draft into its queue', ...T, 'no_route'],
  'POST /api/consultations/{id}/claim': ['Claim a request from the queue', ...T],
  'POST /api/consultations/{id}/decline': ['Give a claimed request back to its queue', ...T],
  'POST /api/consultations/{id}/schedule': [
    'Set the live session’s time',
    ...T,
    'schedule_in_past',
  ],
  'POST /api/consultations/{id}/start-session': [
    'Start the video session (the assigned specialist)',
    ...T,
  ],
  'POST /api/consultations/{id}/close': ['Close a reported request (the requester)', ...T],
  'POST /api/consultations/{id}/cancel': ['Cancel a request (the requester)', ...T],
  'POST /api/consultations/{id}/participants': [
    'Invite a guest specialist or an observer',
    ...C,
    'practitioner_not_found',
    'not_a_specialist',
    'already_participant',
    'illegal_transition',
  ],
  'POST /api/consultations/{id}/attachments/studies': [
    'Attach a stored study',
    ...C,
    'study_not_found',
    'study_already_attached',
    'illegal_transition',
  ],
  'POST /api/consultations/{id}/attachments/files': [
    'Upload a PDF or photo to the consultation',
    ...C,
    'unsupported_media_type',
    'content_mismatch',
    'attachment_too_large',
    'illegal_transition',
  ],
  'GET /api/consultations/{id}/attachments/{attachmentId}/content': [
    'Download an attached file',
    ...C,
    'attachment_not_found',
  ],
  'GET /api/consultations/{id}/messages': ['Read the thread, with read receipts', ...C],
  'POST /api/consultations/{id}/messages': [
    'Post to the thread (with uploaded files)',
    ...C,
    'attachment_not_usable',
    'illegal_transition',
  ],
  'POST /api/consultations/{id}/messages/read': [
    'Mark the thread read up to a message',
    ...C,
    'message_not_found',
  ],
  'GET /api/consultations/{id}/report': [
    'The signed report (or the caller’s own draft)',
    ...C,
    'report_not_found',
  ],
  'PUT /api/consultations/{id}/report': [
    'Write or change the report draft',
    ...C,
    'illegal_transition',
    'report_signed',
    'study_not_attached',
    'not_a_hospital',
  ],
  'POST /api/consultations/{id}/report/sign': [
    'Sign the report (Ed25519; a retry by its signer gets the same signature)',
    ...T,
    'report_missing',
    'report_incomplete',
  ],
  'POST /api/consultations/{id}/report/addenda': [
    'Add a signed addendum to the signed report (its author)',
    ...C,
    'illegal_transition',
    'report_missing',
    'report_incomplete',
  ],
  'GET /api/consultations/{id}/report/verify': [
    'Verify the report’s signature and its addenda’s',
    ...C,
    'report_not_found',
  ],
  'GET /api/consultations/{id}/report/pdf': [
    'The signed report as PDF',
    ...C,
    'report_not_found',
    'report_font_missing',
  ],

  'POST /api/referrals': [
    'Refer the patient as the signed report recommends (up, or to a named hospital)',
    'consultation_not_found',
    'access_denied',
    'report_missing',
    'no_referral_recommended',
    'referral_exists',
    'referral_to_self',
  ],
  'GET /api/referrals': [
    'List referrals: incoming, outgoing or the hub’s (green channel first)',
    'access_denied',
  ],
  'GET /api/referrals/{id}': ['Read a referral', 'referral_not_found', 'access_denied'],
  'POST /api/referrals/{id}/accept': [
    'Accept a referral (the receiving side)',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
  ],
  'POST /api/referrals/{id}/decline': [
    'Decline a referral (the receiving side)',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
  ],
  'POST /api/referrals/{id}/cancel': [
    'Withdraw an unanswered referral (the sending side)',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
  ],
  'POST /api/referrals/{id}/down-referral': [
    'Refer back down to the township with a follow-up plan',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
    'follow_up_plan_required',
    'referral_exists',
  ],

  'POST /api/scheduling/shifts': [
    'Roster a rotation shift (its RRULE expanded into stored occurrences and slots)',
    'specialist_not_found',
    'not_a_specialist',
    'host_not_found',
    'access_denied',
    ...TIMING,
    'shift_overlap',
    'outside_consortium',
    'outside_working_hours',
    'specialist_unavailable',
  ],
  'GET /api/scheduling/shifts': [
    'List rotation shifts (by specialist, host, range)',
    'access_denied',
    'specialist_not_found',
    'organization_not_found',
    'invalid_range',
  ],
  'GET /api/scheduling/shifts/{id}': [
    'Read a shift with its occurrences',
    'shift_not_found',
    'access_denied',
  ],
  'PATCH /api/scheduling/shifts/{id}': [
    'Change a shift; its bookings are moved or cancelled as told',
    'shift_not_found',
    'access_denied',
    'shift_cancelled',
    'shift_changed',
    ...TIMING,
    'shift_overlap',
    'outside_working_hours',
    'specialist_unavailable',
    'bookings_affected',
    'double_booking',
  ],
  'POST /api/scheduling/shifts/{id}/cancel': [
    'Cancel a shift and say what happens to its bookings',
    'shift_not_found',
    'access_denied',
    'shift_cancelled',
    'shift_changed',
    'bookings_affected',
    'double_booking',
  ],
  'PUT /api/scheduling/specialists/{specialistId}/working-hours': [
    'Set a specialist’s weekly working hours',
    'specialist_not_found',
    'access_denied',
    'invalid_time_zone',
    'invalid_window',
  ],
  'POST /api/scheduling/specialists/{specialistId}/unavailability': [
    'Record a leave or commitment of a specialist',
    'specialist_not_found',
    'access_denied',
    'invalid_range',
    'invalid_time',
    'invalid_time_zone',
    'unavailability_clashes_shifts',
  ],
  'DELETE /api/scheduling/specialists/{specialistId}/unavailability/{id}': [
    'Remove a leave or commitment',
    'specialist_not_found',
    'unavailability_not_found',
    'access_denied',
  ],
  'GET /api/scheduling/specialists/{specialistId}/availability': [
    'A specialist’s working hours, leave and rostered time in a range',
    'specialist_not_found',
    'access_denied',
    'invalid_range',
  ],
  'GET /api/scheduling/slots': [
    'Search free slots (specialty, specialist, mode, range)',
    'access_denied',
    'invalid_range',
    'range_too_long',
    'specialist_not_found',
    'organization_not_found',
  ],
  'POST /api/scheduling/bookings': [
    'Book a slot for a consultation request (idempotent by Idempotency-Key)',
    'consultation_request_not_found',
    'access_denied',
    ...SLOT,
    'request_already_booked',
    'consultation_not_live',
    'consultation_not_bookable',
    'specialist_declined',
    'invalid_idempotency_key',
    'idempotency_key_mismatch',
    'idempotency_key_reused',
  ],
  'GET /api/scheduling/bookings/{id}': ['Read a booking', 'booking_not_found', 'access_denied'],
  'POST /api/scheduling/bookings/{id}/reschedule': [
    'Move a booking to another slot',
    'booking_not_found',
    'access_denied',
    'booking_not_active',
    'same_slot',
    ...SLOT,
  ],
  'POST /api/scheduling/bookings/{id}/cancel': [
    'Cancel a booking (its request goes back to claimed)',
    'booking_not_found',
    'access_denied',
    'booking_not_active',
  ],
  'POST /api/scheduling/bookings/{id}/outcome': [
    'Record a booking’s outcome: fulfilled or no-show',
    'booking_not_found',
    'access_denied',
    'booking_not_active',
    'booking_not_started',
  ],
  'GET /api/scheduling/calendar': [
    'The caller’s bookings and shifts in a range',
    'invalid_range',
    'range_too_long',
  ],
  'GET /api/scheduling/hub/coverage': [
    'Hub: specialist coverage of the townships under the hub',
    ...HUB,
  ],
  'GET /api/scheduling/hub/utilization': [
    'Hub: slot utilization per specialist and hospital',
    ...HUB,
  ],
  'GET /api/scheduling/hub/no-shows': ['Hub: no-shows per township', ...HUB],
  'GET /api/scheduling/hub/unfilled-shifts': ['Hub: shifts with unbooked slots', ...HUB],
  'GET /api/scheduling/grassroots-ledger': [
    'The grassroots service ledger of a hospital (visits, sessions, consultations)',
    ...HUB,
    'organization_not_found',
  ],
  'POST /api/scheduling/plans': [
    'Compute a rotation plan for the hub’s townships (HiGHS; one solve per process)',
    'access_denied',
    'invalid_date',
    'invalid_time_zone',
    'demand_outside_horizon',
    'demand_outside_scope',
    'planner_busy',
    'planner_timeout',
  ],
  'GET /api/scheduling/plans/{id}': ['Read a rotation plan', 'plan_not_found', 'access_denied'],
  'POST /api/scheduling/plans/{id}/accept': [
    'Accept a rotation plan: its shifts are created',
    'plan_not_found',
    'access_denied',
    'plan_decided',
    'plan_conflict',
  ],
  'POST /api/scheduling/plans/{id}/discard': [
    'Discard a rotation plan',
    'plan_not_found',
    'access_denied',
    'plan_decided',
  ],
  'GET /api/scheduling/specialists/{specialistId}/calendar.ics': [
    'A specialist’s calendar as iCalendar',
    'specialist_not_found',
    'access_denied',
  ],
  'POST /api/scheduling/me/calendar-feed': [
    'Mint (or replace) the caller’s secret calendar-feed address',
    'access_denied',
  ],
  'DELETE /api/scheduling/me/calendar-feed': ['Revoke the caller’s calendar feed'],
  'GET /api/scheduling/calendar-feeds/{token}/calendar.ics': [
    'A calendar feed by its secret address (no login: calendar apps)',
    'feed_not_found',
  ],
};

const quote = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const done = new Set();
for (const folder of ['consultations', 'referrals', 'scheduling']) {
  const dir = join(root, 'apps/api/src', folder);
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.controller.ts')) continue;
    const file = join(dir, name);
    const lines = readFileSync(file, 'utf8').split('\n');
    let prefix = '';
    let changed = false;
    for (let i = 0; i < lines.length; i++) {
      const ctl = /@Controller\(\s*'([^']*)'\s*\)/.exec(lines[i]);
      if (ctl) prefix = ctl[1];
      const route = /^(\s*)@(Get|Post|Put|Patch|Delete)\(\s*(?:'([^']*)')?\s*\)/.exec(lines[i]);
      if (!route) continue;
      const path =
        '/' +
        [prefix, route[3] ?? '']
          .filter(Boolean)
          .join('/')
          .replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const key = `${route[2].toUpperCase()} ${path}`;
      const doc = DOCS[key];
      if (!doc) {
        console.log(`no entry for ${key} (${file}:${i + 1})`);
        continue;
      }
      done.add(key);
      let j = i - 1;
      while (j >= 0 && /^\s*@/.test(lines[j])) j--;
      if (lines.slice(j + 1, i).some((l) => l.includes('@Documented('))) continue;
      lines.splice(i, 0, `${route[1]}@Documented(${doc.map(quote).join(', ')})`);
      i++;
      changed = true;
    }
    if (!changed) continue;
    let text = lines.join('\n');
    const imp = /import \{([^}]*)\} from '@huizhen\/platform-http';/.exec(text);
    if (imp) {
      if (!/\bDocumented\b/.test(imp[1])) {
        const names = [
          ...imp[1]
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          'Documented',
        ].sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')));
        text = text.replace(
          imp[0],
          `import { ${names.join(', ')} } from '@huizhen/platform-http';`,
        );
      }
    } else {
      const last = [...text.matchAll(/^import [^;]+;$/gm)].pop();
      text =
        text.slice(0, last.index + last[0].length) +
        "\nimport { Documented } from '@huizhen/platform-http';" +
        text.slice(last.index + last[0].length);
    }
    console.log(`${dry ? 'would document' : 'documented'} ${file}`);
    if (!dry) writeFileSync(file, text);
  }
}
for (const key of Object.keys(DOCS))
  if (!done.has(key)) console.log(`not found in the controllers: ${key}`);

const pendingFile = join(root, 'test/api/openapi-pending.ts');
const pending = readFileSync(pendingFile, 'utf8');
const kept = pending.split('\n').filter((l) => {
  const m = /^\s*'([^']+)',$/.exec(l);
  return !(m && done.has(m[1]));
});
console.log(
  `${dry ? 'would take' : 'took'} ${pending.split('\n').length - kept.length} operations off ${pendingFile}`,
);
if (!dry) writeFileSync(pendingFile, kept.join('\n'));
