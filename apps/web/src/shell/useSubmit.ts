import { useCallback, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from './States';

/**
 * A dialog's submit: `run(work)` marks it busy, and a failure becomes the message the dialog
 * shows (the dialog stays open, nothing typed is lost).
 */
export function useSubmit() {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (work: () => Promise<void>) => {
      setBusy(true);
      setError(null);
      try {
        await work();
      } catch (e) {
        setError(errorMessage(t, e));
      } finally {
        setBusy(false);
      }
    },
    [t],
  );
  return { busy, error, setError, run };
}
