import { Alert, Form, Modal, type FormInstance } from 'antd';
import { useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from './States';

/**
 * A create/edit dialog (the admin pages' forms): the form's fields (children) in one column, Save validates
 * them and calls `save`; while it runs the button spins, and a refusal from the server stays in
 * the dialog above the fields (in the user's language, the typed values kept) instead of closing
 * it. What `save` returns goes to `onSaved` (the saved row, a key shown once).
 */
export function FormModal<V extends object, R = void>({
  title,
  form,
  initialValues,
  save,
  onSaved,
  onCancel,
  width,
  submitTestId,
  children,
}: {
  title: string;
  form: FormInstance<V>;
  initialValues?: Partial<V>;
  save: (values: V) => Promise<R>;
  onSaved: (result: R) => void;
  onCancel: () => void;
  width?: number;
  submitTestId?: string;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    const values = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      onSaved(await save(values));
    } catch (e) {
      setError(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={title}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      // A rejected validation already marks the fields: nothing more to report.
      onOk={() => void submit().catch(() => undefined)}
      onCancel={onCancel}
      confirmLoading={busy}
      destroyOnHidden
      width={width}
      okButtonProps={submitTestId ? { 'data-testid': submitTestId } : undefined}
    >
      {error ? (
        <Alert
          type="error"
          showIcon
          title={<span data-testid="form-error">{error}</span>}
          style={{ marginBottom: 16 }}
        />
      ) : null}
      <Form form={form} layout="vertical" initialValues={initialValues}>
        {children}
      </Form>
    </Modal>
  );
}
