import { HttpStatus } from '@nestjs/common';

/**
 * A failure a feature names on purpose: a stable machine-readable code, an HTTP status and a
 * message a person can act on. Features define their codes; the filter renders them.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: HttpStatus,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
