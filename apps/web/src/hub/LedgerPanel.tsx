import { Card, InputNumber, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { organizationsApi } from '../api/directory';
import { type LedgerSpecialist, schedulingApi } from '../api/scheduling';
import { useI18n } from '../i18n/I18nProvider';
import { ErrorState } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';

/** Grassroots service ledger: on-site days each specialist of a hospital served vs what promotion requires. */
export function LedgerPanel() {
  const { t, lang } = useI18n();
  const terms = useDirectoryTerms();
  const orgs = useApiData(() => organizationsApi.list(), []);
  const hospitals = (orgs.data?.items ?? []).filter(
    (o) =>
      o.level === 'county_hospital' || o.level === 'city_hospital' || o.level === 'province_hub',
  );
  const [orgId, setOrgId] = useState<string>();
  const [year, setYear] = useState<number>(dayjs().year());
  const chosen = orgId ?? hospitals[0]?.id;
  const ledger = useApiData(
    () => (chosen ? schedulingApi.ledger(chosen, year) : Promise.resolve(null)),
    [chosen, year],
  );
  return (
    <Card
      size="small"
      data-testid="ledger"
      title={
        <Space wrap>
          <span>{t('hub.ledgerTitle')}</span>
          <Select
            aria-label={t('hub.hospital')}
            style={{ width: 300 }}
            value={chosen}
            onChange={setOrgId}
            showSearch={{ optionFilterProp: 'label' }}
            options={hospitals.map((h) => ({ value: h.id, label: h.name }))}
          />
          <InputNumber
            aria-label={t('hub.year')}
            min={2000}
            max={2200}
            value={year}
            onChange={(v) => v && setYear(v)}
            suffix={t('hub.yearSuffix')}
          />
        </Space>
      }
      extra={
        ledger.data ? (
          <Typography.Text type="secondary">
            {t('hub.required', { n: ledger.data.requiredDays })}
          </Typography.Text>
        ) : null
      }
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
            {
              title: t('hub.title2'),
              render: (_, r) => (r.title && terms?.titles[r.title as 'chief']) || t('common.none'),
            },
            {
              title: t('plan.specialty'),
              render: (_, r) => specialtyLabel(r.specialty, terms, lang),
            },
            { title: t('hub.yearServed', { year }), render: (_, r) => r.year?.servedDays ?? 0 },
            { title: t('hub.yearPlanned', { year }), render: (_, r) => r.year?.plannedDays ?? 0 },
            { title: t('hub.servedTotal'), dataIndex: 'servedDays' },
            { title: t('hub.remaining'), dataIndex: 'remainingDays' },
            {
              title: t('hub.progress'),
              render: (_, r) => (
                <Progress
                  percent={Math.min(
                    100,
                    Math.round((r.servedDays / Math.max(1, r.requiredDays)) * 100),
                  )}
                  size="small"
                  status={r.met ? 'success' : 'active'}
                  style={{ width: 140 }}
                />
              ),
            },
            {
              title: t('hub.met'),
              render: (_, r) =>
                r.met ? <Tag color="green">{t('hub.metYes')}</Tag> : <Tag>{t('hub.metNo')}</Tag>,
            },
          ]}
        />
      )}
    </Card>
  );
}
