import { Button, Empty, Result } from 'antd';
import type { ReactNode } from 'react';
import { errorText } from '../api/error-text';
import { ApiError } from '../api/http';
import { useI18n, type Translate } from '../i18n/I18nProvider';

/** A failure in the user's language (api/error-text.ts), never the server's English. */
export function errorMessage(t: Translate, error: unknown): string {
  return errorText(t, error);
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
