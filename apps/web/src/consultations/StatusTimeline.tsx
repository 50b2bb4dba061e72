import { Timeline, Typography } from 'antd';
import type { ConsultationDetail } from '../api/consultations';
import { StatusTag, when } from './labels';
import { useConsultText } from './text';

/** Every status change of the request, oldest first, with who made it and why. */
export function StatusTimeline({ c }: { c: ConsultationDetail }) {
  const { ct } = useConsultText();
  const names = new Map(c.participants.map((p) => [p.practitionerId, p.displayName]));
  names.set(c.requesterId, c.requesterName);
  const done = ['reported', 'closed'].includes(c.status);
  return (
    <Timeline
      data-testid="status-timeline"
      pending={
        done || ['cancelled', 'expired'].includes(c.status) ? undefined : ct(`status.${c.status}`)
      }
      items={c.statusHistory.map((h) => ({
        color:
          h.transition === 'decline' || h.transition === 'cancel' || h.transition === 'expire'
            ? 'red'
            : h.transition === 'sign_report'
              ? 'green'
              : 'blue',
        children: (
          <div data-testid="timeline-entry" data-transition={h.transition}>
            <Typography.Text strong>{ct(`transition.${h.transition}`)}</Typography.Text>{' '}
            <StatusTag status={h.to} />
            <div style={{ fontSize: 12, color: 'rgba(0,0,0,0.55)' }}>
              {when(h.at)}
              {h.actorId && names.get(h.actorId) ? ` · ${names.get(h.actorId)}` : ''}
              {h.reason ? ` · ${h.reason}` : ''}
            </div>
          </div>
        ),
      }))}
    />
  );
}
