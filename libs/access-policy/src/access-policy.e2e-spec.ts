import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditEvent, AuditService } from '@huizhen/audit';
import type { Actor, Role } from '@huizhen/kernel';
import { TestSchema, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { AccessPolicyService } from './access-policy.service';
import { consultationRefById } from './consultation-refs';
import type { PolicyAction, ResourceRef } from './policy-terms';

/**
 * The policy's rules for the resources later features bring (consultations routed to a
 * queue, studies read through consultations, rotation shifts, bookings), on the real
 * directory tables: role x action x own / other organization.
 */
describe('AccessPolicyService decision table (real PostgreSQL)', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let policy: AccessPolicyService;
  const actor: Record<string, Actor> = {};

  beforeAll(async () => {
    schema = await TestSchema.create('policy');
    f = await seedDirectory(schema);
    const db = await schema.connect([AuditEvent]);
    policy = new AccessPolicyService(db, new AuditService(db));
    const rows = await schema.query<{
      id: string;
      username: string;
      organization_id: string;
      roles: Role[];
      specialty: string | null;
    }>('SELECT id, username, organization_id, roles, specialty FROM practitioner');
    for (const [key, u] of Object.entries(f.user)) {
      const r = rows.find((x) => x.id === u.id)!;
      actor[key] = {
        id: r.id,
        username: r.username,
        displayName: key,
        organizationId: r.organization_id,
        roles: r.roles,
        specialty: r.specialty,
      };
    }
  });
  afterAll(async () => {
    await schema?.drop();
  });

  // A radiology request from township A, queued at county A's radiology, requested by town doctor A.
  const consultation = (): ResourceRef => ({
    type: 'consultation',
    id: 'c-1',
    organizationId: f.org.townA,
    participantIds: [actor.townDoctorA.id],
    routedTo: { organizationIds: [f.org.countyA], specialty: 'radiology' },
  });
  const claimed = (): ResourceRef => ({
    ...consultation(),
    participantIds: [actor.townDoctorA.id, actor.countyRadiologistA.id],
  });
  const declinedByCountyA = (): ResourceRef => ({
    ...consultation(),
    routedTo: {
      organizationIds: [f.org.countyA],
      specialty: 'radiology',
      declinedBy: [actor.countyRadiologistA.id],
    },
  });
  // Township A's request waiting in county B's queue (outside city B's hub), then claimed there.
  const queuedAtCountyB = (): ResourceRef => ({
    ...consultation(),
    routedTo: { organizationIds: [f.org.countyB], specialty: 'radiology' },
  });
  const assignedToCountyB = (): ResourceRef => ({
    ...consultation(),
    routedTo: undefined,
    organizationIds: [f.org.countyB],
    participantIds: [actor.townDoctorA.id, actor.countyRadiologistB.id],
  });
  const studyOfB = (): ResourceRef => ({
    type: 'imaging_study',
    id: 's-1',
    organizationId: f.org.townB,
  });
  const studyOfAThroughConsultation = (): ResourceRef => ({
    type: 'imaging_study',
    id: 's-2',
    organizationId: f.org.townA,
    via: [consultation()],
  });
  const shift = (hosts: (keyof DirectoryFixture['org'])[]): ResourceRef => ({
    type: 'rotation_shift',
    organizationIds: hosts.map((h) => f.org[h]),
  });

  const table: [
    who: string,
    action: PolicyAction,
    what: string,
    resource: () => ResourceRef,
    allowed: boolean,
  ][] = [
    ['townDoctorA', 'read', 'own request', consultation, true],
    ['townDoctorB', 'read', 'another county’s request', consultation, false],
    ['countyRadiologistA', 'read', 'a request in their queue', consultation, true],
    ['countyRadiologistA', 'claim', 'a request in their queue', consultation, true],
    ['countyCardiologistA', 'read', 'a request queued for another specialty', consultation, false],
    ['countyCardiologistA', 'claim', 'a request queued for another specialty', consultation, false],
    ['countyRadiologistB', 'claim', 'a request queued outside their hospital', consultation, false],
    ['cityRadiologistA', 'read', 'a request not (yet) escalated to them', consultation, false],
    ['countyRadiologistA', 'report', 'a request not yet claimed by them', consultation, false],
    ['countyRadiologistA', 'report', 'the request they claimed', claimed, true],
    ['countyRadiologistA', 'sign', 'the request they claimed', claimed, true],
    ['townDoctorA', 'sign', 'their own request', claimed, false],
    ['townDoctorA', 'join', 'the video room of their request', claimed, true],
    ['townDoctorB', 'join', 'the video room of another request', claimed, false],
    ['hubCoordinator', 'read', 'a request under the hub', consultation, true],
    ['hubCoordinator', 'manage', 'a request under the hub (reassign)', consultation, true],
    ['cityCoordinatorB', 'manage', 'a request outside city B', consultation, false],
    ['hubAdmin', 'read', 'a request (PHI)', consultation, false],
    ['countyRadiologistA', 'claim', 'a request they declined before', declinedByCountyA, false],
    ['countyRadiologistA', 'read', 'a request they declined before', declinedByCountyA, false],
    [
      'cityCoordinatorB',
      'read',
      'a request from outside city B queued at county B (clinical content)',
      queuedAtCountyB,
      false,
    ],
    [
      'cityCoordinatorB',
      'read_routing',
      'a request from outside city B queued at county B (routing facts)',
      queuedAtCountyB,
      true,
    ],
    [
      'cityCoordinatorB',
      'manage',
      'a request queued at county B (reassign)',
      queuedAtCountyB,
      true,
    ],
    ['cityCoordinatorB', 'read_routing', 'a request queued in city A only', consultation, false],
    ['cityCoordinatorB', 'read', 'a request assigned to county B', assignedToCountyB, true],
    ['otherHubCoordinator', 'read_routing', 'a request queued at county B', queuedAtCountyB, false],
    ['townDoctorA', 'read', 'another township’s study', studyOfB, false],
    ['townDoctorB', 'read', 'their own township’s study', studyOfB, true],
    [
      'countyRadiologistA',
      'read',
      'a study attached to a request in their queue',
      studyOfAThroughConsultation,
      true,
    ],
    [
      'countyRadiologistB',
      'read',
      'a study attached to a request elsewhere',
      studyOfAThroughConsultation,
      false,
    ],
    [
      'hubCoordinator',
      'create',
      'a rotation at township A and B',
      () => shift(['townA', 'townB']),
      true,
    ],
    ['cityCoordinatorB', 'create', 'a rotation at township B', () => shift(['townB']), true],
    [
      'cityCoordinatorB',
      'create',
      'a rotation at township A and B',
      () => shift(['townA', 'townB']),
      false,
    ],
    [
      'cityCoordinatorB',
      'manage',
      'a rotation at township B of county A’s specialist',
      () => ({ ...shift(['townB']), organizationId: f.org.countyA }),
      false,
    ],
    [
      'cityCoordinatorB',
      'manage',
      'a rotation at township B of county B’s specialist',
      () => ({ ...shift(['townB']), organizationId: f.org.countyB }),
      true,
    ],
    ['otherHubCoordinator', 'update', 'a rotation at township A', () => shift(['townA']), false],
    ['townDoctorA', 'create', 'a rotation at township A', () => shift(['townA']), false],
    ['townDoctorA', 'read', 'a rotation plan', () => shift(['townB']), true],
    [
      'townDoctorA',
      'book',
      'a slot for their organization’s request',
      () => ({ type: 'booking', organizationId: f.org.townA }),
      true,
    ],
    [
      'townDoctorA',
      'book',
      'a slot for another organization’s request',
      () => ({ type: 'booking', organizationId: f.org.townB }),
      false,
    ],
  ];

  it.each(table)('%s may %s %s: %p', async (who, action, _what, resource, allowed) => {
    const d = await policy.decide(actor[who], action, resource());
    expect(d.allowed).toBe(allowed);
    expect(d.reason.length).toBeGreaterThan(3);
  });

  it('an organization-wide share opens a study to that organization only, and assert() audits the denial', async () => {
    const study: ResourceRef = {
      type: 'imaging_study',
      id: 'shared-study-1',
      organizationId: f.org.townB,
    };
    await expect(policy.assert(actor.cityRadiologistA, 'read', study)).rejects.toMatchObject({
      status: 403,
      code: 'access_denied',
    });
    await policy.grant(actor.townDoctorB, {
      resourceType: 'imaging_study',
      resourceId: 'shared-study-1',
      action: 'read',
      organizationId: f.org.cityA,
      expiresAt: new Date(Date.now() + 60_000),
    });
    await expect(policy.assert(actor.cityRadiologistA, 'read', study)).resolves.toBeUndefined();
    expect((await policy.decide(actor.countyRadiologistA, 'read', study)).allowed).toBe(false);
    const denials = await schema.query(
      `SELECT actor_username, outcome FROM audit_event WHERE resource_id = 'shared-study-1' ORDER BY id`,
    );
    expect(denials).toEqual([
      { actor_username: 'city-radiologist-a', outcome: 'denied' },
      { actor_username: 'town-doctor-b', outcome: 'success' },
    ]);
  });

  it('lists exactly the consultations and referrals it lets each actor read (the read filters agree with decide)', async () => {
    const [{ id: patientA }] = await schema.query<{ id: string }>(
      `INSERT INTO patient (organization_id, name, sex, birth_date) VALUES ($1, '甲', 'male', '1960-01-01') RETURNING id`,
      [f.org.townA],
    );
    const [{ id: patientB }] = await schema.query<{ id: string }>(
      `INSERT INTO patient (organization_id, name, sex, birth_date) VALUES ($1, '乙', 'female', '1970-01-01') RETURNING id`,
      [f.org.townB],
    );
    const u = f.user;
    type Shape = {
      from: 'townA' | 'townB';
      status: string;
      routed?: (keyof DirectoryFixture['org'])[];
      declinedBy?: string[];
      assigned?: string;
      guests?: string[];
    };
    const shapes: Record<string, Shape> = {
      draftA: { from: 'townA', status: 'draft' },
      queuedCountyA: { from: 'townA', status: 'submitted', routed: ['countyA'] },
      escalatedDeclined: {
        from: 'townA',
        status: 'submitted',
        routed: ['countyA', 'cityA'],
        declinedBy: [u.countyRadiologistA.id],
      },
      claimedCountyA: { from: 'townA', status: 'claimed', assigned: 'countyRadiologistA' },
      queuedCountyB: { from: 'townA', status: 'submitted', routed: ['countyB'] },
      claimedCountyB: {
        from: 'townA',
        status: 'reported',
        assigned: 'countyRadiologistB',
        guests: ['cityRadiologistA'],
      },
      queuedB: { from: 'townB', status: 'submitted', routed: ['countyB'] },
      sharedB: { from: 'townB', status: 'closed', assigned: 'countyRadiologistB' },
      sharedExpiredB: { from: 'townB', status: 'closed', assigned: 'countyRadiologistB' },
    };
    const ids: Record<string, string> = {};
    for (const [name, sh] of Object.entries(shapes)) {
      const requester = sh.from === 'townA' ? u.townDoctorA : u.townDoctorB;
      const assigned = sh.assigned ? u[sh.assigned] : null;
      const [row] = await schema.query<{ id: string }>(
        `INSERT INTO consultation_request (requesting_organization_id, requester_id, patient_id, specialty, urgency, mode, clinical_question, status,
                                           routed_organization_ids, declined_by, assigned_specialist_id, assigned_organization_id)
         VALUES ($1, $2, $3, 'radiology', 'routine', 'imaging_read', '?', $4, $5, $6, $7, $8) RETURNING id`,
        [
          f.org[sh.from],
          requester.id,
          sh.from === 'townA' ? patientA : patientB,
          sh.status,
          (sh.routed ?? []).map((k) => f.org[k]),
          sh.declinedBy ?? [],
          assigned?.id ?? null,
          assigned?.organizationId ?? null,
        ],
      );
      ids[name] = row.id;
      const people: [string, string][] = [
        [requester.id, 'requester'],
        ...(assigned ? [[assigned.id, 'assigned_specialist'] as [string, string]] : []),
        ...(sh.guests ?? []).map((g) => [u[g].id, 'guest_specialist'] as [string, string]),
      ];
      for (const [who, role] of people)
        await schema.query(
          `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, $3)`,
          [row.id, who, role],
        );
    }
    await policy.grant(actor.townDoctorB, {
      resourceType: 'consultation',
      resourceId: ids.sharedB,
      action: 'read',
      practitionerId: u.cityRadiologistA.id,
      expiresAt: new Date(Date.now() + 60_000),
    });
    await schema.query(
      `INSERT INTO access_grant (resource_type, resource_id, action, grantee_organization_id, expires_at) VALUES ('consultation', $1, 'read', $2, now() - interval '1 minute')`,
      [ids.sharedExpiredB, f.org.cityA],
    );

    const db = await schema.connect([AuditEvent]);
    const mismatches: string[] = [];
    let allowedPairs = 0;
    for (const who of Object.keys(actor)) {
      const params: unknown[] = [];
      const filter = await policy.consultationReadFilter(
        actor[who],
        (v) => (params.push(v), `$${params.length}`),
      );
      const listed = new Set(
        (await db.query(`SELECT c.id FROM consultation_request c WHERE ${filter}`, params)).map(
          (r: { id: string }) => r.id,
        ),
      );
      for (const [name, id] of Object.entries(ids)) {
        const allowed = (
          await policy.decide(actor[who], 'read', (await consultationRefById(db.manager, id))!)
        ).allowed;
        if (allowed) allowedPairs++;
        if (allowed !== listed.has(id))
          mismatches.push(`${who} ${name}: decide ${allowed}, listed ${listed.has(id)}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The world is not trivially all-or-nothing.
    expect(allowedPairs).toBeGreaterThan(10);
    expect(allowedPairs).toBeLessThan((Object.keys(actor).length * Object.keys(ids).length) / 2);

    // Referrals made from those requests, up and down, inside and across the two cities.
    type Ref = {
      on: string;
      direction: 'up' | 'down';
      from: keyof DirectoryFixture['org'];
      to: keyof DirectoryFixture['org'];
      specialty: string | null;
      by: string;
    };
    const referrals: Record<string, Ref> = {
      upToCityA: {
        on: 'claimedCountyA',
        direction: 'up',
        from: 'countyA',
        to: 'cityA',
        specialty: 'radiology',
        by: 'countyRadiologistA',
      },
      upToCityBCardiology: {
        on: 'claimedCountyB',
        direction: 'up',
        from: 'countyB',
        to: 'cityB',
        specialty: 'cardiology',
        by: 'countyRadiologistB',
      },
      downToTownB: {
        on: 'sharedB',
        direction: 'down',
        from: 'countyB',
        to: 'townB',
        specialty: null,
        by: 'countyRadiologistB',
      },
      upNamedNoSpecialty: {
        on: 'queuedB',
        direction: 'up',
        from: 'townB',
        to: 'cityA',
        specialty: null,
        by: 'townDoctorB',
      },
      downToCountyA: {
        on: 'claimedCountyA',
        direction: 'down',
        from: 'cityA',
        to: 'countyA',
        specialty: null,
        by: 'cityRadiologistA',
      },
    };
    const refIds: Record<string, string> = {};
    for (const [name, x] of Object.entries(referrals)) {
      const [row] = await schema.query<{ id: string }>(
        `INSERT INTO referral (consultation_id, patient_id, direction, from_organization_id, to_organization_id, specialty, reason, follow_up_plan, created_by)
         SELECT c.id, c.patient_id, $2, $3, $4, $5, '?', CASE WHEN $2 = 'down' THEN '随访' END, $6 FROM consultation_request c WHERE c.id = $1 RETURNING id`,
        [ids[x.on], x.direction, f.org[x.from], f.org[x.to], x.specialty, u[x.by].id],
      );
      refIds[name] = row.id;
    }
    const refOf = async (id: string): Promise<ResourceRef> => {
      const [r] = await db.query(
        `SELECT r.*, p.organization_id AS patient_org FROM referral r JOIN patient p ON p.id = r.patient_id WHERE r.id = $1`,
        [id],
      );
      const people = (
        await db.query(
          `SELECT practitioner_id FROM consultation_participant WHERE consultation_id = $1 AND active`,
          [r.consultation_id],
        )
      ).map((x: { practitioner_id: string }) => x.practitioner_id);
      // As ReferralsService.ref builds it.
      return {
        type: 'referral',
        id,
        organizationId: r.patient_org,
        organizationIds: [r.from_organization_id, r.to_organization_id],
        participantIds: [...people, r.created_by],
        routedTo: {
          organizationIds: [r.to_organization_id],
          specialty: r.direction === 'up' ? r.specialty : null,
        },
      };
    };
    let allowedReferrals = 0;
    for (const who of Object.keys(actor)) {
      const params: unknown[] = [];
      const filter = await policy.referralReadFilter(
        actor[who],
        (v) => (params.push(v), `$${params.length}`),
      );
      const listed = new Set(
        (await db.query(`SELECT r.id FROM referral r WHERE ${filter}`, params)).map(
          (r: { id: string }) => r.id,
        ),
      );
      for (const [name, id] of Object.entries(refIds)) {
        const allowed = (await policy.decide(actor[who], 'read', await refOf(id))).allowed;
        if (allowed) allowedReferrals++;
        if (allowed !== listed.has(id))
          mismatches.push(`${who} referral ${name}: decide ${allowed}, listed ${listed.has(id)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(allowedReferrals).toBeGreaterThan(5);
    await db.destroy();
  });

  it('lists studies by owner exactly where the read rule allows by owner (ownerReadScope, used by QIDO-RS)', async () => {
    const mismatches: string[] = [];
    for (const who of Object.keys(actor)) {
      const scope = new Set(await policy.ownerReadScope(actor[who]));
      for (const [org, id] of Object.entries(f.org)) {
        const allowed = (
          await policy.decide(actor[who], 'read', {
            type: 'imaging_study',
            id: `owner-${org}`,
            organizationId: id,
          })
        ).allowed;
        if (allowed !== scope.has(id))
          mismatches.push(`${who} ${org}: decide ${allowed}, scope ${scope.has(id)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('knows scopes and consortium peers', async () => {
    expect((await policy.organizationScope(actor.townDoctorA)).organizationIds).toEqual([
      f.org.townA,
    ]);
    const hub = await policy.organizationScope(actor.hubCoordinator);
    expect(hub.all).toBe(true);
    expect(hub.organizationIds).toHaveLength(8);
    const cityB = await policy.organizationScope(actor.cityCoordinatorB);
    expect(cityB.all).toBe(false);
    expect(cityB.organizationIds.sort()).toEqual([f.org.cityB, f.org.countyB, f.org.townB].sort());
    expect((await policy.consortiumPeers(f.org.townA)).sort()).toEqual(
      [f.org.cityA, f.org.countyA, f.org.townA, f.org.villageA].sort(),
    );
  });
});
