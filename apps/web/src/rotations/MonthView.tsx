import { Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import type { Shift } from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { type CalendarEntry, dayKey } from './calendar-model';
import { EntryBlock } from './CalendarEntryBlock';
import type { ShiftCancellation } from './CancelShiftModal';
import type { ShiftDraft } from './ShiftFormModal';

/** What an entry's details offer, and the host names they show. */
export interface EntryActions {
  orgName: Map<string, string>;
  onCancel: (c: ShiftCancellation) => void;
  onEditTimes: (s: Shift) => void;
}

/** The whole weeks a month touches; double-click a day to create a shift on it. */
export function MonthView({
  days,
  month,
  entries,
  today,
  onCreate,
  actions,
}: {
  days: Dayjs[];
  /** The month shown (0-11): other months' days are greyed. */
  month: number;
  entries: CalendarEntry[];
  today: string;
  onCreate: (d: ShiftDraft) => void;
  actions: EntryActions;
}) {
  const { t } = useI18n();
  return (
    <div
      style={{
        display: 'grid',
        gridTemplateColumns: 'repeat(7, minmax(0, 1fr))',
        border: '1px solid #f0f0f0',
      }}
    >
      {days.slice(0, 7).map((d) => (
        <div key={d.valueOf()} style={{ textAlign: 'center', padding: 4, background: '#fafafa' }}>
          {d.format('ddd')}
        </div>
      ))}
      {days.map((d) => {
        const key = dayKey(d);
        const mine = entries.filter((e) => e.date === key);
        const inMonth = d.month() === month;
        return (
          <div
            key={key}
            data-testid="month-day"
            data-date={key}
            onDoubleClick={() => onCreate({ date: d, startTime: '09:00', endTime: '12:00' })}
            style={{
              minHeight: 92,
              padding: 4,
              borderTop: '1px solid #f0f0f0',
              borderInlineStart: '1px solid #f0f0f0',
              background: inMonth ? undefined : '#fcfcfc',
              color: inMonth ? undefined : '#bbb',
            }}
          >
            <div
              style={{
                fontWeight: key === today ? 700 : 400,
                color: key === today ? '#1f6feb' : undefined,
              }}
            >
              {d.date()}
            </div>
            <div style={{ display: 'grid', gap: 2 }}>
              {mine.slice(0, 3).map((e) => (
                <EntryBlock
                  key={e.occurrence.id}
                  e={e}
                  orgName={actions.orgName}
                  onCancel={actions.onCancel}
                  onEditTimes={actions.onEditTimes}
                />
              ))}
              {mine.length > 3 ? (
                <Typography.Text type="secondary">
                  {t('rot.more', { n: mine.length - 3 })}
                </Typography.Text>
              ) : null}
            </div>
          </div>
        );
      })}
    </div>
  );
}
