import { Card, Col, DatePicker, Row, Space, Statistic, Tabs, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { coverageTotals } from './hub-figures';
import { CoverageTab, InstitutionsTab, UtilizationTab } from './HubTabs';
import { LedgerPanel } from './LedgerPanel';
import { type HubData, useHubData } from './useHubData';

/** The hub coordinator's view: coverage and backlog per township, specialist utilization, unfilled shifts, no-shows, per-institution figures, grassroots ledger. */
export function HubDashboardPage() {
  const { t } = useI18n();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().subtract(28, 'day').startOf('day'),
    dayjs().add(28, 'day').endOf('day'),
  ]);
  const data = useHubData(range);

  return (
    <div style={{ display: 'grid', gap: 12 }} data-testid="hub-dashboard">
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('hub.title')}
        </Typography.Title>
        <DatePicker.RangePicker
          value={range}
          allowClear={false}
          onChange={(v) => v?.[0] && v[1] && setRange([v[0].startOf('day'), v[1].endOf('day')])}
        />
      </Space>
      <HubStatistics data={data} />
      <Tabs
        items={[
          { key: 'coverage', label: t('hub.coverageTab'), children: <CoverageTab data={data} /> },
          {
            key: 'utilization',
            label: t('hub.utilizationTab'),
            children: <UtilizationTab data={data} />,
          },
          {
            key: 'institutions',
            label: t('hub.institutionsTab'),
            children: <InstitutionsTab data={data} />,
          },
          { key: 'ledger', label: t('hub.ledgerTab'), children: <LedgerPanel /> },
        ]}
      />
    </div>
  );
}

/** The headline figures of the range: townships, seats offered and booked, fill rate, waiting, shortfall, unfilled shifts, no-shows. */
function HubStatistics({ data }: { data: HubData }) {
  const { t } = useI18n();
  const { coverage, unfilled, noShows } = data;
  const totals = useMemo(() => coverageTotals(coverage.data?.items ?? []), [coverage.data]);
  const stats = [
    { k: 'hub.townships', v: coverage.data?.townships ?? 0 },
    { k: 'hub.seatsOffered', v: totals.seats },
    { k: 'hub.seatsBooked', v: totals.booked },
    {
      k: 'hub.fillRate',
      v: totals.seats ? Math.round((totals.booked / totals.seats) * 100) : 0,
      suffix: '%',
    },
    { k: 'hub.waiting', v: totals.waiting },
    { k: 'hub.shortfall', v: totals.shortfall },
    { k: 'hub.unfilled', v: unfilled.data?.items.length ?? 0 },
    { k: 'hub.noShows', v: noShows.data?.total ?? 0 },
  ];
  return (
    <Row gutter={12}>
      {stats.map((s) => (
        <Col key={s.k} span={3}>
          <Card size="small">
            <Statistic
              title={t(s.k as 'hub.townships')}
              value={s.v}
              suffix={s.suffix}
              loading={coverage.loading}
            />
          </Card>
        </Col>
      ))}
    </Row>
  );
}
