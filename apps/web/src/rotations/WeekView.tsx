import type { Dayjs } from 'dayjs';
import { useI18n } from '../i18n/I18nProvider';
import { type CalendarEntry, dayKey, FIRST_HOUR, hh, HOUR_PX, LAST_HOUR } from './calendar-model';
import { EntryBlock } from './CalendarEntryBlock';
import type { EntryActions } from './MonthView';
import type { HourSelectionDrag, ShiftMoveDrag } from './useWeekDrags';

const HOURS = Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) => FIRST_HOUR + i);

/** The week's time grid: hours down, days across; drag over empty hours to create, drag a block to move it. */
export function WeekView({
  days,
  entries,
  today,
  selection,
  move,
  actions,
}: {
  days: Dayjs[];
  entries: CalendarEntry[];
  today: string;
  selection: HourSelectionDrag;
  move: ShiftMoveDrag;
  actions: EntryActions;
}) {
  return (
    <div
      style={{
        display: 'grid',
        gridTemplateColumns: `48px repeat(7, minmax(0, 1fr))`,
        userSelect: 'none',
      }}
      onMouseLeave={selection.cancel}
    >
      <div />
      {days.map((d) => (
        <div
          key={d.valueOf()}
          style={{
            textAlign: 'center',
            padding: 4,
            fontWeight: dayKey(d) === today ? 700 : 400,
            color: dayKey(d) === today ? '#1f6feb' : undefined,
          }}
        >
          {d.format('ddd M/D')}
        </div>
      ))}
      <div style={{ position: 'relative' }}>
        {HOURS.map((hour) => (
          <div
            key={hour - FIRST_HOUR}
            style={{
              height: HOUR_PX,
              fontSize: 11,
              color: '#888',
              textAlign: 'right',
              paddingRight: 4,
            }}
          >
            {hh(hour)}
          </div>
        ))}
      </div>
      {days.map((d) => {
        const key = dayKey(d);
        return (
          <DayColumn
            key={key}
            day={key}
            entries={entries.filter((e) => move.shownOn(e) === key)}
            selection={selection}
            move={move}
            actions={actions}
          />
        );
      })}
    </div>
  );
}

function DayColumn({
  day,
  entries,
  selection,
  move,
  actions,
}: {
  day: string;
  entries: CalendarEntry[];
  selection: HourSelectionDrag;
  move: ShiftMoveDrag;
  actions: EntryActions;
}) {
  const { t } = useI18n();
  const s = selection.selection;
  const selected = (hour: number) =>
    !!s && s.day === day && hour >= Math.min(s.from, s.to) && hour <= Math.max(s.from, s.to);
  const { moving } = move;
  return (
    <div
      data-testid="week-day"
      data-date={day}
      style={{ position: 'relative', borderInlineStart: '1px solid #f0f0f0' }}
      onMouseUp={selection.end}
    >
      {HOURS.map((hour) => (
        <div
          key={hour}
          data-testid="hour-cell"
          data-hour={hour}
          title={t('rot.dragHint')}
          onMouseDown={() => selection.start(day, hour)}
          onMouseEnter={() => selection.extend(day, hour)}
          style={{
            height: HOUR_PX,
            borderTop: '1px solid #f0f0f0',
            background: selected(hour) ? 'rgba(31,111,235,0.15)' : undefined,
            cursor: 'crosshair',
          }}
        />
      ))}
      {entries.map((e) => {
        // Every session of the shift being dragged moves with it.
        const isMoving =
          moving?.shiftId === e.shift.id && (moving.offset !== 0 || moving.days !== 0);
        const dragged = isMoving ? moving.offset : 0;
        const top = Math.max(0, ((e.startMin + dragged - FIRST_HOUR * 60) / 60) * HOUR_PX);
        const bottom = Math.min(
          (LAST_HOUR - FIRST_HOUR) * HOUR_PX,
          ((e.endMin + dragged - FIRST_HOUR * 60) / 60) * HOUR_PX,
        );
        const lifted = isMoving
          ? { opacity: 0.7, boxShadow: '0 2px 8px rgba(0,0,0,0.3)', zIndex: 2 }
          : {};
        return (
          <EntryBlock
            key={e.occurrence.id}
            e={e}
            orgName={actions.orgName}
            style={{
              position: 'absolute',
              top,
              height: Math.max(20, bottom - top),
              left: 2,
              right: 2,
              ...lifted,
            }}
            onCancel={actions.onCancel}
            onEditTimes={actions.onEditTimes}
            onMoveStart={move.startMove}
          />
        );
      })}
    </div>
  );
}
