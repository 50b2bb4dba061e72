import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Form,
  InputNumber,
  Popconfirm,
  Progress,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { schedulingApi, type RotationPlan } from '../api/scheduling';
import type { Organization } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { useSubmit } from '../shell/useSubmit';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';

interface Values {
  from: Dayjs;
  weeks: number;
  slotMinutes: number;
  fairnessWeight: number;
  demand?: { organizationId: string; specialty: string; count: number }[];
}

/** The planner proposes on-site visits for the demand; the coordinator reviews, then accepts (all shifts at once) or discards. */
export function PlannerPanel({
  organizations,
  onAccepted,
}: {
  organizations: Organization[];
  onAccepted: () => void;
}) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const terms = useDirectoryTerms();
  const [form] = Form.useForm<Values>();
  const [plan, setPlan] = useState<RotationPlan | null>(null);
  // One submit at a time (useSubmit); `acting` says which of the three buttons shows it.
  const { busy: submitting, error, run } = useSubmit();
  const [acting, setActing] = useState<'propose' | 'accept' | 'discard' | null>(null);
  const busy = submitting ? acting : null;
  const orgName = useMemo(() => new Map(organizations.map((o) => [o.id, o.name])), [organizations]);
  const towns = organizations
    .filter((o) => o.level === 'township_health_centre')
    .map((o) => ({ value: o.id, label: o.name }));
  const specialties = Object.entries(terms?.specialties ?? {}).map(([value]) => ({
    value,
    label: specialtyLabel(value, terms, lang) ?? value,
  }));

  const act = (kind: 'propose' | 'accept' | 'discard', f: () => Promise<void>) => {
    setActing(kind);
    return run(f);
  };
  const propose = () =>
    act('propose', async () => {
      const v = await form.validateFields();
      const demand = (v.demand ?? []).filter(
        (d) => d?.organizationId && d.specialty && d.count > 0,
      );
      setPlan(
        await schedulingApi.propose({
          from: v.from.format('YYYY-MM-DD'),
          weeks: v.weeks,
          slotMinutes: v.slotMinutes,
          fairnessWeight: v.fairnessWeight,
          ...(demand.length ? { demand } : {}),
        }),
      );
    });

  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <Card title={t('plan.title')} data-testid="planner">
        <Form
          form={form}
          layout="inline"
          initialValues={{
            from: dayjs().add(7 - ((dayjs().day() + 6) % 7), 'day'),
            weeks: 4,
            slotMinutes: 30,
            fairnessWeight: 0.25,
            demand: [],
          }}
          style={{ rowGap: 8 }}
        >
          <Form.Item name="from" label={t('plan.from')} rules={[{ required: true }]}>
            <DatePicker allowClear={false} />
          </Form.Item>
          <Form.Item name="weeks" label={t('plan.weeks')}>
            <InputNumber min={1} max={12} style={{ width: 80 }} />
          </Form.Item>
          <Form.Item name="slotMinutes" label={t('rot.slotMinutes')}>
            <InputNumber min={5} max={240} style={{ width: 80 }} />
          </Form.Item>
          <Form.Item
            name="fairnessWeight"
            label={t('plan.fairness')}
            tooltip={t('plan.fairnessHint')}
          >
            <InputNumber min={0} max={5} step={0.05} style={{ width: 90 }} />
          </Form.Item>
          <div style={{ width: '100%', marginTop: 8 }}>
            <Typography.Text type="secondary">{t('plan.demandHint')}</Typography.Text>
            <Form.List name="demand">
              {(fields, { add, remove }) => (
                <div style={{ display: 'grid', gap: 6, marginTop: 6 }}>
                  {fields.map((f) => (
                    <Space key={f.key}>
                      <Form.Item name={[f.name, 'organizationId']} noStyle>
                        <Select
                          showSearch={{ optionFilterProp: 'label' }}
                          placeholder={t('plan.township')}
                          style={{ width: 260 }}
                          options={towns}
                        />
                      </Form.Item>
                      <Form.Item name={[f.name, 'specialty']} noStyle>
                        <Select
                          showSearch={{ optionFilterProp: 'label' }}
                          placeholder={t('plan.specialty')}
                          style={{ width: 160 }}
                          options={specialties}
                        />
                      </Form.Item>
                      <Form.Item name={[f.name, 'count']} noStyle>
                        <InputNumber
                          min={0}
                          max={100000}
                          placeholder={t('plan.count')}
                          style={{ width: 110 }}
                        />
                      </Form.Item>
                      <Button onClick={() => remove(f.name)}>{t('plan.removeRow')}</Button>
                    </Space>
                  ))}
                  <Space>
                    <Button onClick={() => add({ count: 4 })}>{t('plan.addDemand')}</Button>
                    <Button
                      type="primary"
                      loading={busy === 'propose'}
                      onClick={() => void propose()}
                      data-testid="propose-plan"
                    >
                      {t('plan.propose')}
                    </Button>
                  </Space>
                </div>
              )}
            </Form.List>
          </div>
        </Form>
        {error ? (
          <Alert
            type="error"
            showIcon
            title={error}
            style={{ marginTop: 12 }}
            data-testid="plan-error"
          />
        ) : null}
      </Card>

      {plan ? (
        <Card
          data-testid="plan-result"
          title={
            <Space>
              {t('plan.proposal', {
                from: String(plan.horizon.from).slice(0, 10),
                to: String(plan.horizon.to).slice(0, 10),
              })}
              <Tag
                color={
                  plan.status === 'accepted'
                    ? 'green'
                    : plan.status === 'discarded'
                      ? 'default'
                      : 'blue'
                }
              >
                {t(`plan.status.${plan.status}`)}
              </Tag>
            </Space>
          }
          extra={
            plan.status === 'proposed' ? (
              <Space>
                <Popconfirm
                  title={t('plan.acceptConfirm', { n: plan.visits.length })}
                  onConfirm={() =>
                    act('accept', async () => {
                      const accepted = await schedulingApi.accept(plan.id);
                      setPlan(accepted);
                      message.success(t('plan.accepted', { n: accepted.shiftIds?.length ?? 0 }));
                      onAccepted();
                    })
                  }
                >
                  <Button
                    type="primary"
                    disabled={!plan.visits.length}
                    loading={busy === 'accept'}
                    data-testid="accept-plan"
                  >
                    {t('plan.accept')}
                  </Button>
                </Popconfirm>
                <Button
                  loading={busy === 'discard'}
                  onClick={() =>
                    void act('discard', async () => {
                      await schedulingApi.discard(plan.id);
                      setPlan({ ...plan, status: 'discarded' });
                    })
                  }
                >
                  {t('plan.discard')}
                </Button>
              </Space>
            ) : null
          }
        >
          <Space size={32} wrap style={{ marginBottom: 12 }}>
            <Statistic title={t('plan.totalDemand')} value={plan.metrics.totalDemand ?? 0} />
            <Statistic title={t('plan.covered')} value={plan.metrics.covered ?? 0} />
            <Statistic
              title={t('plan.minCoverage')}
              value={Math.round((plan.metrics.minCoverage ?? 0) * 100)}
              suffix="%"
            />
            <Statistic title={t('plan.visits')} value={plan.visits.length} />
            <Statistic
              title={t('plan.gap')}
              value={Math.round((plan.metrics.gapToLpBound ?? 0) * 1000) / 10}
              suffix="%"
            />
            <Statistic title={t('plan.solveMs')} value={plan.metrics.solveMs ?? 0} suffix="ms" />
          </Space>
          <Table
            size="small"
            rowKey={(v) => `${v.specialistId}-${v.date}-${v.organizationId}`}
            dataSource={plan.visits}
            pagination={{ pageSize: 10 }}
            locale={{ emptyText: t('plan.noVisits') }}
            columns={[
              { title: t('plan.date'), dataIndex: 'date' },
              {
                title: t('plan.time'),
                render: (_, v) => `${v.start.slice(11)}–${v.end.slice(11)}`,
              },
              { title: t('rot.specialist'), dataIndex: 'specialistName' },
              {
                title: t('plan.specialty'),
                render: (_, v) => specialtyLabel(v.specialty, terms, lang),
              },
              {
                title: t('plan.township'),
                render: (_, v) => orgName.get(v.organizationId) ?? v.organizationId,
              },
              { title: t('plan.capacity'), dataIndex: 'capacity' },
            ]}
          />
          <Typography.Title level={5}>{t('plan.coverageByTown')}</Typography.Title>
          <Table
            size="small"
            rowKey="organizationId"
            dataSource={plan.coverage}
            pagination={false}
            columns={[
              {
                title: t('plan.township'),
                render: (_, c) => orgName.get(c.organizationId) ?? c.organizationId,
              },
              { title: t('plan.demand'), dataIndex: 'demand' },
              { title: t('plan.covered'), dataIndex: 'covered' },
              {
                title: t('plan.ratio'),
                render: (_, c) => (
                  <Progress
                    percent={Math.round(c.ratio * 100)}
                    size="small"
                    style={{ width: 160 }}
                  />
                ),
              },
            ]}
          />
        </Card>
      ) : null}
    </div>
  );
}
