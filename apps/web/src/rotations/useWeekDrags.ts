/** The week view's two drags: over empty hours to propose a new shift, and a shift's block to other hours or day. */
import dayjs, { type Dayjs } from 'dayjs';
import { useRef, useState } from 'react';
import type { Shift } from '../api/scheduling';
import {
  type CalendarEntry,
  clock,
  dayKey,
  FIRST_HOUR,
  hh,
  HOUR_PX,
  LAST_HOUR,
  minutesOf,
} from './calendar-model';
import type { ShiftDraft } from './ShiftFormModal';

export interface HourSelection {
  day: string;
  from: number;
  to: number;
}

/** Drag across the hours of one day to propose a new shift for that span. */
export function useHourSelection(onCreate: (d: ShiftDraft) => void) {
  const drag = useRef<{ day: string; from: number } | null>(null);
  const [selection, setSelection] = useState<HourSelection | null>(null);
  return {
    selection,
    start: (day: string, hour: number) => {
      drag.current = { day, from: hour };
      setSelection({ day, from: hour, to: hour });
    },
    extend: (day: string, hour: number) => {
      if (drag.current && drag.current.day === day) {
        setSelection({ day, from: drag.current.from, to: hour });
      }
    },
    end: () => {
      if (!selection) return;
      const { day, from, to } = selection;
      drag.current = null;
      setSelection(null);
      onCreate({
        date: dayjs(day),
        startTime: hh(Math.min(from, to)),
        endTime: hh(Math.max(from, to) + 1),
      });
    },
    cancel: () => {
      drag.current = null;
      setSelection(null);
    },
  };
}

export type HourSelectionDrag = ReturnType<typeof useHourSelection>;

/** Hours (and, for a one-off shift, a day) a drag proposed for a shift. */
export interface ProposedTimes {
  date?: string;
  start: string;
  end: string;
}

export interface ShiftMove {
  shiftId: string;
  /** Minutes up (negative) or down, in quarter hours. */
  offset: number;
  days: number;
}

/** Where the press started, and the width of a day column (turns a sideways drag into days). */
export interface MoveStart {
  x: number;
  y: number;
  dayWidth: number;
}

/**
 * Drag a shift's block up or down (week view) to propose other hours for every session, and a
 * one-off shift sideways to another day of the week: the hours dialog opens with them
 * (`onProposed`), and the change goes through it (bookings question included). A recurring
 * shift keeps its days.
 */
export function useShiftMove(
  days: Dayjs[],
  onProposed: (shift: Shift, proposed: ProposedTimes) => void,
) {
  const [moving, setMoving] = useState<ShiftMove | null>(null);
  /** Starts following the mouse; returns whether the press ended as a move. */
  const startMove = (e: CalendarEntry, at: MoveStart) => {
    let offset = 0;
    let dayShift = 0;
    const limit = { up: FIRST_HOUR * 60 - e.startMin, down: LAST_HOUR * 60 - e.endMin };
    const column = days.findIndex((d) => dayKey(d) === e.date);
    const sideways = !e.shift.rrule && at.dayWidth > 0 && column >= 0;
    const onMove = (ev: MouseEvent) => {
      const minutes = Math.round((((ev.clientY - at.y) / HOUR_PX) * 60) / 15) * 15;
      offset = Math.max(limit.up, Math.min(limit.down, minutes));
      if (sideways) {
        const byDays = Math.round((ev.clientX - at.x) / at.dayWidth);
        dayShift = Math.max(-column, Math.min(days.length - 1 - column, byDays));
      }
      setMoving({ shiftId: e.shift.id, offset, days: dayShift });
    };
    const onUp = () => {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
      setMoving(null);
      if (offset || dayShift) {
        onProposed(e.shift, {
          ...(dayShift ? { date: dayjs(e.date).add(dayShift, 'day').format('YYYY-MM-DD') } : {}),
          start: clock(minutesOf(e.shift.start) + offset),
          end: clock(minutesOf(e.shift.end) + offset),
        });
      }
    };
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp);
    return () => offset !== 0 || dayShift !== 0;
  };
  /** The day an entry shows on: a one-off shift being dragged sideways shows on the day it would move to. */
  const shownOn = (e: CalendarEntry) =>
    moving?.shiftId === e.shift.id && moving.days
      ? dayjs(e.date).add(moving.days, 'day').format('YYYY-MM-DD')
      : e.date;
  return { moving, startMove, shownOn };
}

export type ShiftMoveDrag = ReturnType<typeof useShiftMove>;
