import { describe, expect, it } from '@jest/globals';
import { DomainError, actorOf, hasRole, type Actor } from './index';

describe('kernel', () => {
  it('DomainError carries a code, a plain status number, a message and details', () => {
    const e = new DomainError('x_not_found', 404, 'x does not exist', { id: 'x' });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({
      code: 'x_not_found',
      status: 404,
      message: 'x does not exist',
      details: { id: 'x' },
      name: 'DomainError',
    });
  });

  it('actorOf keeps exactly the Actor fields; hasRole matches any of the roles', () => {
    const actor: Actor = {
      id: '1',
      username: 'u',
      displayName: 'U',
      organizationId: 'o',
      roles: ['specialist'],
      specialty: 'radiology',
    };
    expect(actorOf({ ...actor, passwordHash: 'secret' } as Actor)).toEqual(actor);
    expect(hasRole(actor, 'admin', 'specialist')).toBe(true);
    expect(hasRole(actor, 'admin')).toBe(false);
  });
});
