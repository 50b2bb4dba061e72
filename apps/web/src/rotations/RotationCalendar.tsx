import { Button, Card, Segmented, Space, Spin, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { schedulingApi, type Shift } from '../api/scheduling';
import type { Organization } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { ErrorState } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { type CalendarView, entriesOf, MODE_COLOR } from './calendar-model';
import { CancelShiftModal, type ShiftCancellation } from './CancelShiftModal';
import { EditShiftTimesModal } from './EditShiftTimesModal';
import { type EntryActions, MonthView } from './MonthView';
import type { ShiftDraft } from './ShiftFormModal';
import { type CalendarRange, useCalendarRange } from './useCalendarRange';
import { type ProposedTimes, useHourSelection, useShiftMove } from './useWeekDrags';
import { WeekView } from './WeekView';

export type { CalendarEntry } from './calendar-model';

/** Week (time grid; drag over empty hours to create) and month views of the hub's rotation shifts. */
export function RotationCalendar({
  organizations,
  reloadKey,
  onCreate,
}: {
  organizations: Organization[];
  reloadKey: number;
  onCreate: (d: ShiftDraft) => void;
}) {
  const { t } = useI18n();
  const range = useCalendarRange();
  const { view, first, last, days } = range;
  const orgName = useMemo(() => new Map(organizations.map((o) => [o.id, o.name])), [organizations]);
  const [cancelling, setCancelling] = useState<ShiftCancellation | null>(null);
  // The shift whose hours are being changed, and the hours a drag proposed for it.
  const [editing, setEditing] = useState<{ shift: Shift; proposed?: ProposedTimes } | null>(null);
  // A day of margin each side: occurrences are placed by their local (Asia/Shanghai) date, not the browser's.
  const shifts = useApiData(
    () =>
      schedulingApi.listShifts({
        from: first.subtract(1, 'day').toISOString(),
        to: last.add(1, 'day').toISOString(),
      }),
    [first.valueOf(), last.valueOf(), reloadKey],
  );
  /** A shift dialog saved: close it and show the calendar as it now stands. */
  const changed = () => {
    setEditing(null);
    setCancelling(null);
    shifts.reload();
  };
  const entries = useMemo(
    () => entriesOf(shifts.data?.items ?? [], first, last),
    [shifts.data, first, last],
  );
  const selection = useHourSelection(onCreate);
  const move = useShiftMove(days, (shift, proposed) => setEditing({ shift, proposed }));
  const actions: EntryActions = {
    orgName,
    onCancel: setCancelling,
    onEditTimes: (shift) => setEditing({ shift }),
  };
  const today = dayjs().format('YYYY-MM-DD');

  return (
    <Card
      data-testid="rotation-calendar"
      title={<CalendarNavigation range={range} loading={shifts.loading} />}
      extra={<CalendarViewSwitch view={view} onChange={range.setView} />}
    >
      {shifts.error ? <ErrorState error={shifts.error} onRetry={shifts.reload} /> : null}
      {view === 'week' ? (
        <WeekView
          days={days}
          entries={entries}
          today={today}
          selection={selection}
          move={move}
          actions={actions}
        />
      ) : (
        <MonthView
          days={days}
          month={range.anchor.month()}
          entries={entries}
          today={today}
          onCreate={onCreate}
          actions={actions}
        />
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        {view === 'week' ? t('rot.dragHint') : t('rot.dblClickHint')} ·{' '}
        {t('rot.entriesShown', { n: entries.length })}
      </Typography.Paragraph>
      <EditShiftTimesModal
        shift={editing?.shift ?? null}
        proposed={editing?.proposed}
        onClose={() => setEditing(null)}
        onSaved={changed}
      />
      <CancelShiftModal
        target={cancelling}
        onClose={() => setCancelling(null)}
        onCancelled={changed}
      />
    </Card>
  );
}

/** Previous, today, next, and what the calendar shows. */
function CalendarNavigation({ range, loading }: { range: CalendarRange; loading: boolean }) {
  const { t } = useI18n();
  const week = range.view === 'week';
  return (
    <Space wrap>
      <Button onClick={range.previous} data-testid="cal-prev">
        {week ? t('rot.prevWeek') : t('rot.prevMonth')}
      </Button>
      <Button onClick={range.today}>{t('rot.today')}</Button>
      <Button onClick={range.next} data-testid="cal-next">
        {week ? t('rot.nextWeek') : t('rot.nextMonth')}
      </Button>
      <Typography.Text strong data-testid="cal-title">
        {range.title}
      </Typography.Text>
      {loading ? <Spin size="small" /> : null}
    </Space>
  );
}

/** The modes' colours, and week or month. */
function CalendarViewSwitch({
  view,
  onChange,
}: {
  view: CalendarView;
  onChange: (v: CalendarView) => void;
}) {
  const { t } = useI18n();
  return (
    <Space>
      <Tag color={MODE_COLOR.remote_block}>{t('rot.mode.remote_block')}</Tag>
      <Tag color={MODE_COLOR.on_site_visit}>{t('rot.mode.on_site_visit')}</Tag>
      <Segmented
        data-testid="cal-view"
        value={view}
        onChange={(v) => onChange(v as CalendarView)}
        options={[
          { value: 'week', label: t('rot.week') },
          { value: 'month', label: t('rot.month') },
        ]}
      />
    </Space>
  );
}
