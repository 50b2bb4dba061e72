import { Button, Card, Popover, Segmented, Space, Spin, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useRef, useState } from 'react';
import { schedulingApi, type Occurrence, type Shift } from '../api/scheduling';
import type { Organization } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { ErrorState } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';
import { CancelShiftModal, type ShiftCancellation } from './CancelShiftModal';
import { EditShiftTimesModal } from './EditShiftTimesModal';
import type { ShiftDraft } from './ShiftFormModal';

export interface CalendarEntry {
  shift: Shift;
  occurrence: Occurrence;
  /** Local date and minutes since midnight (shift's zone). */
  date: string;
  startMin: number;
  endMin: number;
}

const FIRST_HOUR = 7;
const LAST_HOUR = 21;
const HOUR_PX = 36;
const MODE_COLOR = { remote_block: '#1f6feb', on_site_visit: '#d46b08' } as const;

const minutesOf = (local: string) => Number(local.slice(11, 13)) * 60 + Number(local.slice(14, 16));
const mondayOf = (d: Dayjs) => d.subtract((d.day() + 6) % 7, 'day').startOf('day');
/** Minutes since midnight as HH:MM. */
const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const hh = (h: number) => clock(h * 60);

function EntryDetails({ e, orgName, onCancel, onEditTimes }: { e: CalendarEntry; orgName: Map<string, string>; onCancel: (c: ShiftCancellation) => void; onEditTimes: (s: Shift) => void }) {
  const { t, lang } = useI18n();
  const terms = useDirectoryTerms();
  return (
    <div style={{ maxWidth: 320 }}>
      <div>
        <b>{e.shift.specialistName}</b> · {specialtyLabel(e.shift.specialty, terms, lang)}
      </div>
      <div>
        {e.occurrence.localStart.replace('T', ' ')} – {e.occurrence.localEnd.slice(11)}
      </div>
      <div>{t(`rot.mode.${e.shift.mode}`)}</div>
      <div>
        {t('rot.hosts')}：{e.shift.hostOrganizationIds.map((id) => orgName.get(id) ?? id).join('、')}
      </div>
      <div>{t('rot.seatsBooked', { booked: e.occurrence.booked, seats: e.occurrence.seats })}</div>
      {e.shift.rrule ? (
        <Typography.Text type="secondary" code>
          {e.shift.rrule}
        </Typography.Text>
      ) : null}
      <Space style={{ marginTop: 8 }} wrap>
        <Button size="small" data-testid="edit-times" onClick={() => onEditTimes(e.shift)}>
          {t('rot.editTimes')}
        </Button>
        {e.shift.rrule ? (
          <Button size="small" data-testid="cancel-occurrence" onClick={() => onCancel({ shift: e.shift, occurrence: e.occurrence })}>
            {t('rot.cancelOccurrence')}
          </Button>
        ) : null}
        <Button size="small" danger data-testid="cancel-shift" onClick={() => onCancel({ shift: e.shift, occurrence: null })}>
          {t('rot.cancelShift')}
        </Button>
      </Space>
    </div>
  );
}

function EntryBlock({
  e,
  orgName,
  style,
  onCancel,
  onEditTimes,
  onMoveStart,
}: {
  e: CalendarEntry;
  orgName: Map<string, string>;
  style?: React.CSSProperties;
  onCancel: (c: ShiftCancellation) => void;
  onEditTimes: (s: Shift) => void;
  /** Week view: a press that may become a drag to other hours (or day); returns whether the press ended as a move. */
  onMoveStart?: (e: CalendarEntry, at: { x: number; y: number; dayWidth: number }) => () => boolean;
}) {
  const { t } = useI18n();
  const full = e.occurrence.booked >= e.occurrence.seats;
  // The details close when one of their actions opens its dialog (they would cover it).
  const [open, setOpen] = useState(false);
  // Set on press: says, when the click comes, whether the press was a move (no details then).
  const moved = useRef<(() => boolean) | null>(null);
  const closing =
    <T,>(action: (x: T) => void) =>
    (x: T) => {
      setOpen(false);
      action(x);
    };
  return (
    <Popover
      open={open}
      onOpenChange={(next) => {
        if (next && moved.current?.()) return;
        setOpen(next);
      }}
      content={<EntryDetails e={e} orgName={orgName} onCancel={closing(onCancel)} onEditTimes={closing(onEditTimes)} />}
      trigger="click"
    >
      <div
        data-testid="calendar-entry"
        data-date={e.date}
        onMouseDown={(ev) => {
          ev.stopPropagation();
          // The day column's width turns a sideways drag into days.
          const dayWidth = ev.currentTarget.parentElement?.getBoundingClientRect().width ?? 0;
          if (onMoveStart && ev.button === 0) moved.current = onMoveStart(e, { x: ev.clientX, y: ev.clientY, dayWidth });
        }}
        style={{
          background: MODE_COLOR[e.shift.mode],
          opacity: e.occurrence.status === 'scheduled' ? 1 : 0.4,
          color: '#fff',
          borderRadius: 4,
          padding: '2px 4px',
          fontSize: 12,
          lineHeight: '16px',
          overflow: 'hidden',
          cursor: onMoveStart ? 'grab' : 'pointer',
          ...style,
        }}
      >
        <div style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>
          {e.occurrence.localStart.slice(11)} {e.shift.specialistName}
        </div>
        <div style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', opacity: 0.9 }}>
          {t(`rot.mode.${e.shift.mode}`)} · {full ? t('rot.full') : t('rot.free', { n: e.occurrence.seats - e.occurrence.booked })}
        </div>
      </div>
    </Popover>
  );
}

