import type { ButtonProps } from 'antd';
import {
  Alert,
  App,
  Button,
  Empty,
  Form,
  Input,
  Modal,
  Popconfirm,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { referralsApi, type ListedReferral } from '../api/consultations';
import { useAuth } from '../auth/AuthProvider';
import { useConsultText } from '../consultations/text';
import { useI18n } from '../i18n/I18nProvider';
import { ErrorState, errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { useSubmit } from '../shell/useSubmit';

type Box = 'incoming' | 'outgoing';
/** What the current dialog does with which referral. */
type Action = { kind: 'accept' | 'decline' | 'down'; referral: ListedReferral };

const STATUS_COLOR: Record<ListedReferral['status'], string> = {
  requested: 'gold',
  accepted: 'green',
  declined: 'red',
  cancelled: 'default',
};

/**
 * Referrals (上转/下转) for the clinicians on either side: the receiving hospital's specialists
 * accept or decline up-referrals of their specialty (green channel first) and send accepted
 * patients back down with a follow-up plan; the township accepts the patient coming back; each
 * side sees what it sent and may withdraw what is not answered yet.
 */
export function ReferralsPage() {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const { profile } = useAuth();
  const [params, setParams] = useSearchParams();
  const box: Box = params.get('box') === 'outgoing' ? 'outgoing' : 'incoming';
  const list = useApiData(() => referralsApi.list(box), [box]);
  const [action, setAction] = useState<Action | null>(null);
  const [form] = Form.useForm<{ text?: string; plan?: string }>();
  const { busy, error, setError, run } = useSubmit();
  const isSpecialist = !!profile?.roles.includes('specialist');

  const open = (a: Action) => {
    form.resetFields();
    setError(null);
    setAction(a);
  };
  const submit = async () => {
    if (!action) return;
    const v = await form.validateFields();
    await run(async () => {
      const r = action.referral;
      if (action.kind === 'accept') await referralsApi.accept(r.id, v.text?.trim() || undefined);
      else if (action.kind === 'decline') await referralsApi.decline(r.id, v.text!.trim());
      else await referralsApi.down(r.id, { reason: v.text!.trim(), followUpPlan: v.plan!.trim() });
      message.success(
        ct(
          action.kind === 'accept'
            ? 'referrals.accepted'
            : action.kind === 'decline'
              ? 'referrals.declined'
              : 'referrals.downSent',
        ),
      );
      setAction(null);
      list.reload();
    });
  };
  const withdraw = async (r: ListedReferral) => {
    try {
      await referralsApi.cancel(r.id);
      message.success(ct('referrals.withdrawn'));
      list.reload();
    } catch (e) {
      message.error(errorMessage(t, e));
    }
  };

  const actions = (r: ListedReferral) => {
    if (box === 'incoming' && r.status === 'requested') {
      return (
        <Space size={4}>
          <Button
            size="small"
            type="primary"
            data-testid="referral-accept"
            onClick={() => open({ kind: 'accept', referral: r })}
          >
            {ct('referrals.accept')}
          </Button>
          <Button
            size="small"
            danger
            data-testid="referral-decline"
            onClick={() => open({ kind: 'decline', referral: r })}
          >
            {ct('referrals.decline')}
          </Button>
        </Space>
      );
    }
    if (box === 'incoming' && r.status === 'accepted' && r.direction === 'up' && isSpecialist) {
      return (
        <Button
          size="small"
          data-testid="referral-down"
          onClick={() => open({ kind: 'down', referral: r })}
        >
          {ct('referrals.down')}
        </Button>
      );
    }
    if (box === 'outgoing' && r.status === 'requested') {
      return (
        <Popconfirm
          title={ct('referrals.withdrawConfirm')}
          onConfirm={() => void withdraw(r)}
          okText={ct('referrals.withdraw')}
          cancelText={t('common.cancel')}
        >
          <Button size="small" data-testid="referral-withdraw">
            {ct('referrals.withdraw')}
          </Button>
        </Popconfirm>
      );
    }
    return null;
  };

  const table = (
    <Table<ListedReferral>
      size="small"
      rowKey="id"
      data-testid={`referrals-${box}`}
      loading={list.loading}
      dataSource={list.data?.items ?? []}
      pagination={{ pageSize: 20, showSizeChanger: false }}
      onRow={(r) =>
        ({ 'data-id': r.id, 'data-status': r.status }) as React.HTMLAttributes<HTMLElement>
      }
      locale={{ emptyText: <Empty description={ct('referrals.none')} /> }}
      columns={[
        {
          title: ct('referrals.created'),
          render: (_, r) => dayjs(r.createdAt).format('YYYY-MM-DD HH:mm'),
        },
        { title: ct('referrals.patient'), render: (_, r) => r.patientName },
        {
          title: ct('referrals.direction'),
          render: (_, r) => (
            <Space size={4}>
              <Tag color={r.direction === 'up' ? 'volcano' : 'cyan'}>
                {ct(`referrals.direction.${r.direction}`)}
              </Tag>
              {r.greenChannel ? <Tag color="green">{ct('referral.green')}</Tag> : null}
            </Space>
          ),
        },
        {
          title: ct('referrals.route'),
          render: (_, r) => `${r.fromOrganizationName ?? ''} → ${r.toOrganizationName ?? ''}`,
        },
        {
          title: ct('referrals.reason'),
          render: (_, r) => (
            <div style={{ maxWidth: 320 }}>
              <div>{r.reason}</div>
              {r.followUpPlan ? (
                <Typography.Text type="secondary">
                  {ct('referrals.plan')}：{r.followUpPlan}
                </Typography.Text>
              ) : null}
            </div>
          ),
        },
        {
          title: ct('referrals.answer'),
          render: (_, r) => (
            <Space orientation="vertical" size={0}>
              <Tag color={STATUS_COLOR[r.status]} data-testid="referral-status">
                {ct(`referral.status.${r.status}`)}
              </Tag>
              {r.answerNote ? (
                <Typography.Text type="secondary">{r.answerNote}</Typography.Text>
              ) : null}
            </Space>
          ),
        },
        { title: t('common.actions'), render: (_, r) => actions(r) },
      ]}
    />
  );

  const titles = {
    accept: 'referrals.acceptTitle',
    decline: 'referrals.declineTitle',
    down: 'referrals.downTitle',
  } as const;
  const oks = {
    accept: 'referrals.accept',
    decline: 'referrals.decline',
    down: 'referrals.down',
  } as const;
  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {ct('referrals.title')}
      </Typography.Title>
      {list.error ? <ErrorState error={list.error} onRetry={list.reload} /> : null}
      <Tabs
        activeKey={box}
        onChange={(k) => setParams(k === 'outgoing' ? { box: 'outgoing' } : {})}
        items={[
          {
            key: 'incoming',
            label: ct('referrals.incoming'),
            children: box === 'incoming' ? table : null,
          },
          {
            key: 'outgoing',
            label: ct('referrals.outgoing'),
            children: box === 'outgoing' ? table : null,
          },
        ]}
      />
      <Modal
        open={!!action}
        title={action ? ct(titles[action.kind]) : ''}
        okText={action ? ct(oks[action.kind]) : ''}
        okButtonProps={
          { danger: action?.kind === 'decline', 'data-testid': 'referral-ok' } as ButtonProps
        }
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => void submit().catch(() => undefined)}
        onCancel={() => setAction(null)}
        destroyOnHidden
      >
        {action ? (
          <Form form={form} layout="vertical" data-testid="referral-form">
            <p>
              {action.referral.patientName} · {action.referral.fromOrganizationName} →{' '}
              {action.referral.toOrganizationName}
            </p>
            <Form.Item
              name="text"
              label={ct(
                action.kind === 'accept'
                  ? 'referrals.acceptNote'
                  : action.kind === 'decline'
                    ? 'referrals.declineReason'
                    : 'referrals.downReason',
              )}
              rules={
                action.kind === 'accept'
                  ? []
                  : [{ required: true, whitespace: true, message: ct('report.required') }]
              }
            >
              <Input.TextArea rows={2} maxLength={action.kind === 'down' ? 4000 : 2000} />
            </Form.Item>
            {action.kind === 'down' ? (
              <Form.Item
                name="plan"
                label={ct('referrals.downPlan')}
                rules={[{ required: true, whitespace: true, message: ct('report.required') }]}
              >
                <Input.TextArea rows={3} maxLength={4000} />
              </Form.Item>
            ) : null}
            {error ? (
              <Alert type="error" showIcon title={error} data-testid="referral-error" />
            ) : null}
          </Form>
        ) : null}
      </Modal>
    </div>
  );
}
