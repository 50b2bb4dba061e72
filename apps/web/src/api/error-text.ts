import type { MessageKey } from '../i18n/messages';
import { ApiError } from './http';

type Words = (key: MessageKey, vars?: Record<string, string | number>) => string;

/**
 * A failure our own code tells in the user's words already (a question the page asks before the
 * same save again, a rule of the form): shown as it is.
 */
export class ToldError extends Error {}

/**
 * A failure in the user's language, never the server's English: the catalogue's words for its
 * code (each says what to do next), else what the status means. The server's `message` stays in
 * the console and the logs, where the particulars help whoever investigates. Kept free of React
 * and antd so it is tested under Node (test/browser/error-text.spec.ts).
 */
export function errorText(t: Words, error: unknown): string {
  if (error instanceof ToldError) return error.message;
  if (!(error instanceof ApiError)) return t('error.unknown');
  if (error.isNetwork) return t('error.network');
  if (error.code) return t(`errorCode.${error.code}`);
  const fields = (error.details as { fields?: { field?: unknown }[] } | undefined)?.fields;
  if (error.status === 400 && Array.isArray(fields) && fields.length)
    return t('error.invalidFields', {
      fields: fields.map((f) => String(f.field ?? '')).join(', '),
    });
  if (error.status === 400) return t('error.badRequest');
  if (error.status === 401) return t('errorCode.invalid_access_token');
  if (error.status === 403) return t('error.forbidden');
  if (error.status === 404) return t('error.notFound');
  if (error.status === 409) return t('error.conflict');
  if (error.status === 413) return t('error.tooLarge');
  if (error.status >= 500) return t('error.server');
  return t('error.unknown');
}
