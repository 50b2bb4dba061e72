import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Response } from 'express';
import { DomainError } from './domain-error';

/** The one error body every HTTP route answers with. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

export function errorBody(statusCode: number, message: string, details?: unknown): ErrorBody {
  const body: ErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (details !== undefined) body.details = details;
  return body;
}

/** Maps whatever was thrown to ErrorBody. Unknown errors are logged and answered with 500, never leaked. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof DomainError) {
    return errorBody(exception.status, exception.message, {
      code: exception.code,
      ...exception.details,
    });
  }
  // Express/body-parser failures arrive wrapped (Nest maps them); answer from the original.
  const cause =
    exception instanceof HttpException
      ? (exception.cause as { type?: string } | undefined)
      : undefined;
  if (cause && typeof cause.type === 'string') return bodyParserError(cause);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const res = exception.getResponse();
    if (typeof res === 'string') return errorBody(status, res);
    const r = res as { message?: unknown; details?: unknown };
    const message = Array.isArray(r.message)
      ? r.message.join('; ')
      : typeof r.message === 'string'
        ? r.message
        : exception.message;
    const details = r.details ?? (Array.isArray(r.message) ? { problems: r.message } : undefined);
    return errorBody(status, message, details);
  }
  return bodyParserError(exception);
}

/** body-parser and other express middleware errors carry a status and a type. */
function bodyParserError(exception: unknown): ErrorBody {
  // A body parser's verify threw one of ours (the NUL check): its own body.
  if (exception instanceof DomainError) return toErrorBody(exception);
  const e = exception as {
    status?: number;
    statusCode?: number;
    type?: string;
    message?: string;
    expose?: boolean;
  };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (e.type === 'entity.parse.failed')
      return errorBody(
        400,
        'Request body is not valid JSON',
        e.message ? { parser: e.message } : undefined,
      );
    if (e.type === 'entity.too.large') return errorBody(413, 'Request body is too large');
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
      return errorBody(415, e.message ?? 'Unsupported encoding');
    return errorBody(
      status,
      e.expose && e.message ? e.message : (STATUS_CODES[status] ?? 'Bad request'),
    );
  }
  return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
}

/** Answers with the ErrorBody of whatever was thrown (a 5xx is logged; after headers went out, the response just ends). */
export function sendErrorBody(res: ServerResponse, exception: unknown, logger: Logger): void {
  const body = toErrorBody(exception);
  if (body.statusCode >= 500)
    logger.error(exception instanceof Error ? exception : String(exception));
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = body.statusCode;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

@Catch()
export class ErrorBodyFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    sendErrorBody(host.switchToHttp().getResponse<Response>(), exception, this.logger);
  }
}
