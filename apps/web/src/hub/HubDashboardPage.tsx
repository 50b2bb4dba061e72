import { Card, Col, DatePicker, Empty, InputNumber, Progress, Row, Select, Space, Statistic, Table, Tabs, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { organizationsApi } from '../api/directory';
import { schedulingApi, type CoverageRow, type InstitutionFigures, type LedgerSpecialist, type UnfilledRow, type UtilizationRow } from '../api/scheduling';
import { useI18n, type Translate } from '../i18n/I18nProvider';
import { ErrorState } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';
import { Chart, type ChartOption } from './Chart';

const duration = (t: Translate, s: number | null | undefined) => {
  if (s === null || s === undefined) return t('common.none');
  if (s < 3600) return t('hub.minutes', { n: Math.round(s / 60) });
  return t('hub.hours', { n: (s / 3600).toFixed(1) });
};

/** The hub coordinator's view: coverage and backlog per township, specialist utilization, unfilled shifts, no-shows, per-institution figures, grassroots ledger. */
export function HubDashboardPage() {
  const { t, lang } = useI18n();
  const terms = useDirectoryTerms();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [dayjs().subtract(28, 'day').startOf('day'), dayjs().add(28, 'day').endOf('day')]);
  const q = { from: range[0].toISOString(), to: range[1].toISOString() };
  const deps = [range[0].valueOf(), range[1].valueOf()];
  const coverage = useApiData(() => schedulingApi.coverage(q), deps);
  const utilization = useApiData(() => schedulingApi.utilization(q), deps);
  const unfilled = useApiData(() => schedulingApi.unfilled(q), deps);
  const noShows = useApiData(() => schedulingApi.noShows(q), deps);
  const figures = useApiData(() => schedulingApi.institutionFigures(q), deps);
  const orgs = useApiData(() => organizationsApi.list(), []);
  const orgName = useMemo(() => new Map((orgs.data?.items ?? []).map((o) => [o.id, o.name])), [orgs.data]);
  const spec = (s: string | null) => specialtyLabel(s, terms, lang) ?? t('common.none');

  const cov = coverage.data?.items ?? [];
  const byTown = useMemo(() => {
    const m = new Map<string, { name: string; booked: number; free: number; waiting: number; shortfall: number }>();
    for (const r of cov) {
      const x = m.get(r.organizationId) ?? { name: r.organizationName, booked: 0, free: 0, waiting: 0, shortfall: 0 };
      x.booked += r.seatsBooked;
      x.free += r.seatsFree;
      x.waiting += r.requestsWaiting;
      x.shortfall += r.shortfall;
      m.set(r.organizationId, x);
    }
    return [...m.values()].sort((a, b) => b.shortfall - a.shortfall || b.booked + b.free - (a.booked + a.free));
  }, [cov]);
  const totals = cov.reduce((a, r) => ({ seats: a.seats + r.seatsOffered, booked: a.booked + r.seatsBooked, waiting: a.waiting + r.requestsWaiting, shortfall: a.shortfall + r.shortfall }), { seats: 0, booked: 0, waiting: 0, shortfall: 0 });

  const coverageOption: ChartOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { data: [t('hub.seatsBooked'), t('hub.seatsFree'), t('hub.waiting')] },
      grid: { left: 48, right: 24, bottom: 80, top: 40 },
      xAxis: { type: 'category', data: byTown.map((x) => x.name), axisLabel: { rotate: 30, interval: 0, fontSize: 11 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: t('hub.seatsBooked'), type: 'bar', stack: 'seats', data: byTown.map((x) => x.booked), itemStyle: { color: '#1f6feb' } },
        { name: t('hub.seatsFree'), type: 'bar', stack: 'seats', data: byTown.map((x) => x.free), itemStyle: { color: '#91caff' } },
        { name: t('hub.waiting'), type: 'line', data: byTown.map((x) => x.waiting), itemStyle: { color: '#d4380d' } },
      ],
    }),
    [byTown, t],
  );
  const util = utilization.data?.items ?? [];
  const utilizationOption: ChartOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => `${v}%` },
      grid: { left: 48, right: 24, bottom: 60, top: 24 },
      xAxis: { type: 'category', data: util.map((u) => u.specialistName), axisLabel: { rotate: 30, interval: 0, fontSize: 11 } },
      yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      series: [{ name: t('hub.utilization'), type: 'bar', data: util.map((u) => Math.round(u.utilization * 100)), itemStyle: { color: '#389e0d' } }],
    }),
    [util, t],
  );

  return (
    <div style={{ display: 'grid', gap: 12 }} data-testid="hub-dashboard">
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('hub.title')}
        </Typography.Title>
        <DatePicker.RangePicker value={range} allowClear={false} onChange={(v) => v?.[0] && v[1] && setRange([v[0].startOf('day'), v[1].endOf('day')])} />
      </Space>
      <Row gutter={12}>
        {[
          { k: 'hub.townships', v: coverage.data?.townships ?? 0 },
          { k: 'hub.seatsOffered', v: totals.seats },
          { k: 'hub.seatsBooked', v: totals.booked },
          { k: 'hub.fillRate', v: totals.seats ? Math.round((totals.booked / totals.seats) * 100) : 0, suffix: '%' },
          { k: 'hub.waiting', v: totals.waiting },
          { k: 'hub.shortfall', v: totals.shortfall },
          { k: 'hub.unfilled', v: unfilled.data?.items.length ?? 0 },
          { k: 'hub.noShows', v: noShows.data?.total ?? 0 },
        ].map((s) => (
          <Col key={s.k} span={3}>
            <Card size="small">
              <Statistic title={t(s.k as 'hub.townships')} value={s.v} suffix={s.suffix} loading={coverage.loading} />
            </Card>
          </Col>
        ))}
      </Row>
      <Tabs
        items={[
          {
            key: 'coverage',
            label: t('hub.coverageTab'),
            children: (
              <div style={{ display: 'grid', gap: 12 }}>
                <Card size="small" title={t('hub.coverageChart')}>
                  {coverage.error ? <ErrorState error={coverage.error} onRetry={coverage.reload} /> : byTown.length ? <Chart option={coverageOption} testId="coverage-chart" /> : <Empty description={t('hub.noCoverage')} />}
                </Card>
                <Card size="small" title={t('hub.coverageTable')}>
                  <Table<CoverageRow>
                    size="small"
                    rowKey={(r) => `${r.organizationId}|${r.specialty}`}
                    dataSource={cov}
                    loading={coverage.loading}
                    pagination={{ pageSize: 8 }}
                    columns={[
                      { title: t('hub.township'), dataIndex: 'organizationName' },
                      { title: t('plan.specialty'), render: (_, r) => spec(r.specialty) },
                      { title: t('hub.slotsOffered'), dataIndex: 'slotsOffered' },
                      { title: t('hub.seatsBooked'), dataIndex: 'seatsBooked' },
                      { title: t('hub.seatsFree'), dataIndex: 'seatsFree' },
                      { title: t('hub.waiting'), dataIndex: 'requestsWaiting' },
                      { title: t('hub.shortfall'), render: (_, r) => (r.shortfall ? <Tag color="red">{r.shortfall}</Tag> : 0) },
                    ]}
                  />
                </Card>
                <Card size="small" title={t('hub.unfilledTitle')}>
                  <Table<UnfilledRow>
                    size="small"
                    rowKey="occurrenceId"
                    dataSource={unfilled.data?.items ?? []}
                    loading={unfilled.loading}
                    pagination={{ pageSize: 6 }}
                    columns={[
                      { title: t('book.when'), render: (_, r) => r.localStart.replace('T', ' ') },
                      { title: t('rot.specialist'), dataIndex: 'specialistName' },
                      { title: t('rot.mode'), render: (_, r) => t(`rot.mode.${r.mode}`) },
                      { title: t('rot.hosts'), render: (_, r) => r.hostOrganizationIds.map((id) => orgName.get(id) ?? id).join('、') },
                      { title: t('hub.seats'), dataIndex: 'seats' },
                    ]}
                  />
                </Card>
                <Card size="small" title={t('hub.noShowsTitle')}>
                  <Table
                    size="small"
                    rowKey={(r) => `${r.organizationId}|${r.specialistId}`}
                    dataSource={noShows.data?.items ?? []}
                    loading={noShows.loading}
                    pagination={false}
                    columns={[
                      { title: t('hub.township'), dataIndex: 'organizationName' },
                      { title: t('rot.specialist'), dataIndex: 'specialistName' },
                      { title: t('hub.noShows'), dataIndex: 'noShows' },
                      { title: t('hub.rate'), render: (_, r) => `${Math.round(r.rate * 100)}%` },
                    ]}
                  />
                </Card>
              </div>
            ),
          },
          {
            key: 'utilization',
            label: t('hub.utilizationTab'),
            children: (
              <div style={{ display: 'grid', gap: 12 }}>
                <Card size="small" title={t('hub.utilizationChart')}>
                  {utilization.error ? <ErrorState error={utilization.error} onRetry={utilization.reload} /> : util.length ? <Chart option={utilizationOption} height={260} testId="utilization-chart" /> : <Empty description={t('hub.noUtilization')} />}
                </Card>
                <Table<UtilizationRow>
                  size="small"
                  rowKey="specialistId"
                  dataSource={util}
                  loading={utilization.loading}
                  pagination={{ pageSize: 10 }}
                  columns={[
                    { title: t('rot.specialist'), dataIndex: 'specialistName' },
                    { title: t('plan.specialty'), render: (_, r) => spec(r.specialty) },
                    { title: t('hub.org'), render: (_, r) => orgName.get(r.organizationId) ?? '' },
                    { title: t('hub.slotsOffered'), dataIndex: 'slots' },
                    { title: t('hub.seatsBooked'), dataIndex: 'booked' },
                    { title: t('hub.fulfilled'), dataIndex: 'fulfilled' },
                    { title: t('hub.noShows'), dataIndex: 'noShows' },
                    { title: t('hub.utilization'), render: (_, r) => <Progress percent={Math.round(r.utilization * 100)} size="small" style={{ width: 140 }} /> },
                  ]}
                />
              </div>
            ),
          },
          {
            key: 'institutions',
            label: t('hub.institutionsTab'),
            children: figures.error ? (
              <ErrorState error={figures.error} onRetry={figures.reload} />
            ) : (
              <Table<InstitutionFigures>
                data-testid="institution-figures"
                size="small"
                rowKey="organizationId"
                dataSource={figures.data?.institutions ?? []}
                loading={figures.loading}
                pagination={{ pageSize: 12 }}
                locale={{ emptyText: t('hub.noFigures') }}
                columns={[
                  { title: t('hub.org'), dataIndex: 'name' },
                  { title: t('hub.level'), render: (_, r) => terms?.organizationLevels[r.level as 'province_hub'] ?? r.level },
                  { title: t('hub.sent'), dataIndex: 'requestsSent' },
                  { title: t('hub.received'), dataIndex: 'requestsReceived' },
                  { title: t('hub.reports'), dataIndex: 'reportsSigned' },
                  { title: t('hub.claimMedian'), render: (_, r) => duration(t, r.claimSeconds.median) },
                  { title: t('hub.turnaroundP90'), render: (_, r) => duration(t, r.reportTurnaroundSeconds.p90) },
                  { title: t('hub.escalations'), dataIndex: 'escalations' },
                  { title: t('hub.expired'), dataIndex: 'expired' },
                  { title: t('hub.referrals'), render: (_, r) => `${r.referralsSent} / ${r.referralsReceived}` },
                  { title: t('hub.video'), render: (_, r) => (r.videoCalls ? t('hub.videoFigures', { calls: r.videoCalls, minutes: r.videoMinutes }) : '—') },
                ]}
              />
            ),
          },
          { key: 'ledger', label: t('hub.ledgerTab'), children: <LedgerPanel /> },
        ]}
      />
    </div>
  );
}

