import { Button, Empty, Result } from 'antd';
import type { ReactNode } from 'react';
import { ApiError } from '../api/http';
import { useI18n, type Translate } from '../i18n/I18nProvider';

/**
 * A failure in the user's language, never the server's English: the catalogue's words for its
 * code (each says what to do next), else what the status means. The server's `message` stays in
 * the console and the logs, where the particulars help whoever investigates.
 */
export function errorMessage(t: Translate, error: unknown): string {
  if (error instanceof ApiError) {
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
  return t('error.unknown');
}

/** A failed load: the server's own message, and a way to try again. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const status = error instanceof ApiError ? error.status : 0;
  return (
    <Result
      status={status === 403 ? '403' : status === 404 ? '404' : 'error'}
      title={status === 403 ? t('error.forbidden') : t('error.title')}
      subTitle={<span data-testid="error-message">{errorMessage(t, error)}</span>}
      extra={onRetry ? <Button onClick={onRetry}>{t('common.retry')}</Button> : undefined}
    />
  );
}

export function EmptyState({
  title,
  hint,
  action,
}: {
  title: string;
  hint?: string;
  action?: ReactNode;
}) {
  return (
    <Empty
      data-testid="empty-state"
      description={
        <>
          <div>{title}</div>
          {hint ? <div style={{ color: 'rgba(0,0,0,0.45)', marginTop: 4 }}>{hint}</div> : null}
        </>
      }
    >
      {action}
    </Empty>
  );
}
