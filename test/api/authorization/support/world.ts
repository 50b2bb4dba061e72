import { randomBytes } from 'node:crypto';
import type { DirectoryFixture } from '@huizhen/testing';
import { client, multipartRelated, send, tinyDicom, tinyPdf } from './http';

/**
 * What an id in a path, query or body can name. A kind maps to one or more values per side;
 * the first is the one used by default.
 */
export type Kind =
  | 'consultation' // claimed, mode both, with study, message, files, draft report: the default
  | 'consultationSubmitted' // waiting in the queue (claim, decline)
  | 'consultationSigned' // report signed, referral requested (report reads, addenda, close, referrals)
  | 'consultationBooked' // scheduled through a booking
  | 'patient'
  | 'study'
  | 'series'
  | 'instance'
  | 'practitioner'
  | 'organization'
  | 'consortium'
  | 'slot'
  | 'booking'
  | 'shift'
  | 'attachment'
  | 'message'
  | 'referral'
  | 'upload'
  | 'plan'
  | 'unavailability'
  | 'feedToken'
  | 'serviceAccount'
  | 'dimsePeer'
  | 'dicomwebPeer'
  | 'routingRule'
  | 'forwardJob'
  | 'arrival'; // a study held for the claimed consultation's requested exam (its patient differs)

/** Data kinds: their ids (and the side's distinctive texts) must never show up in another organization's answer. */
export const DATA_KINDS: Kind[] = [
  'consultation',
  'consultationSubmitted',
  'consultationSigned',
  'consultationBooked',
  'patient',
  'study',
  'series',
  'instance',
  'slot',
  'booking',
  'shift',
  'attachment',
  'referral',
  'upload',
  'plan',
  'unavailability',
  'feedToken',
  'serviceAccount',
  'dimsePeer',
  'dicomwebPeer',
  'routingRule',
  'forwardJob',
  'arrival',
];

export interface SideUsers {
  doctor: string;
  specialist: string;
  coordinator: string;
  /** An admin over the side's township: its machines (service accounts, DICOM peers). */
  admin?: string;
}

export interface Side {
  name: 'A' | 'B';
  users: SideUsers;
  ids: Partial<Record<Kind, string[]>>;
  /** Distinctive values of this side's data (ids, names, texts) → what they are: a leak detector. */
  markers: Map<string, string>;
  /** What could not be built (the probes then use a random id for that kind, and say so). */
  missing: string[];
  /** Current tus offset of the upload in progress (PATCH needs it). */
  uploadOffset: number;
  /** The day of the side's shift (YYYY-MM-DD). */
  day: string;
}

export const first = (side: Side, kind: Kind): string | undefined => side.ids[kind]?.[0];

/**
 * One organization's world, built through the real API as its own users would: a patient, a
 * study stored with STOW-RS, consultations in three states (claimed with a thread, files and a
 * draft report; submitted; signed with a referral), a consultation scheduled through a booking
 * on a rotation shift, an unavailability, a plan, a calendar feed, a share of the study and a
 * tus upload left half-way.
 */
