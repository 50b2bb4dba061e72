import { Alert, App, Form, Input, Modal, Radio, type ButtonProps } from 'antd';
import { useEffect } from 'react';
import { schedulingApi, type Shift } from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { useSubmit } from '../shell/useSubmit';

/**
 * The coordinator cancels a whole rotation shift (the expert cannot come). Booked patients are
 * either moved to another free slot of the same specialty or cancelled with a notice to their
 * township doctor; the choice is asked only when seats of the shift are booked.
 */
export function CancelShiftModal({ shift, onClose, onCancelled }: { shift: Shift | null; onClose: () => void; onCancelled: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ reason: string; onBookings?: 'move' | 'cancel_with_notice' }>();
  const { busy, error, setError, run } = useSubmit();
  const booked = (shift?.occurrences ?? []).filter((o) => o.status !== 'cancelled').reduce((n, o) => n + o.booked, 0);
  useEffect(() => {
    form.resetFields();
    setError(null);
  }, [shift?.id, form, setError]);

  const submit = async () => {
    if (!shift) return;
    const v = await form.validateFields();
    await run(async () => {
      const out = await schedulingApi.cancelShift(shift.id, { reason: v.reason.trim(), ...(booked ? { onBookings: v.onBookings } : {}) });
      message.success(t('rot.shiftCancelled', { moved: out.bookings.moved.length, cancelled: out.bookings.cancelled.length }));
      onCancelled();
    });
  };

  return (
    <Modal
      open={!!shift}
      title={shift ? t('rot.cancelShiftTitle', { name: shift.specialistName }) : ''}
      okText={t('rot.cancelShift')}
      okButtonProps={{ danger: true, 'data-testid': 'cancel-shift-ok' } as ButtonProps}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => void submit().catch(() => undefined)}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" data-testid="cancel-shift-form" initialValues={{ onBookings: 'move' }}>
        {booked ? (
          <Form.Item name="onBookings" label={t('rot.bookedPatients', { n: booked })} rules={[{ required: true }]}>
            <Radio.Group>
              <Radio value="move">{t('rot.onBookings.move')}</Radio>
              <Radio value="cancel_with_notice">{t('rot.onBookings.cancel_with_notice')}</Radio>
            </Radio.Group>
          </Form.Item>
        ) : null}
        <Form.Item name="reason" label={t('rot.cancelReason')} rules={[{ required: true, whitespace: true, message: t('rot.cancelReasonRequired') }]}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
        {error ? <Alert type="error" showIcon title={error} data-testid="cancel-shift-error" /> : null}
      </Form>
    </Modal>
  );
}
