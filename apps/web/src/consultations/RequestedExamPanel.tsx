import { Alert, App, Button, Card, Descriptions, Input, List, Modal, Space, Tag } from 'antd';
import { useEffect, useRef, useState } from 'react';
import type { ConsultationDetail } from '../api/consultations';
import { type WorklistArrival, worklistApi } from '../api/worklist';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { when } from './labels';
import { useConsultText } from './text';

const STATUS_COLOR: Record<WorklistArrival['status'], string> = {
  attached: 'green',
  held: 'orange',
  confirmed: 'blue',
  rejected: 'default',
};

/**
 * A held study's decision: confirm (a reason is required and recorded) or reject (a reason may
 * be given). One dialog for both, so the two can never be confused with each other.
 */
function DecideHeld({
  arrival,
  decision,
  onDone,
}: {
  arrival: WorklistArrival;
  decision: 'confirm' | 'reject';
  onDone: () => void;
}) {
  const { t } = useI18n();
  const { ct } = useConsultText();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const confirming = decision === 'confirm';
  return (
    <>
      <Button
        size="small"
        type={confirming ? 'primary' : 'default'}
        danger={!confirming}
        onClick={() => setOpen(true)}
        data-testid={`arrival-${decision}`}
      >
        {ct(confirming ? 'exam.confirm' : 'exam.reject')}
      </Button>
      <Modal
        open={open}
        title={ct(confirming ? 'exam.confirmTitle' : 'exam.rejectTitle')}
        okButtonProps={{
          disabled: confirming && !reason.trim(),
          danger: !confirming,
          'data-testid': `arrival-${decision}-ok`,
        }}
        confirmLoading={busy}
        onCancel={() => setOpen(false)}
        onOk={async () => {
          setBusy(true);
          try {
            const text = reason.trim();
            if (confirming) await worklistApi.confirm(arrival.id, { reason: text });
            else await worklistApi.reject(arrival.id, text ? { reason: text } : {});
            setOpen(false);
            onDone();
          } catch (e) {
            void message.error(errorMessage(t, e));
            onDone();
          } finally {
            setBusy(false);
          }
        }}
      >
        <Input.TextArea
          rows={3}
          maxLength={500}
          placeholder={ct(confirming ? 'exam.confirmReason' : 'exam.rejectReason')}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid={`arrival-${decision}-reason`}
        />
      </Modal>
    </>
  );
}

function ArrivalItem({ a, onDecided }: { a: WorklistArrival; onDecided: () => void }) {
  const { ct } = useConsultText();
  const p = a.imagePatient;
  const differs = a.mismatches.map((m) => ct(`exam.field.${m}`)).join('、');
  return (
    <List.Item
      data-testid="arrival"
      data-status={a.status}
      actions={
        a.status === 'held'
          ? [
              <DecideHeld key="c" arrival={a} decision="confirm" onDone={onDecided} />,
              <DecideHeld key="r" arrival={a} decision="reject" onDone={onDecided} />,
            ]
          : []
      }
    >
      <List.Item.Meta
        title={
          <Space>
            <Tag color={STATUS_COLOR[a.status]}>{ct(`exam.status.${a.status}`)}</Tag>
            {a.studyDescription ?? a.modalities.join(', ')}
            <span>{when(a.arrivedAt)}</span>
          </Space>
        }
        description={
          <Space orientation="vertical" size={0}>
            <span>
              {ct('exam.imagePatient')}：{p.name ?? '—'} · {p.id ?? '—'} · {p.sex ?? '—'} ·{' '}
              {p.birthDate ?? '—'}
            </span>
            {a.mismatches.length ? (
              <span data-testid="arrival-differs">{ct('exam.differs', { fields: differs })}</span>
            ) : null}
            {a.decisionReason ? <span>{a.decisionReason}</span> : null}
          </Space>
        }
      />
    </List.Item>
  );
}

/** How often the requester's page asks whether the exam's images came back, while it waits for them. */
const WAITING_POLL_MS = 10_000;

/**
 * The exam a request asked of its own centre's modality (modality worklist): its accession
 * number, and for the requesting centre the images that came back with it, a study held because
 * its patient differs first, with confirm (reason required) and reject.
 */
export function RequestedExamPanel({
  c,
  requester,
  onChanged,
}: {
  c: ConsultationDetail;
  requester: boolean;
  onChanged: () => void;
}) {
  const { ct } = useConsultText();
  const exam = c.requestedExam;
  const arrivals = useApiData(
    () => (exam && requester ? worklistApi.arrivals(c.id) : Promise.resolve([])),
    [c.id, exam?.accessionNumber, requester],
  );
  const list = arrivals.data ?? [];
  // The images come from the modality, not from this page: while none has come, ask again now and
  // then (only while the page is in view), so the doctor sees them arrive without reloading.
  const waiting = !!exam && requester && !list.some((a) => a.status !== 'rejected');
  const { reload } = arrivals;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, WAITING_POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);
  // A study that attached itself is one of the request's images: the page shows them afresh
  // (counted from the first answer on, so opening the page reloads nothing).
  const loaded = arrivals.data !== undefined;
  const attached = list.filter((a) => a.status === 'attached').length;
  const seenAttached = useRef<number | null>(null);
  useEffect(() => {
    if (!loaded) return;
    if (seenAttached.current !== null && attached > seenAttached.current) onChanged();
    seenAttached.current = attached;
  }, [loaded, attached, onChanged]);
  if (!exam) return null;
  const held = list.filter((a) => a.status === 'held');
  const decided = () => {
    arrivals.reload();
    onChanged();
  };
  return (
    <Card title={ct('exam.title')} size="small" data-testid="requested-exam">
      <Descriptions column={3} size="small">
        <Descriptions.Item label={ct('exam.modality')}>{exam.modality}</Descriptions.Item>
        <Descriptions.Item label={ct('exam.procedure')}>{exam.procedure}</Descriptions.Item>
        <Descriptions.Item label={ct('exam.accession')}>
          <span data-testid="exam-accession">{exam.accessionNumber}</span>
        </Descriptions.Item>
      </Descriptions>
      {requester && !list.some((a) => a.status !== 'rejected') ? (
        <Alert type="info" showIcon title={ct('exam.waiting')} />
      ) : null}
      {held.length ? (
        <Alert
          style={{ marginTop: 8 }}
          type="warning"
          showIcon
          title={ct('exam.held')}
          description={ct('exam.heldHint')}
          data-testid="held-studies"
        />
      ) : null}
      {list.length ? (
        <List
          size="small"
          header={ct('exam.arrivals')}
          dataSource={[...held, ...list.filter((a) => a.status !== 'held')]}
          rowKey="id"
          renderItem={(a) => <ArrivalItem a={a} onDecided={decided} />}
        />
      ) : null}
    </Card>
  );
}
