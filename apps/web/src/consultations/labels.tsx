import { Steps, Tag } from 'antd';
import dayjs from 'dayjs';
import type { PlatformEvent } from '@huizhen/contract';
import type { ConsultationStatus, Urgency } from '../api/consultations';
import { useConsultText } from './text';

const STATUS_COLOR: Record<ConsultationStatus, string> = {
  draft: 'default',
  submitted: 'gold',
  claimed: 'blue',
  scheduled: 'cyan',
  in_session: 'purple',
  reported: 'green',
  closed: 'default',
  cancelled: 'default',
  expired: 'red',
};

export function StatusTag({ status }: { status: ConsultationStatus }) {
  const { ct } = useConsultText();
  return (
    <Tag color={STATUS_COLOR[status]} data-testid="status-tag" data-status={status}>
      {ct(`status.${status}`)}
    </Tag>
  );
}

export function UrgencyTag({ urgency }: { urgency: Urgency }) {
  const { ct } = useConsultText();
  return (
    <Tag color={urgency === 'emergency' ? 'red' : urgency === 'urgent' ? 'orange' : 'default'}>
      {ct(`urgency.${urgency}`)}
    </Tag>
  );
}

export function when(at: string | null | undefined): string {
  return at ? dayjs(at).format('YYYY-MM-DD HH:mm') : '—';
}

/** Events on /events (the contract's catalogue); these change a consultation someone may be looking at. */
export type { PlatformEvent };
export const isConsultationEvent = (e: PlatformEvent) =>
  e.type === 'queue.changed' || e.type.startsWith('consultation.');

const MILESTONES = ['submitted', 'claimed', 'reported'] as const;
const REACHED: Record<ConsultationStatus, number> = {
  draft: -1,
  submitted: 0,
  claimed: 1,
  scheduled: 1,
  in_session: 1,
  reported: 2,
  closed: 2,
  cancelled: -1,
  expired: -1,
};

/** Where a request stands on its way: submitted → claimed → report signed, at a glance in a list. */
export function StatusSteps({
  status,
  at,
}: {
  status: ConsultationStatus;
  at: { submittedAt: string | null; claimedAt: string | null; reportedAt: string | null };
}) {
  const { ct } = useConsultText();
  if (status === 'draft' || status === 'cancelled' || status === 'expired')
    return <StatusTag status={status} />;
  const reached = REACHED[status];
  const times = [at.submittedAt, at.claimedAt, at.reportedAt];
  return (
    <Steps
      size="small"
      type="dot"
      current={reached}
      data-testid="status-steps"
      data-status={status}
      items={MILESTONES.map((m, i) => ({
        title: <span style={{ fontSize: 12 }}>{ct(`milestone.${m}`)}</span>,
        content:
          i <= reached && times[i] ? (
            <span style={{ fontSize: 11 }}>{dayjs(times[i]).format('MM-DD HH:mm')}</span>
          ) : undefined,
      }))}
    />
  );
}
