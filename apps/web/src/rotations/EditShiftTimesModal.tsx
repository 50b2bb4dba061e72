import { Alert, App, DatePicker, Form, Modal, Select, Space, type ButtonProps } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { ToldError } from '../api/error-text';
import { ApiError } from '../api/http';
import { schedulingApi, type Shift } from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { useSubmit } from '../shell/useSubmit';
import { BookedPatientsChoice, ChangeReason } from './CancelShiftModal';
import { QUARTER_HOURS } from './ShiftFormModal';

/**
 * Moves every session of a shift to other hours (the expert will arrive later, say), and a
 * one-off shift to another day too (a recurring one keeps its days: that is its rule). When the
 * change would drop booked slots the server says how many; the coordinator then chooses what
 * happens to those patients and gives the reason they are told.
 */
export function EditShiftTimesModal({
  shift,
  proposed,
  onClose,
  onSaved,
}: {
  shift: Shift | null;
  /** Hours (and, for a one-off shift, the day) to start from instead of the shift's own: a block dragged in the calendar. */
  proposed?: { date?: string; start: string; end: string } | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{
    date?: Dayjs;
    start: string;
    end: string;
    onBookings?: 'move' | 'cancel_with_notice';
    reason?: string;
  }>();
  const oneOff = !!shift && !shift.rrule;
  const { busy, error, setError, run } = useSubmit();
  const [affected, setAffected] = useState(0);
  useEffect(() => {
    setAffected(0);
    setError(null);
    if (shift) {
      form.setFieldsValue({
        date: dayjs(proposed?.date ?? shift.start.slice(0, 10)),
        start: proposed?.start ?? shift.start.slice(11, 16),
        end: proposed?.end ?? shift.end.slice(11, 16),
        onBookings: 'move',
        reason: '',
      });
    }
  }, [shift, proposed, form, setError]);

  const submit = async () => {
    if (!shift) return;
    const v = await form.validateFields();
    const day = oneOff && v.date ? v.date.format('YYYY-MM-DD') : shift.start.slice(0, 10);
    await run(async () => {
      try {
        const out = await schedulingApi.updateShift(shift.id, {
          start: `${day}T${v.start}`,
          end: `${day}T${v.end}`,
          ...(affected ? { onBookings: v.onBookings, reason: v.reason?.trim() } : {}),
        });
        message.success(
          t('rot.timesChanged', {
            moved: out.bookings.moved.length,
            cancelled: out.bookings.cancelled.length,
          }),
        );
        onSaved();
      } catch (e) {
        const details =
          e instanceof ApiError
            ? (e.details as { code?: string; bookings?: unknown[] } | undefined)
            : undefined;
        if (details?.code !== 'bookings_affected') throw e;
        // Ask, then the same save again with the answer.
        setAffected(details.bookings?.length ?? 1);
        throw new ToldError(t('rot.bookingsAffected', { n: details.bookings?.length ?? 1 }));
      }
    });
  };

  const times = QUARTER_HOURS.map((x) => ({ value: x, label: x }));
  return (
    <Modal
      open={!!shift}
      title={
        shift
          ? t(oneOff ? 'rot.editOneOffTitle' : 'rot.editTimesTitle', { name: shift.specialistName })
          : ''
      }
      okText={t('common.save')}
      okButtonProps={{ 'data-testid': 'edit-times-ok' } as ButtonProps}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => void submit().catch(() => undefined)}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" data-testid="edit-times-form">
        <Space>
          {oneOff ? (
            <Form.Item name="date" label={t('rot.date')} rules={[{ required: true }]}>
              <DatePicker allowClear={false} data-testid="edit-times-date" />
            </Form.Item>
          ) : null}
          <Form.Item name="start" label={t('rot.startTime')} rules={[{ required: true }]}>
            <Select
              aria-label={t('rot.startTime')}
              showSearch
              style={{ width: 110 }}
              options={times}
            />
          </Form.Item>
          <Form.Item name="end" label={t('rot.endTime')} rules={[{ required: true }]}>
            <Select
              aria-label={t('rot.endTime')}
              showSearch
              style={{ width: 110 }}
              options={times}
            />
          </Form.Item>
        </Space>
        {affected ? (
          <>
            <BookedPatientsChoice n={affected} />
            <ChangeReason />
          </>
        ) : null}
        {error ? (
          <Alert
            type={affected ? 'warning' : 'error'}
            showIcon
            title={error}
            data-testid="edit-times-error"
          />
        ) : null}
      </Form>
    </Modal>
  );
}