/** Grassroots service ledger: on-site days each specialist of a hospital served vs what promotion requires. */
function LedgerPanel() {
  const { t, lang } = useI18n();
  const terms = useDirectoryTerms();
  const orgs = useApiData(() => organizationsApi.list(), []);
  const hospitals = (orgs.data?.items ?? []).filter((o) => o.level === 'county_hospital' || o.level === 'city_hospital' || o.level === 'province_hub');
  const [orgId, setOrgId] = useState<string>();
  const [year, setYear] = useState<number>(dayjs().year());
  const chosen = orgId ?? hospitals[0]?.id;
  const ledger = useApiData(() => (chosen ? schedulingApi.ledger(chosen, year) : Promise.resolve(null)), [chosen, year]);
  return (
    <Card
      size="small"
      data-testid="ledger"
      title={
        <Space wrap>
          <span>{t('hub.ledgerTitle')}</span>
          <Select aria-label={t('hub.hospital')} style={{ width: 300 }} value={chosen} onChange={setOrgId} showSearch={{ optionFilterProp: 'label' }} options={hospitals.map((h) => ({ value: h.id, label: h.name }))} />
          <InputNumber aria-label={t('hub.year')} min={2000} max={2200} value={year} onChange={(v) => v && setYear(v)} suffix={t('hub.yearSuffix')} />
        </Space>
      }
      extra={ledger.data ? <Typography.Text type="secondary">{t('hub.required', { n: ledger.data.requiredDays })}</Typography.Text> : null}
    >
      {ledger.error ? (
        <ErrorState error={ledger.error} onRetry={ledger.reload} />
      ) : (
        <Table<LedgerSpecialist>
          size="small"
          rowKey="specialistId"
          dataSource={ledger.data?.specialists ?? []}
          loading={ledger.loading}
          pagination={false}
          columns={[
            { title: t('rot.specialist'), dataIndex: 'name' },
            { title: t('hub.title2'), render: (_, r) => (r.title && terms?.titles[r.title as 'chief']) || t('common.none') },
            { title: t('plan.specialty'), render: (_, r) => specialtyLabel(r.specialty, terms, lang) },
            { title: t('hub.yearServed', { year }), render: (_, r) => r.year?.servedDays ?? 0 },
            { title: t('hub.yearPlanned', { year }), render: (_, r) => r.year?.plannedDays ?? 0 },
            { title: t('hub.servedTotal'), dataIndex: 'servedDays' },
            { title: t('hub.remaining'), dataIndex: 'remainingDays' },
            {
              title: t('hub.progress'),
              render: (_, r) => <Progress percent={Math.min(100, Math.round((r.servedDays / Math.max(1, r.requiredDays)) * 100))} size="small" status={r.met ? 'success' : 'active'} style={{ width: 140 }} />,
            },
            { title: t('hub.met'), render: (_, r) => (r.met ? <Tag color="green">{t('hub.metYes')}</Tag> : <Tag>{t('hub.metNo')}</Tag>) },
          ]}
        />
      )}
    </Card>
  );
}
