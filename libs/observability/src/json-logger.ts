import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '@huizhen/config';
import { requestContext } from './request-context';

const ORDER: Record<LogLevel, number> = {
  fatal: 60,
  error: 50,
  warn: 40,
  info: 30,
  debug: 20,
  trace: 10,
};

/** Structured JSON lines on stdout, one per event, carrying the request id when there is one. */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  ) {}

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, context };
    const requestId = requestContext.getStore()?.requestId;
    if (requestId) entry.requestId = requestId;
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.stack = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(entry, message);
    } else {
      entry.msg = String(message);
    }
    if (rest.length && typeof rest[0] === 'string' && level === 'error') entry.stack = rest[0];
    this.write(JSON.stringify(entry));
  }

  log(message: unknown, ...rest: unknown[]) {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.emit('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.emit('fatal', message, rest);
  }
}
