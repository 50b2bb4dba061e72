import { Alert, App, Form, Input, Modal, Select } from 'antd';
import type { ButtonProps } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useState } from 'react';
import { schedulingApi, type Booking } from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { useSubmit } from '../shell/useSubmit';
import { useApiData } from '../shell/useApiData';

const when = (b: Pick<Booking, 'localStart'>) => b.localStart.replace('T', ' ');

/** The reason a change needs (the specialist and the patient are told it), and what went wrong. */
function ReasonAndError({
  reason,
  onReason,
  error,
}: {
  reason: string;
  onReason: (r: string) => void;
  error: string | null;
}) {
  const { t } = useI18n();
  return (
    <>
      <Form.Item label={t('book.changeReason')} required>
        <Input.TextArea
          aria-label={t('book.changeReason')}
          rows={2}
          maxLength={500}
          value={reason}
          onChange={(e) => onReason(e.target.value)}
          placeholder={t('book.changeReasonPlaceholder')}
        />
      </Form.Item>
      {error ? (
        <Alert type="error" showIcon title={error} data-testid="booking-change-error" />
      ) : null}
    </>
  );
}

/**
 * Moves a booked appointment to another free slot of the same specialty (or, when the request is
 * not at hand, of the same specialist), with the reason the specialist and the patient are told.
 */
export function RescheduleBookingModal({
  booking,
  specialty,
  onClose,
  onDone,
}: {
  booking: Booking | null;
  specialty?: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [slotId, setSlotId] = useState<string | undefined>();
  const [reason, setReason] = useState('');
  const { busy: saving, error, setError, run } = useSubmit();
  const slots = useApiData(
    () =>
      booking
        ? schedulingApi.searchSlots({
            ...(specialty ? { specialty } : { specialistId: booking.specialistId }),
            from: dayjs().toISOString(),
            to: dayjs().add(90, 'day').toISOString(),
          })
        : Promise.resolve(null),
    [booking?.id, specialty],
  );
  useEffect(() => {
    setSlotId(undefined);
    setReason('');
    setError(null);
  }, [booking?.id, setError]);

  const submit = async () => {
    if (!booking || !slotId || !reason.trim()) return;
    await run(async () => {
      const moved = await schedulingApi.reschedule(booking.id, slotId, reason.trim());
      message.success(t('book.rescheduled', { time: when(moved), name: moved.specialistName }));
      onDone();
    });
  };

  const options = (slots.data?.items ?? [])
    .filter((s) => s.id !== booking?.slotId)
    .map((s) => ({
      value: s.id,
      label: `${s.localStart.replace('T', ' ')} · ${s.specialistName} · ${t(`rot.mode.${s.mode}`)} · ${s.remaining}/${s.capacity}`,
    }));
  return (
    <Modal
      open={!!booking}
      title={t('book.rescheduleTitle')}
      okText={t('book.reschedule')}
      okButtonProps={
        { disabled: !slotId || !reason.trim(), 'data-testid': 'reschedule-ok' } as ButtonProps
      }
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
    >
      {booking ? (
        <Form layout="vertical" data-testid="reschedule-form">
          <p>
            {when(booking)} · {booking.specialistName}
          </p>
          <Form.Item label={t('book.newSlot')} required>
            <Select
              aria-label={t('book.newSlot')}
              data-testid="reschedule-slot"
              loading={slots.loading}
              value={slotId}
              onChange={setSlotId}
              options={options}
              placeholder={t('book.newSlotPlaceholder')}
              notFoundContent={t('book.noSlots')}
            />
          </Form.Item>
          <ReasonAndError reason={reason} onReason={setReason} error={error} />
        </Form>
      ) : null}
    </Modal>
  );
}

/** Cancels a booked appointment (the seat is freed), with the reason the specialist is told. */
export function CancelBookingModal({
  booking,
  onClose,
  onDone,
}: {
  booking: Booking | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [reason, setReason] = useState('');
  const { busy: saving, error, setError, run } = useSubmit();
  useEffect(() => {
    setReason('');
    setError(null);
  }, [booking?.id, setError]);

  const submit = async () => {
    if (!booking || !reason.trim()) return;
    await run(async () => {
      await schedulingApi.cancelBooking(booking.id, reason.trim());
      message.success(t('book.cancelled'));
      onDone();
    });
  };

  return (
    <Modal
      open={!!booking}
      title={booking ? t('book.cancelTitle', { time: when(booking) }) : ''}
      okText={t('book.cancel')}
      okButtonProps={
        { danger: true, disabled: !reason.trim(), 'data-testid': 'cancel-ok' } as ButtonProps
      }
      cancelText={t('book.keep')}
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
    >
      {booking ? (
        <Form layout="vertical" data-testid="cancel-form">
          <ReasonAndError reason={reason} onReason={setReason} error={error} />
        </Form>
      ) : null}
    </Modal>
  );
}
