import { App, Badge, Button, Card, Space, Table, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { consultationsApi, type WorklistItem } from '../api/consultations';
import { useConsultText } from '../consultations/text';
import {
  isConsultationEvent,
  StatusTag,
  UrgencyTag,
  when,
  type PlatformEvent,
} from '../consultations/labels';
import { useWorklist } from '../consultations/ConsultationsPage';
import { useLiveEvent } from '../live/LiveEvents';
import { EmptyState, ErrorState, errorMessage } from '../shell/States';
import { useSpecialtyLabel } from '../shell/useDirectoryTerms';
import { useI18n } from '../i18n/I18nProvider';

/** The specialist's queue (requests routed to their hospital and specialty) and what they claimed. */
export function WorklistPage() {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const specialty = useSpecialtyLabel();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'mine' ? 'mine' : 'queue';
  const queue = useWorklist('queue');
  const mine = useWorklist('assigned');
  const [claiming, setClaiming] = useState<string | null>(null);
  useLiveEvent<PlatformEvent>('event', (e) => {
    if (!isConsultationEvent(e)) return;
    queue.reload();
    mine.reload();
  });

  const claim = async (id: string) => {
    setClaiming(id);
    try {
      await consultationsApi.claim(id);
      navigate(`/worklist/${id}`);
    } catch (e) {
      void message.error(errorMessage(t, e));
      queue.reload();
    } finally {
      setClaiming(null);
    }
  };

  const columns = (withClaim: boolean) => [
    {
      title: ct('col.patient'),
      key: 'patient',
      render: (_: unknown, r: WorklistItem) => (
        <Link to={`/worklist/${r.id}`}>{r.patient.name}</Link>
      ),
    },
    {
      title: ct('col.from'),
      key: 'from',
      render: (_: unknown, r: WorklistItem) => r.requestingOrganization.name,
    },
    {
      title: ct('col.specialty'),
      dataIndex: 'specialty',
      width: 100,
      render: (s: string) => specialty.label(s),
    },
    {
      title: ct('col.mode'),
      dataIndex: 'mode',
      width: 120,
      render: (m: WorklistItem['mode']) => ct(`mode.${m}`),
    },
    {
      title: ct('col.urgency'),
      dataIndex: 'urgency',
      width: 90,
      render: (u: WorklistItem['urgency']) => <UrgencyTag urgency={u} />,
    },
    withClaim
      ? { title: ct('col.deadline'), dataIndex: 'deadlineAt', width: 150, render: when }
      : {
          title: ct('col.status'),
          dataIndex: 'status',
          width: 120,
          render: (s: WorklistItem['status']) => <StatusTag status={s} />,
        },
    { title: ct('col.submitted'), dataIndex: 'submittedAt', width: 150, render: when },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 140,
      render: (_: unknown, r: WorklistItem) => (
        <Space>
          {withClaim ? (
            <Button
              type="primary"
              size="small"
              loading={claiming === r.id}
              onClick={() => void claim(r.id)}
              data-testid={`claim-${r.id}`}
            >
              {ct('worklist.claim')}
            </Button>
          ) : null}
          <Button size="small" onClick={() => navigate(`/worklist/${r.id}`)}>
            {ct('worklist.open')}
          </Button>
        </Space>
      ),
    },
  ];

  const table = (
    list: ReturnType<typeof useWorklist>,
    withClaim: boolean,
    empty: string,
    testId: string,
  ) =>
    list.error ? (
      <ErrorState error={list.error} onRetry={list.reload} />
    ) : (
      <>
        <Table<WorklistItem>
          data-testid={testId}
          rowKey="id"
          size="middle"
          loading={list.loading && list.items.length === 0}
          dataSource={list.items}
          pagination={false}
          columns={columns(withClaim)}
          onRow={(r) => ({ 'data-id': r.id }) as React.HTMLAttributes<HTMLElement>}
          locale={{ emptyText: <EmptyState title={empty} /> }}
        />
        {list.more ? (
          <Button style={{ marginTop: 12 }} onClick={() => void list.loadMore()}>
            {ct('list.loadMore')}
          </Button>
        ) : null}
      </>
    );

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {ct('worklist.title')}
        </Typography.Title>
      }
    >
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === 'mine' ? { tab: 'mine' } : {})}
        items={[
          {
            key: 'queue',
            label: (
              <Badge count={queue.items.length} size="small" offset={[10, -2]}>
                <span data-testid="tab-queue">{ct('worklist.queue')}</span>
              </Badge>
            ),
            children: table(queue, true, ct('worklist.empty'), 'worklist-queue'),
          },
          {
            key: 'mine',
            label: <span data-testid="tab-mine">{ct('worklist.mine')}</span>,
            children: table(mine, false, ct('worklist.mineEmpty'), 'worklist-mine'),
          },
        ]}
      />
    </Card>
  );
}