/** Week (time grid; drag over empty hours to create) and month views of the hub's rotation shifts. */
export function RotationCalendar({ organizations, reloadKey, onCreate }: { organizations: Organization[]; reloadKey: number; onCreate: (d: ShiftDraft) => void }) {
  const { t } = useI18n();
  const [view, setView] = useState<'week' | 'month'>('week');
  const [anchor, setAnchor] = useState(() => dayjs());
  const orgName = useMemo(() => new Map(organizations.map((o) => [o.id, o.name])), [organizations]);
  const [cancelling, setCancelling] = useState<ShiftCancellation | null>(null);
  // The shift whose hours are being changed, and the hours a drag proposed for it.
  const [editing, setEditing] = useState<{ shift: Shift; proposed?: { date?: string; start: string; end: string } } | null>(null);
  const [first, last] = useMemo(() => {
    if (view === 'week') {
      const m = mondayOf(anchor);
      return [m, m.add(7, 'day')];
    }
    const m = mondayOf(anchor.startOf('month'));
    return [m, mondayOf(anchor.endOf('month')).add(7, 'day')];
  }, [view, anchor]);
  // A day of margin each side: occurrences are placed by their local (Asia/Shanghai) date, not the browser's.
  const shifts = useApiData(() => schedulingApi.listShifts({ from: first.subtract(1, 'day').toISOString(), to: last.add(1, 'day').toISOString() }), [first.valueOf(), last.valueOf(), reloadKey]);
  const editTimes = (shift: Shift) => setEditing({ shift });
  /** A shift dialog saved: close it and show the calendar as it now stands. */
  const changed = () => {
    setEditing(null);
    setCancelling(null);
    shifts.reload();
  };
  const entries = useMemo(() => {
    const out: CalendarEntry[] = [];
    const from = first.format('YYYY-MM-DD');
    const to = last.format('YYYY-MM-DD');
    for (const s of shifts.data?.items ?? []) {
      for (const o of s.occurrences) {
        const date = o.localStart.slice(0, 10);
        if (date < from || date >= to || o.status === 'cancelled') continue;
        const startMin = minutesOf(o.localStart);
        const endMin = o.localEnd.slice(0, 10) === date ? minutesOf(o.localEnd) : 24 * 60;
        out.push({ shift: s, occurrence: o, date, startMin, endMin });
      }
    }
    return out.sort((a, b) => a.date.localeCompare(b.date) || a.startMin - b.startMin);
  }, [shifts.data, first, last]);
  const days = useMemo(() => Array.from({ length: last.diff(first, 'day') }, (_, i) => first.add(i, 'day')), [first, last]);

  // Drag across the hours of one day to propose a new shift for that span.
  const drag = useRef<{ day: string; from: number } | null>(null);
  const [selection, setSelection] = useState<{ day: string; from: number; to: number } | null>(null);
  const endDrag = () => {
    if (!selection) return;
    const { day, from, to } = selection;
    drag.current = null;
    setSelection(null);
    onCreate({ date: dayjs(day), startTime: hh(Math.min(from, to)), endTime: hh(Math.max(from, to) + 1) });
  };

  // Drag a shift's block up or down (week view) to propose other hours for every session, and a
  // one-off shift sideways to another day of the week: the hours dialog opens with them, and the
  // change goes through it (bookings question included). A recurring shift keeps its days.
  const [moving, setMoving] = useState<{ shiftId: string; offset: number; days: number } | null>(null);
  const startMove = (e: CalendarEntry, at: { x: number; y: number; dayWidth: number }) => {
    let offset = 0;
    let dayShift = 0;
    const limit = { up: FIRST_HOUR * 60 - e.startMin, down: LAST_HOUR * 60 - e.endMin };
    const column = days.findIndex((d) => d.format('YYYY-MM-DD') === e.date);
    const sideways = !e.shift.rrule && at.dayWidth > 0 && column >= 0;
    const onMove = (ev: MouseEvent) => {
      const minutes = Math.round((((ev.clientY - at.y) / HOUR_PX) * 60) / 15) * 15;
      offset = Math.max(limit.up, Math.min(limit.down, minutes));
      if (sideways) dayShift = Math.max(-column, Math.min(days.length - 1 - column, Math.round((ev.clientX - at.x) / at.dayWidth)));
      setMoving({ shiftId: e.shift.id, offset, days: dayShift });
    };
    const onUp = () => {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
      setMoving(null);
      if (offset || dayShift) {
        setEditing({
          shift: e.shift,
          proposed: {
            ...(dayShift ? { date: dayjs(e.date).add(dayShift, 'day').format('YYYY-MM-DD') } : {}),
            start: clock(minutesOf(e.shift.start) + offset),
            end: clock(minutesOf(e.shift.end) + offset),
          },
        });
      }
    };
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp);
    return () => offset !== 0 || dayShift !== 0;
  };
  /** The day an entry shows on: a one-off shift being dragged sideways shows on the day it would move to. */
  const shownOn = (e: CalendarEntry) => (moving?.shiftId === e.shift.id && moving.days ? dayjs(e.date).add(moving.days, 'day').format('YYYY-MM-DD') : e.date);

  const title = view === 'week' ? `${first.format('YYYY-MM-DD')} ~ ${last.subtract(1, 'day').format('MM-DD')}` : anchor.format(t('rot.monthFormat'));
  const today = dayjs().format('YYYY-MM-DD');

  return (
    <Card
      data-testid="rotation-calendar"
      title={
        <Space wrap>
          <Button onClick={() => setAnchor(anchor.subtract(1, view))} data-testid="cal-prev">
            {view === 'week' ? t('rot.prevWeek') : t('rot.prevMonth')}
          </Button>
          <Button onClick={() => setAnchor(dayjs())}>{t('rot.today')}</Button>
          <Button onClick={() => setAnchor(anchor.add(1, view))} data-testid="cal-next">
            {view === 'week' ? t('rot.nextWeek') : t('rot.nextMonth')}
          </Button>
          <Typography.Text strong data-testid="cal-title">
            {title}
          </Typography.Text>
          {shifts.loading ? <Spin size="small" /> : null}
        </Space>
      }
      extra={
        <Space>
          <Tag color={MODE_COLOR.remote_block}>{t('rot.mode.remote_block')}</Tag>
          <Tag color={MODE_COLOR.on_site_visit}>{t('rot.mode.on_site_visit')}</Tag>
          <Segmented
            data-testid="cal-view"
            value={view}
            onChange={(v) => setView(v as 'week' | 'month')}
            options={[
              { value: 'week', label: t('rot.week') },
              { value: 'month', label: t('rot.month') },
            ]}
          />
        </Space>
      }
    >
      {shifts.error ? <ErrorState error={shifts.error} onRetry={shifts.reload} /> : null}
      {view === 'week' ? (
        <div style={{ display: 'grid', gridTemplateColumns: `48px repeat(7, minmax(0, 1fr))`, userSelect: 'none' }} onMouseLeave={() => (drag.current = null, setSelection(null))}>
          <div />
          {days.map((d) => (
            <div key={d.valueOf()} style={{ textAlign: 'center', padding: 4, fontWeight: d.format('YYYY-MM-DD') === today ? 700 : 400, color: d.format('YYYY-MM-DD') === today ? '#1f6feb' : undefined }}>
              {d.format('ddd M/D')}
            </div>
          ))}
          <div style={{ position: 'relative' }}>
            {Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) => (
              <div key={i} style={{ height: HOUR_PX, fontSize: 11, color: '#888', textAlign: 'right', paddingRight: 4 }}>
                {hh(FIRST_HOUR + i)}
              </div>
            ))}
          </div>
          {days.map((d) => {
            const key = d.format('YYYY-MM-DD');
            const mine = entries.filter((e) => shownOn(e) === key);
            return (
              <div key={key} data-testid="week-day" data-date={key} style={{ position: 'relative', borderInlineStart: '1px solid #f0f0f0' }} onMouseUp={endDrag}>
                {Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) => {
                  const hour = FIRST_HOUR + i;
                  const selected = selection && selection.day === key && hour >= Math.min(selection.from, selection.to) && hour <= Math.max(selection.from, selection.to);
                  return (
                    <div
                      key={hour}
                      data-testid="hour-cell"
                      data-hour={hour}
                      title={t('rot.dragHint')}
                      onMouseDown={() => {
                        drag.current = { day: key, from: hour };
                        setSelection({ day: key, from: hour, to: hour });
                      }}
                      onMouseEnter={() => drag.current && drag.current.day === key && setSelection({ day: key, from: drag.current.from, to: hour })}
                      style={{ height: HOUR_PX, borderTop: '1px solid #f0f0f0', background: selected ? 'rgba(31,111,235,0.15)' : undefined, cursor: 'crosshair' }}
                    />
                  );
                })}
                {mine.map((e) => {
                  // Every session of the shift being dragged moves with it.
                  const isMoving = moving?.shiftId === e.shift.id && (moving.offset !== 0 || moving.days !== 0);
                  const dragged = isMoving ? moving.offset : 0;
                  const top = Math.max(0, ((e.startMin + dragged - FIRST_HOUR * 60) / 60) * HOUR_PX);
                  const bottom = Math.min((LAST_HOUR - FIRST_HOUR) * HOUR_PX, ((e.endMin + dragged - FIRST_HOUR * 60) / 60) * HOUR_PX);
                  return (
                    <EntryBlock
                      key={e.occurrence.id}
                      e={e}
                      orgName={orgName}
                      style={{ position: 'absolute', top, height: Math.max(20, bottom - top), left: 2, right: 2, ...(isMoving ? { opacity: 0.7, boxShadow: '0 2px 8px rgba(0,0,0,0.3)', zIndex: 2 } : {}) }}
                      onCancel={setCancelling}
                      onEditTimes={editTimes}
                      onMoveStart={startMove}
                    />
                  );
                })}
              </div>
            );
          })}
        </div>
      ) : (
        <div style={{ display: 'grid', gridTemplateColumns: 'repeat(7, minmax(0, 1fr))', border: '1px solid #f0f0f0' }}>
          {days.slice(0, 7).map((d) => (
            <div key={d.valueOf()} style={{ textAlign: 'center', padding: 4, background: '#fafafa' }}>
              {d.format('ddd')}
            </div>
          ))}
          {days.map((d) => {
            const key = d.format('YYYY-MM-DD');
            const mine = entries.filter((e) => e.date === key);
            const inMonth = d.month() === anchor.month();
            return (
              <div
                key={key}
                data-testid="month-day"
                data-date={key}
                onDoubleClick={() => onCreate({ date: d, startTime: '09:00', endTime: '12:00' })}
                style={{ minHeight: 92, padding: 4, borderTop: '1px solid #f0f0f0', borderInlineStart: '1px solid #f0f0f0', background: inMonth ? undefined : '#fcfcfc', color: inMonth ? undefined : '#bbb' }}
              >
                <div style={{ fontWeight: key === today ? 700 : 400, color: key === today ? '#1f6feb' : undefined }}>{d.date()}</div>
                <div style={{ display: 'grid', gap: 2 }}>
                  {mine.slice(0, 3).map((e) => (
                    <EntryBlock key={e.occurrence.id} e={e} orgName={orgName} onCancel={setCancelling} onEditTimes={editTimes} />
                  ))}
                  {mine.length > 3 ? <Typography.Text type="secondary">{t('rot.more', { n: mine.length - 3 })}</Typography.Text> : null}
                </div>
              </div>
            );
          })}
        </div>
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        {view === 'week' ? t('rot.dragHint') : t('rot.dblClickHint')} · {t('rot.entriesShown', { n: entries.length })}
      </Typography.Paragraph>
      <EditShiftTimesModal shift={editing?.shift ?? null} proposed={editing?.proposed} onClose={() => setEditing(null)} onSaved={changed} />
      <CancelShiftModal target={cancelling} onClose={() => setCancelling(null)} onCancelled={changed} />
    </Card>
  );
}
