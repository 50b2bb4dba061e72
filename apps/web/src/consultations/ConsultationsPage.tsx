import { Button, Card, Table, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { consultationsApi, type WorklistItem, type WorklistBox } from '../api/consultations';
import type { ApiError } from '../api/http';
import { useLiveEvent } from '../live/LiveEvents';
import { EmptyState, ErrorState } from '../shell/States';
import { useSpecialtyLabel } from '../shell/useDirectoryTerms';
import {
  isConsultationEvent,
  StatusSteps,
  StatusTag,
  UrgencyTag,
  when,
  type PlatformEvent,
} from './labels';
import { useConsultText } from './text';

/** One worklist box, keyset-paged ("load more" follows nextCursor), refreshed by /events. */
export function useWorklist(box: WorklistBox) {
  const [items, setItems] = useState<WorklistItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    consultationsApi.worklist({ box, limit: 50 }).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(null);
        setLoading(false);
      },
      (e: ApiError) => {
        if (!live) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [box, tick]);
  const loadMore = useCallback(async () => {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await consultationsApi.worklist({ box, cursor, limit: 50 });
      setItems((prev) => [...prev, ...page.items.filter((i) => !prev.some((p) => p.id === i.id))]);
      setCursor(page.nextCursor);
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setLoading(false);
    }
  }, [box, cursor]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { items, loading, error, more: !!cursor, loadMore, reload };
}

export function ConsultationsPage() {
  const { ct } = useConsultText();
  const navigate = useNavigate();
  const specialty = useSpecialtyLabel();
  const list = useWorklist('sent');
  useLiveEvent<PlatformEvent>('event', (e) => {
    if (isConsultationEvent(e)) list.reload();
  });

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {ct('list.title')}
        </Typography.Title>
      }
      extra={
        <Button
          type="primary"
          onClick={() => navigate('/consultations/new')}
          data-testid="new-consultation"
        >
          {ct('list.new')}
        </Button>
      }
    >
      {list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : (
        <>
          <Table<WorklistItem>
            data-testid="consultations-table"
            rowKey="id"
            size="middle"
            loading={list.loading}
            dataSource={list.items}
            pagination={false}
            locale={{
              emptyText: <EmptyState title={ct('list.empty')} hint={ct('list.emptyHint')} />,
            }}
            onRow={(r) => ({ 'data-id': r.id }) as React.HTMLAttributes<HTMLElement>}
            columns={[
              {
                title: ct('col.patient'),
                key: 'patient',
                render: (_, r) => <Link to={`/consultations/${r.id}`}>{r.patient.name}</Link>,
              },
              {
                title: ct('col.specialty'),
                dataIndex: 'specialty',
                width: 100,
                render: (s: string) => specialty.label(s),
              },
              {
                title: ct('col.urgency'),
                dataIndex: 'urgency',
                width: 100,
                render: (u: WorklistItem['urgency']) => <UrgencyTag urgency={u} />,
              },
              {
                title: ct('col.status'),
                dataIndex: 'status',
                width: 110,
                render: (s: WorklistItem['status']) => <StatusTag status={s} />,
              },
              {
                title: ct('detail.timeline'),
                key: 'steps',
                width: 300,
                render: (_, r) => <StatusSteps status={r.status} at={r} />,
              },
              {
                title: ct('col.specialist'),
                key: 'specialist',
                width: 130,
                render: (_, r) => r.assignedSpecialist?.displayName ?? '—',
              },
              { title: ct('col.created'), dataIndex: 'createdAt', width: 160, render: when },
            ]}
          />
          {list.more ? (
            <Button
              style={{ marginTop: 12 }}
              onClick={() => void list.loadMore()}
              loading={list.loading}
            >
              {ct('list.loadMore')}
            </Button>
          ) : null}
        </>
      )}
    </Card>
  );
}
