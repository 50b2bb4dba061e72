// DomainError is HTTP-free and lives in libs/kernel; exported here too for the HTTP layer's users.
export { DomainError } from '@huizhen/kernel';
