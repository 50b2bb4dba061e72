import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Input,
  Modal,
  Row,
  Space,
  Spin,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { consultationsApi, type ConsultationDetail } from '../api/consultations';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import { useLiveEvent } from '../live/LiveEvents';
import { ageOf } from '../pages/patients/format';
import { ErrorState, errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { useSpecialtyLabel } from '../shell/useDirectoryTerms';
import { ConsultationThread } from './ConsultationThread';
import { StatusTag, UrgencyTag, when, type PlatformEvent } from './labels';
import { ReportEditor } from './ReportEditor';
import { SignedReport } from './ReportPanel';
import { StatusTimeline } from './StatusTimeline';
import { CallRecords } from './CallRecords';
import { StudyImages } from './StudyImages';
import { RequestedExamPanel } from './RequestedExamPanel';
import { useConsultText } from './text';
import { prefetchRoomChunk, prefetchRoomTicket } from '../video-room/prefetch';

const WRITING = ['claimed', 'scheduled', 'in_session'];
const SIGNED = ['reported', 'closed'];

function ReportSection({ c, reload }: { c: ConsultationDetail; reload: () => void }) {
  const { ct } = useConsultText();
  const { profile } = useAuth();
  const author = c.assignedSpecialistId === profile?.id && WRITING.includes(c.status);
  const report = useApiData(
    () =>
      author || SIGNED.includes(c.status) ? consultationsApi.report(c.id) : Promise.resolve(null),
    [c.id, c.status, author],
  );
  // A signed addendum arrives live (not on every event: the author's unsaved draft must survive them).
  useLiveEvent<PlatformEvent>('event', (e) => {
    if (e.type === 'consultation.report_amended' && e.data?.consultationId === c.id)
      report.reload();
  });
  if (report.loading) return <Spin />;
  if (report.error) return <ErrorState error={report.error} onRetry={report.reload} />;
  if (author) return <ReportEditor id={c.id} draft={report.data ?? null} onSigned={reload} />;
  // The reporting specialist may amend the signed report with signed addenda.
  if (report.data?.signed)
    return (
      <SignedReport
        c={c}
        report={report.data}
        mayAmend={c.assignedSpecialistId === profile?.id}
        onAmended={report.reload}
      />
    );
  return (
    <Card title={ct('report.title')}>
      <Empty
        image={Empty.PRESENTED_IMAGE_SIMPLE}
        description={<span data-testid="report-pending">{ct('report.pending')}</span>}
      />
    </Card>
  );
}

/** Asks a reason, then makes the transition (decline, cancel). */
function ReasonButton({
  label,
  title,
  run,
}: {
  label: string;
  title: string;
  run: (reason: string) => Promise<unknown>;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <>
      <Button danger onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal
        open={open}
        title={label}
        okButtonProps={{ disabled: !reason.trim() }}
        confirmLoading={busy}
        onCancel={() => setOpen(false)}
        onOk={async () => {
          setBusy(true);
          try {
            await run(reason.trim());
            setOpen(false);
          } catch (e) {
            void message.error(errorMessage(t, e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Typography.Text>{title}</Typography.Text>
        <Input.TextArea
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={2000}
        />
      </Modal>
    </>
  );
}

/** The join button shows (and the room is prefetched) for a live consultation's assigned specialist and requester. */
function roomJoinable(
  c: ConsultationDetail,
  me: string | undefined,
  org: string | undefined,
  roles: readonly string[] | undefined,
): boolean {
  const requester =
    c.myParticipation === 'requester' ||
    (org === c.requestingOrganizationId && !!roles?.includes('township_doctor'));
  return (
    c.mode !== 'imaging_read' &&
    ['claimed', 'scheduled', 'in_session'].includes(c.status) &&
    (c.assignedSpecialistId === me || requester)
  );
}

/** One request, for the township doctor who sent it and for the specialists who read it. */
export function ConsultationDetailPage({ from }: { from: 'consultations' | 'worklist' }) {
  const { id = '' } = useParams();
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const { profile } = useAuth();
  const navigate = useNavigate();
  const specialty = useSpecialtyLabel();
  const detail = useApiData(() => consultationsApi.get(id), [id]);
  const [claiming, setClaiming] = useState(false);
  useLiveEvent<PlatformEvent>('event', (e) => {
    if (
      e.data?.consultationId === id &&
      e.type !== 'consultation.message' &&
      e.type !== 'consultation.read'
    )
      detail.reload();
  });

  // The live room is open to this user: load the room's code and a room token now, so the join click goes straight in.
  const joinable =
    !!detail.data &&
    roomJoinable(detail.data, profile?.id, profile?.organizationId, profile?.roles);
  useEffect(() => {
    if (!joinable) return;
    prefetchRoomChunk();
    prefetchRoomTicket(id);
  }, [joinable, id]);

  if (detail.error) return <ErrorState error={detail.error} onRetry={detail.reload} />;
  const c = detail.data;
  if (!c) return <Spin />;
  const specialist = profile?.roles.includes('specialist') ?? false;
  const assignedToMe = c.assignedSpecialistId === profile?.id;
  const requester =
    c.myParticipation === 'requester' ||
    (profile?.organizationId === c.requestingOrganizationId &&
      profile.roles.includes('township_doctor'));
  const can = (tr: string) => c.allowedTransitions.includes(tr as never);
  const studyUids = c.attachments
    .filter((a) => a.kind === 'imaging_study' && a.studyInstanceUid)
    .map((a) => a.studyInstanceUid!);
  const assigned = c.participants.find((p) => p.role === 'assigned_specialist');

  const claim = async () => {
    setClaiming(true);
    try {
      await consultationsApi.claim(c.id);
      detail.reload();
    } catch (e) {
      void message.error(errorMessage(t, e));
      detail.reload();
    } finally {
      setClaiming(false);
    }
  };

  return (
    <Space
      orientation="vertical"
      size={16}
      style={{ width: '100%' }}
      data-testid="consultation-detail"
      data-status={c.status}
    >
      <Card
        title={
          <Space>
            <Typography.Title level={4} style={{ margin: 0 }} data-testid="detail-patient">
              {c.patient.name}
            </Typography.Title>
            <StatusTag status={c.status} />
            <UrgencyTag urgency={c.urgency} />
          </Space>
        }
        extra={
          <Space>
            {specialist && can('claim') ? (
              <Button
                type="primary"
                onClick={() => void claim()}
                loading={claiming}
                data-testid="detail-claim"
              >
                {ct('detail.claim')}
              </Button>
            ) : null}
            {assignedToMe && can('decline') ? (
              <ReasonButton
                label={ct('detail.decline')}
                title={ct('detail.declineReason')}
                run={(r) => consultationsApi.decline(c.id, r).then(() => navigate('/worklist'))}
              />
            ) : null}
            {requester && can('submit') ? (
              <Button
                type="primary"
                onClick={() =>
                  void consultationsApi
                    .submit(c.id)
                    .then(detail.reload, (e) => message.error(errorMessage(t, e)))
                }
              >
                {ct('wizard.submit')}
              </Button>
            ) : null}
            {requester && can('cancel') ? (
              <ReasonButton
                label={ct('detail.cancel')}
                title={ct('detail.cancelReason')}
                run={(r) => consultationsApi.cancel(c.id, r).then(detail.reload)}
              />
            ) : null}
            {joinable ? (
              <Button
                type="primary"
                onClick={() => navigate(`/room/${c.id}`)}
                data-testid="detail-join-room"
              >
                {ct('detail.joinRoom')}
              </Button>
            ) : null}
            {joinable ? (
              <Button
                onClick={() => navigate(`/room/${c.id}?check=1`)}
                data-testid="detail-check-room"
              >
                {ct('detail.checkRoom')}
              </Button>
            ) : null}
            <Button onClick={() => navigate(`/${from}`)}>{ct('detail.back')}</Button>
          </Space>
        }
      >
        <Descriptions column={3} size="small">
          <Descriptions.Item label={ct('detail.patient')}>
            {t(`sex.${c.patient.sex}`)}，{ageOf(c.patient.birthDate)}
          </Descriptions.Item>
          <Descriptions.Item label={ct('col.specialty')}>
            {specialty.label(c.specialty)}
          </Descriptions.Item>
          <Descriptions.Item label={ct('col.mode')}>{ct(`mode.${c.mode}`)}</Descriptions.Item>
          <Descriptions.Item label={ct('detail.requester')}>
            {c.requesterName}（{c.requestingOrganizationName}）
          </Descriptions.Item>
          <Descriptions.Item label={ct('col.created')}>{when(c.createdAt)}</Descriptions.Item>
          <Descriptions.Item label={ct('col.specialist')}>
            {assigned?.displayName ?? '—'}
          </Descriptions.Item>
          <Descriptions.Item label={ct('detail.question')} span={3}>
            <span data-testid="detail-question">{c.clinicalQuestion}</span>
          </Descriptions.Item>
          {c.history ? (
            <Descriptions.Item label={ct('detail.history')} span={3}>
              <span style={{ whiteSpace: 'pre-wrap' }}>{c.history}</span>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
        {c.queue ? (
          <Alert
            style={{ marginTop: 8 }}
            type="info"
            showIcon
            title={ct('detail.queue', {
              level: c.queue.level ? ct(`level.${c.queue.level}`) : '—',
              deadline: when(c.queue.deadlineAt),
            })}
          />
        ) : null}
        {assignedToMe && WRITING.includes(c.status) ? (
          <Alert style={{ marginTop: 8 }} type="success" showIcon title={ct('detail.claimed')} />
        ) : null}
      </Card>
      <Row gutter={16}>
        <Col span={17}>
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <RequestedExamPanel c={c} requester={requester} onChanged={detail.reload} />
            <StudyImages studyUids={studyUids} />
            <ReportSection c={c} reload={detail.reload} />
          </Space>
        </Col>
        {/* Progress and messages stay in view while the reader scrolls through images and report. */}
        <Col span={7} style={{ position: 'sticky', top: 16, alignSelf: 'flex-start' }}>
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <Card title={ct('detail.timeline')} size="small">
              <StatusTimeline c={c} />
            </Card>
            {c.mode !== 'imaging_read' || c.calls.length ? (
              <Card title={ct('calls.title')} size="small">
                <CallRecords c={c} />
              </Card>
            ) : null}
            <ConsultationThread
              id={c.id}
              open={
                !['closed', 'cancelled', 'expired'].includes(c.status) &&
                (requester || c.myParticipation !== null)
              }
            />
          </Space>
        </Col>
      </Row>
    </Space>
  );
}
