/**
 * A listener that could not take its port at start: the message names the port and the setting
 * that chooses it, for a person to read (bootstrapApp prints it instead of a stack trace).
 */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly variable: string,
    readonly reason: 'in_use' | 'forbidden' = 'in_use',
    detail = '',
  ) {
    super(
      reason === 'in_use'
        ? `port ${port}${detail} is in use: set ${variable} to another port`
        : `port ${port}${detail} needs privileges this process lacks: set ${variable} to a port from 1024 up (or let the process bind low ports)`,
    );
    this.name = 'PortInUseError';
  }
}

/** EADDRINUSE / EACCES from a net or http listen, with the port it failed on. */
export function listenErrorPort(
  e: unknown,
): { port: number; reason: 'in_use' | 'forbidden' } | null {
  const err = e as { code?: unknown; port?: unknown } | null;
  if (!err || typeof err.port !== 'number') return null;
  if (err.code === 'EADDRINUSE') return { port: err.port, reason: 'in_use' };
  if (err.code === 'EACCES') return { port: err.port, reason: 'forbidden' };
  return null;
}
