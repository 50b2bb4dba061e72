import { describe, expect, it } from '@jest/globals';
import { isMachine } from '@huizhen/kernel';
import { peerActor } from './peer-actor';

describe('a DIMSE peer as the access policy sees it', () => {
  it('is its organization’s machine, never a person with a role', () => {
    const actor = peerActor({ aeTitle: 'TOWN01_DR', organizationId: 'org-1' });
    expect(isMachine(actor)).toBe(true);
    expect(actor).toMatchObject({ roles: [], scopes: [], organizationId: 'org-1' });
    expect(actor.username).toBe('dimse:TOWN01_DR');
  });

  it('keeps one id per AE title, so its audit trail can be followed across associations', () => {
    const a = peerActor({ aeTitle: 'TOWN01_DR', organizationId: 'org-1' });
    expect(peerActor({ aeTitle: 'TOWN01_DR', organizationId: 'org-1' }).id).toBe(a.id);
    expect(peerActor({ aeTitle: 'TOWN02_DR', organizationId: 'org-1' }).id).not.toBe(a.id);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