export async function buildSide({
  base,
  name,
  users,
  f,
  token,
  day,
}: {
  base: string;
  name: 'A' | 'B';
  users: SideUsers;
  f: DirectoryFixture;
  /** Access tokens by fixture user name. */
  token: Record<string, string>;
  /** The day of the side's shift (YYYY-MM-DD). */
  day: string;
}): Promise<Side> {
  const tag = `${name}${randomBytes(3).toString('hex')}`;
  const side: Side = {
    name,
    users,
    ids: {},
    markers: new Map(),
    missing: [],
    uploadOffset: 0,
    day,
  };
  const add = (kind: Kind, value: string | undefined | null, marker = true) => {
    if (!value) return;
    (side.ids[kind] ??= []).push(String(value));
    if (marker && DATA_KINDS.includes(kind)) side.markers.set(String(value), kind);
  };
  const doctor = client(base, token[users.doctor]);
  const specialist = client(base, token[users.specialist]);
  const coordinator = client(base, token[users.coordinator]);
  const town = f.user[users.doctor].organizationId;
  const hospital = f.user[users.specialist].organizationId;

  add('organization', town, false);
  add('organization', hospital, false);
  add('practitioner', f.user[users.specialist].id, false);
  add('practitioner', f.user[users.doctor].id, false);
  add('consortium', name === 'A' ? f.consortium.countyA : f.consortium.countyB, false);

  // Patient
  const patientName = `测${tag}`;
  side.markers.set(patientName, 'patient name');
  const patient = await doctor.must(201, 'POST', '/api/patients', {
    name: patientName,
    sex: 'female',
    birthDate: '1970-05-06',
  });
  add('patient', patient.body.id);

  // Study, through STOW-RS
  const dicomPid = `PID-${tag}`;
  side.markers.set(dicomPid, 'DICOM PatientID');
  side.markers.set(`PN${tag}`, 'DICOM PatientName');
  const dicom = tinyDicom({}, { name: `PN${tag}^Probe`, id: dicomPid });
  const mp = multipartRelated([dicom.bytes]);
  await doctor.must(200, 'POST', '/dicom-web/studies', mp.body, {
    contentType: mp.contentType,
    headers: { accept: 'application/dicom+json' },
  });
  add('study', dicom.uids.study);
  add('series', dicom.uids.series);
  add('instance', dicom.uids.instance);

  // The claimed consultation, live (mode both), with everything attached
  const question = `问题${tag}`;
  side.markers.set(question, 'clinical question');
  const create = (mode: string, extra: Record<string, unknown> = {}) =>
    doctor.must(201, 'POST', '/api/consultations', {
      patientId: patient.body.id,
      specialty: 'radiology',
      urgency: 'routine',
      mode,
      clinicalQuestion: question,
      submit: true,
      ...extra,
    });
  // The probe's header names PN<tag>^Probe, not the patient: attached with a reason (the image check).
  const withStudy = {
    studyInstanceUids: [dicom.uids.study],
    patientMismatches: [{ studyInstanceUid: dicom.uids.study, reason: '授权测试探针影像' }],
  };
  const claimed = (
    await create('both', {
      ...withStudy,
      requestedExam: { modality: 'DX', procedure: `胸片${tag}` },
    })
  ).body.id;
  await specialist.must(200, 'POST', `/api/consultations/${claimed}/claim`);
  add('consultation', claimed);

  // An image of another patient under the requested exam's accession number: held for the doctor.
  const accession = (await doctor.must(200, 'GET', `/api/consultations/${claimed}`)).body
    .requestedExam.accessionNumber;
  side.markers.set(`HELD${tag}`, 'held study’s DICOM PatientName');
  const heldImage = tinyDicom({}, { name: `HELD${tag}^Other`, id: `HID-${tag}` }, accession);
  const heldMp = multipartRelated([heldImage.bytes]);
  await doctor.must(200, 'POST', '/dicom-web/studies', heldMp.body, {
    contentType: heldMp.contentType,
    headers: { accept: 'application/dicom+json' },
  });
  const arrivals = await doctor.must(200, 'GET', `/api/imaging/consultations/${claimed}/arrivals`);
  for (const a of arrivals.body) add('arrival', a.id);
  const pdf = await tinyPdf(`file ${tag}`);
  const sentFile = await doctor.must(
    201,
    'POST',
    `/api/consultations/${claimed}/attachments/files?fileName=sent.pdf`,
    pdf,
    { contentType: 'application/pdf' },
  );
  const freeFile = await doctor.must(
    201,
    'POST',
    `/api/consultations/${claimed}/attachments/files?fileName=free.pdf`,
    pdf,
    { contentType: 'application/pdf' },
  );
  add('attachment', freeFile.body.id); // not yet sent in a message: the one a body may name
  add('attachment', sentFile.body.id);
  const text = `消息${tag}`;
  side.markers.set(text, 'message text');
  const message = await doctor.must(201, 'POST', `/api/consultations/${claimed}/messages`, {
    body: text,
    attachmentIds: [sentFile.body.id],
  });
  add('message', message.body.id, false); // a small integer: not distinctive
  const findings = `所见${tag}`;
  side.markers.set(findings, 'report text');
  await specialist.must(200, 'PUT', `/api/consultations/${claimed}/report`, {
    findings,
    impression: `印象${tag}`,
    recommendation: 'refer_up',
  });

  // Submitted, waiting in the county queue
  add('consultationSubmitted', (await create('live_video')).body.id);

  // Signed, with an up-referral requested
  const signed = (await create('imaging_read', withStudy)).body.id;
  await specialist.must(200, 'POST', `/api/consultations/${signed}/claim`);
  await specialist.must(200, 'PUT', `/api/consultations/${signed}/report`, {
    findings,
    impression: `印象${tag}`,
    recommendation: 'refer_up',
  });
  await specialist.must(200, 'POST', `/api/consultations/${signed}/report/sign`);
  add('consultationSigned', signed);
  const referral = await doctor.go('POST', '/api/referrals', {
    consultationId: signed,
    reason: `上转${tag}`,
  });
  if (referral.status === 201) add('referral', referral.body.id);
  else side.missing.push(`referral: ${referral.status} ${referral.text.slice(0, 200)}`);

  // Scheduling: a shift of the side's specialist serving its township, a booking, a free slot
  const shift = await coordinator.go('POST', '/api/scheduling/shifts', {
    specialistId: f.user[users.specialist].id,
    hostOrganizationIds: [town],
    mode: 'remote_block',
    start: `${day}T09:00`,
    end: `${day}T12:00`,
    slotMinutes: 30,
  });
  if (shift.status === 201) {
    add('shift', shift.body.id);
    const slots = await doctor.must(
      200,
      'GET',
      `/api/scheduling/slots?specialistId=${f.user[users.specialist].id}&from=${day}T00:00:00Z&to=${day}T23:59:00Z&limit=20`,
    );
    const items: { id: string }[] = slots.body.items ?? [];
    const booked = (await create('live_video')).body.id;
    const booking = items.length
      ? await doctor.go('POST', '/api/scheduling/bookings', {
          slotId: items[0].id,
          consultationRequestId: booked,
        })
      : null;
    if (booking?.status === 201) {
      add('booking', booking.body.id);
      add('consultationBooked', booked);
    } else side.missing.push(`booking: ${booking?.status} ${booking?.text.slice(0, 200)}`);
    for (const s of items.slice(1)) add('slot', s.id); // free slots (the booked one is slots[0])
    if (items[0]) add('slot', items[0].id);
  } else side.missing.push(`shift: ${shift.status} ${shift.text.slice(0, 200)}`);

  // The specialist's leave
  const leave = {
    kind: 'leave',
    start: `${day.slice(0, 4)}-05-01T00:00`,
    end: `${day.slice(0, 4)}-05-03T00:00`,
  };
  let unavailability = await specialist.go(
    'POST',
    `/api/scheduling/specialists/${f.user[users.specialist].id}/unavailability`,
    leave,
  );
  if (unavailability.status !== 201)
    unavailability = await coordinator.go(
      'POST',
      `/api/scheduling/specialists/${f.user[users.specialist].id}/unavailability`,
      leave,
    );
  if (unavailability.status === 201) add('unavailability', unavailability.body.id);
  else
    side.missing.push(
      `unavailability: ${unavailability.status} ${unavailability.text.slice(0, 200)}`,
    );

  // A rotation plan proposed by the side's coordinator (one week, demand from its own township)
  const plan = await coordinator.go('POST', '/api/scheduling/plans', {
    from: day,
    weeks: 1,
    demand: [{ organizationId: town, specialty: 'radiology', count: 2 }],
  });
  if (plan.status === 201 || plan.status === 200) add('plan', plan.body.id);
  else side.missing.push(`plan: ${plan.status} ${plan.text.slice(0, 200)}`);

  // The specialist's secret calendar feed
  const feed = await specialist.go('POST', '/api/scheduling/me/calendar-feed');
  const feedToken = feed.body?.token ?? /calendar-feeds\/([^/]+)\//.exec(feed.text)?.[1];
  if (feedToken) add('feedToken', feedToken);
  else side.missing.push(`calendar feed: ${feed.status} ${feed.text.slice(0, 200)}`);

  // A share of the study with another specialist of the side's network (an access grant)
  const sharedWith = name === 'A' ? f.user.cityRadiologistA.id : f.user.countyRadiologistB.id;
  const share = await doctor.go('POST', `/api/imaging/studies/${dicom.uids.study}/shares`, {
    practitionerId: sharedWith,
    expiresAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
  });
  if (share.status !== 201)
    side.missing.push(`study share: ${share.status} ${share.text.slice(0, 200)}`);

  // A tus upload left half-way
  const created = await send(base, {
    method: 'POST',
    path: '/dicom-web/uploads',
    token: token[users.doctor],
    headers: {
      'tus-resumable': '1.0.0',
      'upload-length': '4096',
      'upload-metadata': `filename ${Buffer.from('half.dcm').toString('base64')}`,
    },
  });
  const location = created.headers.get('location');
  const uploadId = location?.split('/').pop();
  if (created.status === 201 && uploadId) {
    add('upload', uploadId);
    const patch = await send(base, {
      method: 'PATCH',
      path: `/dicom-web/uploads/${uploadId}`,
      token: token[users.doctor],
      body: dicom.bytes.subarray(0, 100),
      contentType: 'application/offset+octet-stream',
      headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0' },
    });
    if (patch.status === 204) side.uploadOffset = 100;
    else side.missing.push(`upload patch: ${patch.status} ${patch.text.slice(0, 200)}`);
  } else side.missing.push(`upload: ${created.status} ${created.text.slice(0, 200)}`);

  // The township's machines, registered by its admin: a service account, a DIMSE and a DICOMweb peer
  if (users.admin) {
    const admin = client(base, token[users.admin]);
    const account = await admin.go('POST', '/api/admin/service-accounts', {
      organizationId: town,
      name: `机器${tag}`,
      scopes: ['dicomweb:read'],
    });
    if (account.status === 201) add('serviceAccount', account.body.account.id);
    else side.missing.push(`service account: ${account.status} ${account.text.slice(0, 200)}`);
    const dimse = await admin.go('POST', '/api/admin/dicom-peers', {
      organizationId: town,
      aeTitle: `AE${tag}`.slice(0, 16),
      directions: ['store', 'query'],
    });
    if (dimse.status === 201) add('dimsePeer', dimse.body.id);
    else side.missing.push(`DIMSE peer: ${dimse.status} ${dimse.text.slice(0, 200)}`);
    const dicomweb = await admin.go('POST', '/api/admin/dicomweb-peers', {
      organizationId: town,
      name: `PACS${tag}`,
      baseUrl: 'https://pacs.example/dicom-web',
      serviceAccountId: account.body?.account?.id ?? null,
    });
    if (dicomweb.status === 201) add('dicomwebPeer', dicomweb.body.id);
    else side.missing.push(`DICOMweb peer: ${dicomweb.status} ${dicomweb.text.slice(0, 200)}`);
    // A routing rule to that peer, and the forward job a study stored after it makes.
    const rule = await admin.go('POST', '/api/admin/routing-rules', {
      organizationId: town,
      name: `转发${tag}`,
      dicomwebPeerId: dicomweb.body?.id ?? null,
    });
    if (rule.status === 201) add('routingRule', rule.body.id);
    else side.missing.push(`routing rule: ${rule.status} ${rule.text.slice(0, 200)}`);
    const routed = tinyDicom({}, { name: `PN${tag}^Routed`, id: dicomPid });
    side.markers.set(routed.uids.study, 'routed study');
    const routedBody = multipartRelated([routed.bytes]);
    await doctor.must(200, 'POST', '/dicom-web/studies', routedBody.body, {
      contentType: routedBody.contentType,
      headers: { accept: 'application/dicom+json' },
    });
    for (let i = 0; i < 50 && !side.ids.forwardJob; i++) {
      const jobs = await admin.go('GET', `/api/admin/forward-jobs?organizationId=${town}`);
      const job = (jobs.body?.items ?? []).find(
        (j: any) => j.studyInstanceUid === routed.uids.study,
      );
      if (job) add('forwardJob', job.id);
      else await new Promise((r) => setTimeout(r, 200));
    }
    if (!side.ids.forwardJob) side.missing.push('forward job: none made for the routed study');
  }

  return side;
}

