import { Button, Popover, Space, Typography } from 'antd';
import { useRef, useState } from 'react';
import type { Shift } from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';
import { type CalendarEntry, MODE_COLOR } from './calendar-model';
import type { ShiftCancellation } from './CancelShiftModal';
import type { MoveStart } from './useWeekDrags';

/** An occurrence's details, and its actions: change the hours, cancel this session or the shift. */
function EntryDetails({
  e,
  orgName,
  onCancel,
  onEditTimes,
}: {
  e: CalendarEntry;
  orgName: Map<string, string>;
  onCancel: (c: ShiftCancellation) => void;
  onEditTimes: (s: Shift) => void;
}) {
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
        {t('rot.hosts')}：
        {e.shift.hostOrganizationIds.map((id) => orgName.get(id) ?? id).join('、')}
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
          <Button
            size="small"
            data-testid="cancel-occurrence"
            onClick={() => onCancel({ shift: e.shift, occurrence: e.occurrence })}
          >
            {t('rot.cancelOccurrence')}
          </Button>
        ) : null}
        <Button
          size="small"
          danger
          data-testid="cancel-shift"
          onClick={() => onCancel({ shift: e.shift, occurrence: null })}
        >
          {t('rot.cancelShift')}
        </Button>
      </Space>
    </div>
  );
}

/** An occurrence's block: click for its details and actions; in the week view, press and drag to move it. */
export function EntryBlock({
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
  onMoveStart?: (e: CalendarEntry, at: MoveStart) => () => boolean;
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
      content={
        <EntryDetails
          e={e}
          orgName={orgName}
          onCancel={closing(onCancel)}
          onEditTimes={closing(onEditTimes)}
        />
      }
      trigger="click"
    >
      <div
        data-testid="calendar-entry"
        data-date={e.date}
        onMouseDown={(ev) => {
          ev.stopPropagation();
          // The day column's width turns a sideways drag into days.
          const dayWidth = ev.currentTarget.parentElement?.getBoundingClientRect().width ?? 0;
          if (onMoveStart && ev.button === 0)
            moved.current = onMoveStart(e, { x: ev.clientX, y: ev.clientY, dayWidth });
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
        <div
          style={{
            whiteSpace: 'nowrap',
            overflow: 'hidden',
            textOverflow: 'ellipsis',
            opacity: 0.9,
          }}
        >
          {t(`rot.mode.${e.shift.mode}`)} ·{' '}
          {full ? t('rot.full') : t('rot.free', { n: e.occurrence.seats - e.occurrence.booked })}
        </div>
      </div>
    </Popover>
  );
}
