import { Button, Empty, Result } from 'antd';
import type { ReactNode } from 'react';
import { ApiError } from '../api/http';
import { useI18n, type Translate } from '../i18n/I18nProvider';

export function errorMessage(t: Translate, error: unknown): string {
  if (error instanceof ApiError) {
    if (error.isNetwork) return t('error.network');
    if (error.message) return error.message;
    if (error.status === 403) return t('error.forbidden');
    if (error.status === 404) return t('error.notFound');
  }
  return error instanceof Error && error.message ? error.message : t('error.unknown');
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
