/** The hub dashboard's figures: coverage summed per township and overall, and the two charts. */
import type { CoverageRow, UtilizationRow } from '../api/scheduling';
import type { Translate } from '../i18n/I18nProvider';
import type { ChartOption } from './Chart';

export interface TownshipCoverage {
  name: string;
  booked: number;
  free: number;
  waiting: number;
  shortfall: number;
}

/** Each township's seats and waiting requests over all specialties, the largest shortfall first. */
export function coverageByTownship(rows: CoverageRow[]): TownshipCoverage[] {
  const m = new Map<string, TownshipCoverage>();
  for (const r of rows) {
    const x = m.get(r.organizationId) ?? {
      name: r.organizationName,
      booked: 0,
      free: 0,
      waiting: 0,
      shortfall: 0,
    };
    x.booked += r.seatsBooked;
    x.free += r.seatsFree;
    x.waiting += r.requestsWaiting;
    x.shortfall += r.shortfall;
    m.set(r.organizationId, x);
  }
  return [...m.values()].sort(
    (a, b) => b.shortfall - a.shortfall || b.booked + b.free - (a.booked + a.free),
  );
}

export function coverageTotals(rows: CoverageRow[]) {
  return rows.reduce(
    (a, r) => ({
      seats: a.seats + r.seatsOffered,
      booked: a.booked + r.seatsBooked,
      waiting: a.waiting + r.requestsWaiting,
      shortfall: a.shortfall + r.shortfall,
    }),
    { seats: 0, booked: 0, waiting: 0, shortfall: 0 },
  );
}

/** Seats booked and free stacked per township, requests waiting as a line. */
export function coverageChart(byTown: TownshipCoverage[], t: Translate): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { data: [t('hub.seatsBooked'), t('hub.seatsFree'), t('hub.waiting')] },
    grid: { left: 48, right: 24, bottom: 80, top: 40 },
    xAxis: {
      type: 'category',
      data: byTown.map((x) => x.name),
      axisLabel: { rotate: 30, interval: 0, fontSize: 11 },
    },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      {
        name: t('hub.seatsBooked'),
        type: 'bar',
        stack: 'seats',
        data: byTown.map((x) => x.booked),
        itemStyle: { color: '#1f6feb' },
      },
      {
        name: t('hub.seatsFree'),
        type: 'bar',
        stack: 'seats',
        data: byTown.map((x) => x.free),
        itemStyle: { color: '#91caff' },
      },
      {
        name: t('hub.waiting'),
        type: 'line',
        data: byTown.map((x) => x.waiting),
        itemStyle: { color: '#d4380d' },
      },
    ],
  };
}

/** Each specialist's utilization in percent. */
export function utilizationChart(util: UtilizationRow[], t: Translate): ChartOption {
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => `${v}%` },
    grid: { left: 48, right: 24, bottom: 60, top: 24 },
    xAxis: {
      type: 'category',
      data: util.map((u) => u.specialistName),
      axisLabel: { rotate: 30, interval: 0, fontSize: 11 },
    },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: [
      {
        name: t('hub.utilization'),
        type: 'bar',
        data: util.map((u) => Math.round(u.utilization * 100)),
        itemStyle: { color: '#389e0d' },
      },
    ],
  };
}

/** Seconds as minutes under an hour, else hours to a tenth. */
export const duration = (t: Translate, s: number | null | undefined) => {
  if (s === null || s === undefined) return t('common.none');
  if (s < 3600) return t('hub.minutes', { n: Math.round(s / 60) });
  return t('hub.hours', { n: (s / 3600).toFixed(1) });
};
