import { List, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import type { ConsultationDetail } from '../api/consultations';
import { when } from './labels';
import { useConsultText } from './text';

/** The consultation's video calls: when, how long, who took part for how long, how each ended. */
export function CallRecords({ c }: { c: ConsultationDetail }) {
  const { ct, lang } = useConsultText();
  const zh = lang === 'zh-CN';
  const length = (seconds: number) =>
    seconds < 60
      ? ct('calls.seconds', { seconds })
      : ct('calls.duration', { minutes: Math.round(seconds / 60) });
  if (!c.calls.length)
    return <Typography.Text type="secondary">{ct('calls.none')}</Typography.Text>;
  const names = new Map(
    c.calls.flatMap((call) =>
      call.participants.map((p) => [p.practitionerId, p.displayName] as const),
    ),
  );
  return (
    <List
      data-testid="call-records"
      size="small"
      dataSource={[...c.calls].reverse()}
      renderItem={(call) => (
        <List.Item
          data-testid="call-record"
          data-ending={call.ending}
          data-outcome={call.outcome}
          style={{ display: 'block' }}
        >
          <Typography.Text strong>
            {when(call.startedAt)}
            {call.endedAt ? `–${dayjs(call.endedAt).format('HH:mm')}` : ''}
          </Typography.Text>{' '}
          {call.ending === 'in_progress' ? (
            <Tag color="green">{ct('calls.inProgress')}</Tag>
          ) : (
            <Tag>{length(call.seconds)}</Tag>
          )}
          {call.outcome === 'failed' ? <Tag color="red">{ct('calls.failed')}</Tag> : null}
          <div style={{ fontSize: 12, color: 'rgba(0,0,0,0.55)' }}>
            {call.participants
              .map((p) => {
                const notes = [
                  ...(p.present ? [ct('calls.present')] : []),
                  ...(p.mediaFailed ? [ct('calls.mediaFailed')] : []),
                ];
                return `${p.displayName}${notes.length ? (zh ? `（${notes.join('，')}）` : ` (${notes.join(', ')})`) : ''} ${length(p.seconds)}`;
              })
              .join(zh ? '，' : ', ')}
          </div>
          {call.ending !== 'in_progress' ? (
            <div style={{ fontSize: 12, color: 'rgba(0,0,0,0.45)' }}>
              {ct(`calls.ending.${call.ending}`, {
                name: (call.endedBy && names.get(call.endedBy)) || '',
              })}
            </div>
          ) : null}
        </List.Item>
      )}
    />
  );
}
