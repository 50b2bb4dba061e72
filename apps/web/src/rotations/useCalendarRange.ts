import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { type CalendarView, rangeOf } from './calendar-model';

/** Week or month, the day it shows, and moving back, forward and to today. */
export function useCalendarRange() {
  const { t } = useI18n();
  const [view, setView] = useState<CalendarView>('week');
  const [anchor, setAnchor] = useState(() => dayjs());
  const [first, last] = useMemo(() => rangeOf(view, anchor), [view, anchor]);
  const days = useMemo(
    () => Array.from({ length: last.diff(first, 'day') }, (_, i) => first.add(i, 'day')),
    [first, last],
  );
  const title =
    view === 'week'
      ? `${first.format('YYYY-MM-DD')} ~ ${last.subtract(1, 'day').format('MM-DD')}`
      : anchor.format(t('rot.monthFormat'));
  return {
    view,
    setView,
    anchor,
    first,
    last,
    days,
    title,
    previous: () => setAnchor(anchor.subtract(1, view)),
    next: () => setAnchor(anchor.add(1, view)),
    today: () => setAnchor(dayjs()),
  };
}

export type CalendarRange = ReturnType<typeof useCalendarRange>;
