import { Alert, App, Form, Input, Modal, Radio, type ButtonProps } from 'antd';
import { useEffect } from 'react';
import { schedulingApi, type Occurrence, type Shift } from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { useSubmit } from '../shell/useSubmit';

/** A whole shift, or one occurrence of it (an EXDATE: the expert cannot come that day). */
export type ShiftCancellation = { shift: Shift; occurrence: Occurrence | null };

/**
 * The coordinator cancels a rotation shift, or one occurrence of it, when the expert cannot come.
 * Booked patients are either moved to another free slot of the same specialty or cancelled with
 * a notice to their township doctor; the choice is asked only when seats are booked.
 */
export function CancelShiftModal({
  target,
  onClose,
  onCancelled,
}: {
  target: ShiftCancellation | null;
  onClose: () => void;
  onCancelled: () => void;
}) {
  const shift = target?.shift ?? null;
  const occurrence = target?.occurrence ?? null;
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ reason: string; onBookings?: 'move' | 'cancel_with_notice' }>();
  const { busy, error, setError, run } = useSubmit();
  const booked = occurrence
    ? occurrence.booked
    : (shift?.occurrences ?? [])
        .filter((o) => o.status !== 'cancelled')
        .reduce((n, o) => n + o.booked, 0);
  useEffect(() => {
    form.resetFields();
    setError(null);
  }, [shift?.id, occurrence?.id, form, setError]);

  const submit = async () => {
    if (!shift) return;
    const v = await form.validateFields();
    await run(async () => {
      const change = { reason: v.reason.trim(), ...(booked ? { onBookings: v.onBookings } : {}) };
      const out = occurrence
        ? await schedulingApi.updateShift(shift.id, {
            exdates: [...shift.exdates, occurrence.localStart],
            ...change,
          })
        : await schedulingApi.cancelShift(shift.id, change);
      message.success(
        t(occurrence ? 'rot.occurrenceCancelled' : 'rot.shiftCancelled', {
          moved: out.bookings.moved.length,
          cancelled: out.bookings.cancelled.length,
        }),
      );
      onCancelled();
    });
  };

  return (
    <Modal
      open={!!shift}
      title={
        shift
          ? occurrence
            ? t('rot.cancelOccurrenceTitle', {
                name: shift.specialistName,
                when: occurrence.localStart.replace('T', ' '),
              })
            : t('rot.cancelShiftTitle', { name: shift.specialistName })
          : ''
      }
      okText={occurrence ? t('rot.cancelOccurrence') : t('rot.cancelShift')}
      okButtonProps={{ danger: true, 'data-testid': 'cancel-shift-ok' } as ButtonProps}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => void submit().catch(() => undefined)}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        data-testid="cancel-shift-form"
        initialValues={{ onBookings: 'move' }}
      >
        {booked ? <BookedPatientsChoice n={booked} /> : null}
        <ChangeReason />
        {error ? (
          <Alert type="error" showIcon title={error} data-testid="cancel-shift-error" />
        ) : null}
      </Form>
    </Modal>
  );
}

/** What happens to the patients booked in sessions a shift change removes (form field `onBookings`). */
export function BookedPatientsChoice({ n }: { n: number }) {
  const { t } = useI18n();
  return (
    <Form.Item
      name="onBookings"
      label={t('rot.bookedPatients', { n })}
      rules={[{ required: true }]}
    >
      <Radio.Group>
        <Radio value="move">{t('rot.onBookings.move')}</Radio>
        <Radio value="cancel_with_notice">{t('rot.onBookings.cancel_with_notice')}</Radio>
      </Radio.Group>
    </Form.Item>
  );
}

/** The reason a shift change gives the specialist and the township doctors (form field `reason`). */
export function ChangeReason() {
  const { t } = useI18n();
  return (
    <Form.Item
      name="reason"
      label={t('rot.cancelReason')}
      rules={[{ required: true, whitespace: true, message: t('rot.cancelReasonRequired') }]}
    >
      <Input.TextArea rows={2} maxLength={500} />
    </Form.Item>
  );
}