/**
 * The victim's state as its own users read it: compared before and after every operation that
 * may change something, so a change is pinned on the operation that made it.
 */
export async function snapshot(
  base: string,
  side: Side,
  token: Record<string, string>,
): Promise<Record<string, string>> {
  const doctor = token[side.users.doctor];
  const out: Record<string, string> = {};
  const read = async (
    key: string,
    path: string,
    who: string,
    pick: (b: any, r: { status: number; headers: Headers }) => unknown,
  ) => {
    const r = await send(base, {
      method: path.startsWith('HEAD ') ? 'HEAD' : 'GET',
      path: path.replace(/^HEAD /, ''),
      token: who,
      headers: path.startsWith('HEAD ') ? { 'tus-resumable': '1.0.0' } : {},
    });
    out[key] = `${r.status} ${JSON.stringify(r.status < 300 ? pick(r.body, r) : null)}`;
  };
  for (const kind of [
    'consultation',
    'consultationSubmitted',
    'consultationSigned',
    'consultationBooked',
  ] as Kind[]) {
    const id = first(side, kind);
    if (!id) continue;
    await read(kind, `/api/consultations/${id}`, doctor, (b) => ({
      status: b.status,
      assigned: b.assignedSpecialistId,
      scheduled: b.scheduledStart,
      attachments: (b.attachments ?? []).map((a: any) => a.id ?? a.studyInstanceUid).sort(),
      participants: (b.participants ?? [])
        .map((p: any) => `${p.practitionerId}:${p.role}:${p.active ?? ''}`)
        .sort(),
      patient: b.patientId ?? b.patient?.id,
      question: b.clinicalQuestion,
      queue: b.queue?.organizationIds,
    }));
    await read(`${kind} messages`, `/api/consultations/${id}/messages`, doctor, (b) =>
      (b.items ?? []).map((m: any) => `${m.id}:${m.body}`),
    );
  }
  const patient = first(side, 'patient');
  if (patient)
    await read('patient', `/api/patients/${patient}`, doctor, (b) => [
      b.name,
      b.sex,
      b.birthDate,
      b.phone ?? null,
      b.address ?? null,
    ]);
  const referral = first(side, 'referral');
  if (referral)
    await read('referral', `/api/referrals/${referral}`, doctor, (b) => [
      b.status,
      b.toOrganizationId,
    ]);
  const booking = first(side, 'booking');
  if (booking)
    await read('booking', `/api/scheduling/bookings/${booking}`, doctor, (b) => [
      b.status,
      b.slotId,
      b.consultationRequestId,
    ]);
  const shift = first(side, 'shift');
  if (shift)
    await read('shift', `/api/scheduling/shifts/${shift}`, token[side.users.coordinator], (b) => [
      b.status,
      b.specialistId,
      b.hostOrganizationIds,
      b.rrule,
      b.start ?? b.localStart,
      b.end ?? b.localEnd,
      b.slotMinutes,
    ]);
  const plan = first(side, 'plan');
  if (plan)
    await read(
      'plan',
      `/api/scheduling/plans/${plan}`,
      token[side.users.coordinator],
      (b) => b.status,
    );
  const study = first(side, 'study');
  if (study) {
    await read(
      'study',
      `/dicom-web/studies?StudyInstanceUID=${study}&includefield=00201208`,
      doctor,
      (b) =>
        Array.isArray(b)
          ? b.map((s: any) => [s['00201208']?.Value?.[0], s['00100020']?.Value?.[0]])
          : b,
    );
    await read('study instances', `/dicom-web/studies/${study}/instances`, doctor, (b) =>
      Array.isArray(b) ? b.map((s: any) => s['00080018']?.Value?.[0]).sort() : b,
    );
  }
  const upload = first(side, 'upload');
  if (upload)
    await read('upload', `HEAD /dicom-web/uploads/${upload}`, doctor, (_b, r) =>
      r.headers.get('upload-offset'),
    );
  if (side.users.admin) {
    const admin = token[side.users.admin];
    const account = first(side, 'serviceAccount');
    if (account)
      await read('service account', `/api/admin/service-accounts/${account}`, admin, (b) => [
        b.name,
        b.scopes,
        b.revokedAt,
      ]);
    const town = side.ids.organization?.[0];
    if (town) {
      await read('DIMSE peers', `/api/admin/dicom-peers?organizationId=${town}`, admin, (b) =>
        (b.items ?? []).map((p: any) => [p.id, p.aeTitle, p.host, p.port, p.directions, p.enabled]),
      );
      await read('DICOMweb peers', `/api/admin/dicomweb-peers?organizationId=${town}`, admin, (b) =>
        (b.items ?? []).map((p: any) => [p.id, p.name, p.baseUrl, p.serviceAccountId, p.enabled]),
      );
      await read('routing rules', `/api/admin/routing-rules?organizationId=${town}`, admin, (b) =>
        (b.items ?? []).map((r: any) => [r.id, r.name, r.destination, r.enabled]),
      );
      // The queue moves by itself (attempts, state): only what a job is for is compared.
      await read('forward jobs', `/api/admin/forward-jobs?organizationId=${town}`, admin, (b) =>
        (b.items ?? []).map((j: any) => [j.id, j.ruleId, j.studyInstanceUid]),
      );
    }
  }
  const specialistId = side.ids.practitioner?.[0];
  if (specialistId) {
    const y = side.day.slice(0, 4);
    await read(
      'availability',
      `/api/scheduling/specialists/${specialistId}/availability?from=${side.day}T00:00:00Z&to=${y}-05-05T00:00:00Z`,
      token[side.users.specialist],
      (b) => b,
    );
    await read(
      'shifts of the specialist',
      `/api/scheduling/shifts?specialistId=${specialistId}&limit=200`,
      token[side.users.coordinator],
      (b) => (b.items ?? []).map((x: any) => `${x.id}:${x.status ?? ''}`).sort(),
    );
  }
  return out;
}
