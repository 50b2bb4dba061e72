import { Tag } from 'antd';
import dayjs from 'dayjs';
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
  return <Tag color={urgency === 'emergency' ? 'red' : urgency === 'urgent' ? 'orange' : 'default'}>{ct(`urgency.${urgency}`)}</Tag>;
}

export function when(at: string | null | undefined): string {
  return at ? dayjs(at).format('YYYY-MM-DD HH:mm') : '—';
}

/** Events on /events that change a consultation someone may be looking at. */
export interface PlatformEvent {
  type: string;
  data: { consultationId?: string; [k: string]: unknown };
}
export const isConsultationEvent = (e: PlatformEvent) => e.type === 'queue.changed' || e.type.startsWith('consultation.');
