import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Empty,
  Modal,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  schedulingApi,
  sentRequestsApi,
  SHIFT_MODES,
  type Booking,
  type ShiftMode,
  type Slot,
} from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { ErrorState, errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';
import { CancelBookingModal, RescheduleBookingModal } from './BookingChanges';

/**
 * Requests a slot can be booked for, by the server's rule (ConsultationSlotBookings): a live
 * request (an imaging read is answered by a report and takes no slot) that has been submitted
 * (a draft is sent first) and is not closed. Offering others only led to a refusal at confirmation.
 */
const BOOKABLE = new Set(['submitted', 'claimed', 'scheduled']);
const bookable = (r: { status: string; mode: string }) =>
  r.mode !== 'imaging_read' && BOOKABLE.has(r.status);

function newKey(): string {
  return (
    globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`
  );
}

/** The township doctor finds a free slot in the specialists' rotations and books it for a consultation request. */
export function BookingPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const terms = useDirectoryTerms();
  const [params, setParams] = useSearchParams();
  const requestId = params.get('consultation') ?? undefined;
  const requests = useApiData(() => sentRequestsApi.list(), []);
  const request = requests.data?.items.find((r) => r.id === requestId);
  const [specialty, setSpecialty] = useState<string | undefined>();
  const [mode, setMode] = useState<ShiftMode | undefined>();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().startOf('day'),
    dayjs().add(28, 'day').endOf('day'),
  ]);
  const [booking, setBooking] = useState<Slot | null>(null);
  const [saving, setSaving] = useState(false);
  const [bookError, setBookError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [moving, setMoving] = useState<Booking | null>(null);
  const [cancelling, setCancelling] = useState<Booking | null>(null);
  const changed = () => {
    setMoving(null);
    setCancelling(null);
    setTick((n) => n + 1);
  };
  // One key per (slot, request) intent: a retried click after a lost answer returns the first booking.
  const keys = useRef(new Map<string, string>());

  useEffect(() => {
    if (request) setSpecialty(request.specialty);
  }, [request]);

  const slots = useApiData(
    () =>
      schedulingApi.searchSlots({
        specialty,
        mode,
        from: range[0].toISOString(),
        to: range[1].toISOString(),
      }),
    [specialty, mode, range[0].valueOf(), range[1].valueOf(), tick],
  );
  const mine = useApiData(
    () =>
      schedulingApi.calendar({
        from: dayjs().subtract(7, 'day').toISOString(),
        to: dayjs().add(120, 'day').toISOString(),
      }),
    [tick],
  );

  const requestOptions = (requests.data?.items ?? []).filter(bookable).map((r) => ({
    value: r.id,
    label: `${r.patient.name} · ${specialtyLabel(r.specialty, terms, lang) ?? ''} · ${dayjs(r.createdAt).format('MM-DD HH:mm')}`,
  }));
  const specialtyOptions = Object.keys(terms?.specialties ?? {}).map((value) => ({
    value,
    label: specialtyLabel(value, terms, lang) ?? value,
  }));
  const byRequest = useMemo(
    () => new Map((requests.data?.items ?? []).map((r) => [r.id, r])),
    [requests.data],
  );

  const confirm = async () => {
    if (!booking || !requestId) return;
    const intent = `${booking.id}|${requestId}`;
    if (!keys.current.has(intent)) keys.current.set(intent, newKey());
    setSaving(true);
    setBookError(null);
    try {
      const b = await schedulingApi.book(booking.id, requestId, keys.current.get(intent)!);
      message.success(
        t('book.done', { time: b.localStart.replace('T', ' '), name: b.specialistName }),
      );
      setBooking(null);
      setTick((n) => n + 1);
    } catch (e) {
      setBookError(errorMessage(t, e));
      setTick((n) => n + 1);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('book.title')}
      </Typography.Title>
      <Card size="small">
        <Space wrap>
          <span>{t('book.request')}</span>
          <Select
            data-testid="booking-request"
            aria-label={t('book.request')}
            style={{ width: 380 }}
            placeholder={t('book.requestPlaceholder')}
            value={requestId}
            loading={requests.loading}
            showSearch={{ optionFilterProp: 'label' }}
            options={requestOptions}
            onChange={(v) => setParams(v ? { consultation: v } : {})}
            notFoundContent={t('book.noRequests')}
          />
          <Typography.Text type="secondary" data-testid="booking-request-rule">
            {t('book.onlyBookable')}
          </Typography.Text>
          <span>{t('book.specialty')}</span>
          <Select
            aria-label={t('book.specialty')}
            allowClear
            style={{ width: 150 }}
            value={specialty}
            onChange={setSpecialty}
            options={specialtyOptions}
            showSearch={{ optionFilterProp: 'label' }}
            placeholder={t('book.anySpecialty')}
          />
          <Select
            aria-label={t('book.mode')}
            allowClear
            style={{ width: 130 }}
            value={mode}
            onChange={setMode}
            options={SHIFT_MODES.map((m) => ({ value: m, label: t(`rot.mode.${m}`) }))}
            placeholder={t('book.anyMode')}
          />
          <DatePicker.RangePicker
            value={range}
            allowClear={false}
            onChange={(v) => v?.[0] && v[1] && setRange([v[0].startOf('day'), v[1].endOf('day')])}
          />
        </Space>
        {!requestId ? (
          <Alert
            style={{ marginTop: 12 }}
            type="info"
            showIcon
            title={t('book.pickRequestFirst')}
          />
        ) : null}
      </Card>

      <Card
        size="small"
        title={t('book.freeSlots', { n: slots.data?.total ?? 0 })}
        data-testid="slot-results"
      >
        {slots.error ? (
          <ErrorState error={slots.error} onRetry={slots.reload} />
        ) : (
          <Table<Slot>
            size="small"
            rowKey="id"
            loading={slots.loading}
            dataSource={slots.data?.items ?? []}
            pagination={{ pageSize: 10, showSizeChanger: false }}
            locale={{ emptyText: <Empty description={t('book.noSlots')} /> }}
            columns={[
              {
                title: t('book.date'),
                render: (_, s) =>
                  `${s.localStart.slice(0, 10)} ${dayjs(s.localStart).format('ddd')}`,
              },
              {
                title: t('book.time'),
                render: (_, s) =>
                  `${s.localStart.slice(11)}–${dayjs(s.localStart)
                    .add(dayjs(s.end).diff(dayjs(s.start), 'minute'), 'minute')
                    .format('HH:mm')}`,
              },
              { title: t('rot.specialist'), dataIndex: 'specialistName' },
              {
                title: t('book.specialty'),
                render: (_, s) => specialtyLabel(s.specialty, terms, lang),
              },
              {
                title: t('book.mode'),
                render: (_, s) => (
                  <Tag color={s.mode === 'remote_block' ? 'blue' : 'orange'}>
                    {t(`rot.mode.${s.mode}`)}
                  </Tag>
                ),
              },
              { title: t('book.remaining'), render: (_, s) => `${s.remaining}/${s.capacity}` },
              {
                title: t('common.actions'),
                render: (_, s) => (
                  <Button
                    size="small"
                    type="primary"
                    data-testid="book-slot"
                    disabled={!requestId}
                    onClick={() => (setBookError(null), setBooking(s))}
                  >
                    {t('book.book')}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </Card>

      <Card size="small" title={t('book.mine')} data-testid="my-bookings">
        {mine.error ? (
          <ErrorState error={mine.error} onRetry={mine.reload} />
        ) : (
          <Table<Booking>
            size="small"
            rowKey="id"
            loading={mine.loading}
            dataSource={mine.data?.bookings ?? []}
            pagination={false}
            locale={{ emptyText: t('book.noBookings') }}
            columns={[
              { title: t('book.when'), render: (_, b) => b.localStart.replace('T', ' ') },
              { title: t('rot.specialist'), dataIndex: 'specialistName' },
              {
                title: t('book.patient'),
                render: (_, b) =>
                  byRequest.get(b.consultationRequestId)?.patient.name ?? t('common.none'),
              },
              { title: t('book.mode'), render: (_, b) => t(`rot.mode.${b.mode}`) },
              {
                title: t('book.status'),
                render: (_, b) => (
                  <Tag color={b.status === 'booked' ? 'green' : 'default'}>
                    {t(`book.status.${b.status}`)}
                  </Tag>
                ),
              },
              {
                title: t('common.actions'),
                // Only an appointment still ahead can be moved or cancelled (the server says so too).
                render: (_, b) =>
                  b.status === 'booked' && dayjs(b.start).isAfter(dayjs()) ? (
                    <Space size={4}>
                      <Button
                        size="small"
                        data-testid="reschedule-booking"
                        onClick={() => setMoving(b)}
                      >
                        {t('book.reschedule')}
                      </Button>
                      <Button
                        size="small"
                        danger
                        data-testid="cancel-booking"
                        onClick={() => setCancelling(b)}
                      >
                        {t('book.cancel')}
                      </Button>
                    </Space>
                  ) : null,
              },
            ]}
          />
        )}
      </Card>

      <RescheduleBookingModal
        booking={moving}
        specialty={moving ? byRequest.get(moving.consultationRequestId)?.specialty : undefined}
        onClose={() => setMoving(null)}
        onDone={changed}
      />
      <CancelBookingModal
        booking={cancelling}
        onClose={() => setCancelling(null)}
        onDone={changed}
      />

      <Modal
        open={!!booking}
        title={t('book.confirmTitle')}
        okText={t('book.confirm')}
        confirmLoading={saving}
        onOk={() => void confirm()}
        onCancel={() => setBooking(null)}
      >
        {booking ? (
          <div data-testid="booking-confirm">
            <p>
              {t('book.confirmBody', {
                time: booking.localStart.replace('T', ' '),
                name: booking.specialistName,
                mode: t(`rot.mode.${booking.mode}`),
              })}
            </p>
            {request ? <p>{t('book.forPatient', { name: request.patient.name })}</p> : null}
            {bookError ? (
              <Alert type="error" showIcon title={bookError} data-testid="booking-error" />
            ) : null}
          </div>
        ) : null}
      </Modal>
    </div>
  );
}
