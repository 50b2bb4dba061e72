/**
 * A failure a feature names on purpose: a stable machine-readable code, a status and a message a
 * person can act on. The status is an HTTP status number (404, 409, …) but nothing here depends
 * on HTTP: the edge (libs/platform-http, ErrorBodyFilter) turns it into the answer, and other
 * doors (sockets, DIMSE) read the code and message.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
