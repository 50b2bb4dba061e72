/**
 * The words every lib and app share, with no dependency of their own (not Nest, not HTTP, no
 * other lib): who acts (Actor, roles), the failure a feature names (DomainError) and the keys
 * derived from the platform's secrets. Every lib may import it; it imports none.
 */
export * from './roles';
export * from './actor';
export * from './domain-error';
export * from './derived-secrets';
