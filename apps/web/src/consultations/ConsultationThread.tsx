import { App, Button, Card, Empty, Input, List, Space, Typography } from 'antd';
import { useState } from 'react';
import { consultationsApi } from '../api/consultations';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import { useLiveEvent } from '../live/LiveEvents';
import { errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { when, type PlatformEvent } from './labels';
import { useConsultText } from './text';

/** The conversation between the township doctor and the specialist, live on /events. */
export function ConsultationThread({ id, open }: { id: string; open: boolean }) {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const { profile } = useAuth();
  const thread = useApiData(() => consultationsApi.messages(id), [id]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  useLiveEvent<PlatformEvent>('event', (e) => {
    if (e.type === 'consultation.message' && e.data.consultationId === id) thread.reload();
  });
  const send = async () => {
    if (!text.trim()) return;
    setBusy(true);
    try {
      await consultationsApi.postMessage(id, text.trim());
      setText('');
      thread.reload();
    } catch (e) {
      void message.error(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };
  const items = thread.data?.items ?? [];
  return (
    <Card title={ct('detail.thread')} size="small" data-testid="thread">
      {items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={ct('detail.threadEmpty')} />
      ) : (
        <List
          size="small"
          dataSource={items}
          style={{ maxHeight: 300, overflow: 'auto' }}
          renderItem={(m) => (
            <List.Item
              data-testid="thread-message"
              style={{ justifyContent: m.authorId === profile?.id ? 'flex-end' : 'flex-start' }}
            >
              <div
                style={{
                  maxWidth: '80%',
                  background: m.authorId === profile?.id ? '#e8f1ff' : '#f5f5f5',
                  borderRadius: 8,
                  padding: '6px 10px',
                }}
              >
                <div style={{ fontSize: 12, color: 'rgba(0,0,0,0.5)' }}>
                  {m.authorName} · {when(m.createdAt)}
                </div>
                <Typography.Paragraph style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
                  {m.body}
                </Typography.Paragraph>
              </div>
            </List.Item>
          )}
        />
      )}
      {open ? (
        <Space.Compact style={{ width: '100%', marginTop: 8 }}>
          <Input.TextArea
            autoSize={{ minRows: 1, maxRows: 4 }}
            value={text}
            maxLength={4000}
            placeholder={ct('detail.messagePlaceholder')}
            onChange={(e) => setText(e.target.value)}
            data-testid="thread-input"
          />
          <Button
            type="primary"
            onClick={() => void send()}
            loading={busy}
            data-testid="thread-send"
          >
            {ct('detail.send')}
          </Button>
        </Space.Compact>
      ) : null}
    </Card>
  );
}
