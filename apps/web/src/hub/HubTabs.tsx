/** The dashboard's tabs: coverage (chart, per township and specialty, unfilled shifts, no-shows), utilization, per-institution figures. */
import { Card, Empty, Progress, Table, Tag } from 'antd';
import { useMemo } from 'react';
import type {
  CoverageRow,
  InstitutionFigures,
  UnfilledRow,
  UtilizationRow,
} from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { ErrorState } from '../shell/States';
import { specialtyLabel } from '../shell/useDirectoryTerms';
import { Chart } from './Chart';
import { coverageByTownship, coverageChart, duration, utilizationChart } from './hub-figures';
import type { HubData } from './useHubData';

/** A specialty's name in the reader's language, or "none". */
function useSpecialtyName(terms: HubData['terms']) {
  const { t, lang } = useI18n();
  return (s: string | null) => specialtyLabel(s, terms, lang) ?? t('common.none');
}

export function CoverageTab({ data }: { data: HubData }) {
  const { t } = useI18n();
  const spec = useSpecialtyName(data.terms);
  const { coverage, unfilled, noShows, orgName } = data;
  const cov = useMemo(() => coverage.data?.items ?? [], [coverage.data]);
  const byTown = useMemo(() => coverageByTownship(cov), [cov]);
  const option = useMemo(() => coverageChart(byTown, t), [byTown, t]);
  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <Card size="small" title={t('hub.coverageChart')}>
        {coverage.error ? (
          <ErrorState error={coverage.error} onRetry={coverage.reload} />
        ) : byTown.length ? (
          <Chart option={option} testId="coverage-chart" />
        ) : (
          <Empty description={t('hub.noCoverage')} />
        )}
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
            {
              title: t('hub.shortfall'),
              render: (_, r) => (r.shortfall ? <Tag color="red">{r.shortfall}</Tag> : 0),
            },
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
            {
              title: t('rot.hosts'),
              render: (_, r) => r.hostOrganizationIds.map((id) => orgName.get(id) ?? id).join('、'),
            },
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
  );
}

export function UtilizationTab({ data }: { data: HubData }) {
  const { t } = useI18n();
  const spec = useSpecialtyName(data.terms);
  const { utilization, orgName } = data;
  const util = useMemo(() => utilization.data?.items ?? [], [utilization.data]);
  const option = useMemo(() => utilizationChart(util, t), [util, t]);
  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <Card size="small" title={t('hub.utilizationChart')}>
        {utilization.error ? (
          <ErrorState error={utilization.error} onRetry={utilization.reload} />
        ) : util.length ? (
          <Chart option={option} height={260} testId="utilization-chart" />
        ) : (
          <Empty description={t('hub.noUtilization')} />
        )}
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
          {
            title: t('hub.utilization'),
            render: (_, r) => (
              <Progress
                percent={Math.round(r.utilization * 100)}
                size="small"
                style={{ width: 140 }}
              />
            ),
          },
        ]}
      />
    </div>
  );
}

export function InstitutionsTab({ data }: { data: HubData }) {
  const { t } = useI18n();
  const { figures, terms } = data;
  if (figures.error) return <ErrorState error={figures.error} onRetry={figures.reload} />;
  return (
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
        {
          title: t('hub.level'),
          render: (_, r) => terms?.organizationLevels[r.level as 'province_hub'] ?? r.level,
        },
        { title: t('hub.sent'), dataIndex: 'requestsSent' },
        { title: t('hub.received'), dataIndex: 'requestsReceived' },
        { title: t('hub.reports'), dataIndex: 'reportsSigned' },
        { title: t('hub.claimMedian'), render: (_, r) => duration(t, r.claimSeconds.median) },
        {
          title: t('hub.turnaroundP90'),
          render: (_, r) => duration(t, r.reportTurnaroundSeconds.p90),
        },
        { title: t('hub.escalations'), dataIndex: 'escalations' },
        { title: t('hub.expired'), dataIndex: 'expired' },
        {
          title: t('hub.referrals'),
          render: (_, r) => `${r.referralsSent} / ${r.referralsReceived}`,
        },
        {
          title: t('hub.video'),
          render: (_, r) =>
            r.videoCalls
              ? t('hub.videoFigures', { calls: r.videoCalls, minutes: r.videoMinutes })
              : '—',
        },
      ]}
    />
  );
}
