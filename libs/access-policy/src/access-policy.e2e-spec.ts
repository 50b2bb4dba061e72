import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditEvent, AuditService } from '@huizhen/audit';
import type { Actor, Role } from '@huizhen/auth';
import { TestSchema, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { AccessPolicyService } from './access-policy.service';
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
    const rows = await schema.query<{ id: string; username: string; organization_id: string; roles: Role[]; specialty: string | null }>('SELECT id, username, organization_id, roles, specialty FROM practitioner');
    for (const [key, u] of Object.entries(f.user)) {
      const r = rows.find((x) => x.id === u.id)!;
      actor[key] = { id: r.id, username: r.username, displayName: key, organizationId: r.organization_id, roles: r.roles, specialty: r.specialty };
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
  const claimed = (): ResourceRef => ({ ...consultation(), participantIds: [actor.townDoctorA.id, actor.countyRadiologistA.id] });
  const studyOfB = (): ResourceRef => ({ type: 'imaging_study', id: 's-1', organizationId: f.org.townB });
  const studyOfAThroughConsultation = (): ResourceRef => ({ type: 'imaging_study', id: 's-2', organizationId: f.org.townA, via: [consultation()] });
  const shift = (hosts: (keyof DirectoryFixture['org'])[]): ResourceRef => ({ type: 'rotation_shift', organizationIds: hosts.map((h) => f.org[h]) });

  const table: [who: string, action: PolicyAction, what: string, resource: () => ResourceRef, allowed: boolean][] = [
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
    ['townDoctorA', 'read', 'another township’s study', studyOfB, false],
    ['townDoctorB', 'read', 'their own township’s study', studyOfB, true],
    ['countyRadiologistA', 'read', 'a study attached to a request in their queue', studyOfAThroughConsultation, true],
    ['countyRadiologistB', 'read', 'a study attached to a request elsewhere', studyOfAThroughConsultation, false],
    ['hubCoordinator', 'create', 'a rotation at township A and B', () => shift(['townA', 'townB']), true],
    ['cityCoordinatorB', 'create', 'a rotation at township B', () => shift(['townB']), true],
    ['cityCoordinatorB', 'create', 'a rotation at township A and B', () => shift(['townA', 'townB']), false],
    ['otherHubCoordinator', 'update', 'a rotation at township A', () => shift(['townA']), false],
    ['townDoctorA', 'create', 'a rotation at township A', () => shift(['townA']), false],
    ['townDoctorA', 'read', 'a rotation plan', () => shift(['townB']), true],
    ['townDoctorA', 'book', 'a slot for their organization’s request', () => ({ type: 'booking', organizationId: f.org.townA }), true],
    ['townDoctorA', 'book', 'a slot for another organization’s request', () => ({ type: 'booking', organizationId: f.org.townB }), false],
  ];

  it.each(table)('%s may %s %s: %p', async (who, action, _what, resource, allowed) => {
    const d = await policy.decide(actor[who], action, resource());
    expect(d.allowed).toBe(allowed);
    expect(d.reason.length).toBeGreaterThan(3);
  });

  it('an organization-wide share opens a study to that organization only, and assert() audits the denial', async () => {
    const study: ResourceRef = { type: 'imaging_study', id: 'shared-study-1', organizationId: f.org.townB };
    await expect(policy.assert(actor.cityRadiologistA, 'read', study)).rejects.toMatchObject({ status: 403, code: 'access_denied' });
    await policy.grant(actor.townDoctorB, { resourceType: 'imaging_study', resourceId: 'shared-study-1', action: 'read', organizationId: f.org.cityA, expiresAt: new Date(Date.now() + 60_000) });
    await expect(policy.assert(actor.cityRadiologistA, 'read', study)).resolves.toBeUndefined();
    expect((await policy.decide(actor.countyRadiologistA, 'read', study)).allowed).toBe(false);
    const denials = await schema.query(`SELECT actor_username, outcome FROM audit_event WHERE resource_id = 'shared-study-1' ORDER BY id`);
    expect(denials).toEqual([
      { actor_username: 'city-radiologist-a', outcome: 'denied' },
      { actor_username: 'town-doctor-b', outcome: 'success' },
    ]);
  });

  it('knows scopes and consortium peers', async () => {
    expect((await policy.organizationScope(actor.townDoctorA)).organizationIds).toEqual([f.org.townA]);
    const hub = await policy.organizationScope(actor.hubCoordinator);
    expect(hub.all).toBe(true);
    expect(hub.organizationIds).toHaveLength(8);
    const cityB = await policy.organizationScope(actor.cityCoordinatorB);
    expect(cityB.all).toBe(false);
    expect(cityB.organizationIds.sort()).toEqual([f.org.cityB, f.org.countyB, f.org.townB].sort());
    expect((await policy.consortiumPeers(f.org.townA)).sort()).toEqual([f.org.cityA, f.org.countyA, f.org.townA, f.org.villageA].sort());
  });
});
