import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Form,
  Input,
  Modal,
  Space,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import {
  consultationsApi,
  referralsApi,
  type ConsultationDetail,
  type ConsultationReport,
  type ReportWithAddenda,
} from '../api/consultations';
import { organizationsApi } from '../api/directory';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { when } from './labels';
import { useConsultText } from './text';

function OrganizationName({ id }: { id: string }) {
  const org = useApiData(() => organizationsApi.get(id), [id]);
  return <span data-testid="referral-hospital">{org.data?.name ?? (org.loading ? '…' : id)}</span>;
}

/** What the specialist advises next, and (for the requesting side) the referral it leads to. */
function ReferralAdvice({ c, report }: { c: ConsultationDetail; report: ConsultationReport }) {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const up =
    report.recommendation === 'refer_up' || report.recommendation === 'refer_to_named_hospital';
  const mayRefer = up && c.myParticipation === 'requester';
  const referrals = useApiData(
    () =>
      mayRefer
        ? referralsApi.list('outgoing')
        : Promise.resolve({ items: [], total: 0, limit: 0, offset: 0 }),
    [mayRefer, c.id],
  );
  // The newest of this consultation's referrals (outgoing lists newest first); a new one may be
  // sent once none is open (a withdrawn or declined referral can be followed by another).
  const mine = referrals.data?.items.find((r) => r.consultationId === c.id);
  const referralOpen = referrals.data?.items.some(
    (r) => r.consultationId === c.id && (r.status === 'requested' || r.status === 'accepted'),
  );
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ reason: string; greenChannel: boolean }>();
  if (!report.recommendation) return null;
  const create = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      await referralsApi.create({
        consultationId: c.id,
        reason: v.reason.trim(),
        greenChannel: !!v.greenChannel,
      });
      void message.success(ct('referral.created'));
      setOpen(false);
      referrals.reload();
    } catch (e) {
      void message.error(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Alert
      data-testid="referral-advice"
      data-recommendation={report.recommendation}
      type={up ? 'warning' : 'info'}
      showIcon
      title={`${ct('referral.advice')}：${ct(`recommendation.${report.recommendation}`)}`}
      description={
        <Space orientation="vertical">
          <span>{up ? ct('referral.adviceUp') : ct('referral.adviceLocal')}</span>
          {report.referralOrganizationId ? (
            <span>
              {ct('report.referralHospital')}：
              <OrganizationName id={report.referralOrganizationId} />
            </span>
          ) : null}
          {mine ? (
            <Tag color="blue">
              {ct('referral.status', { status: ct(`referral.status.${mine.status}`) })}
            </Tag>
          ) : null}
          {mayRefer && !referralOpen && !referrals.loading ? (
            <Button type="primary" onClick={() => setOpen(true)} data-testid="create-referral">
              {ct('referral.create')}
            </Button>
          ) : null}
          <Modal
            open={open}
            title={ct('referral.create')}
            onOk={() => void create().catch(() => undefined)}
            onCancel={() => setOpen(false)}
            confirmLoading={busy}
            okText={t('common.save')}
            cancelText={t('common.cancel')}
            destroyOnHidden
          >
            <Form
              form={form}
              layout="vertical"
              initialValues={{ reason: report.impression, greenChannel: false }}
            >
              <Form.Item
                name="reason"
                label={ct('referral.reason')}
                rules={[{ required: true, whitespace: true, message: ct('report.required') }]}
              >
                <Input.TextArea rows={3} maxLength={4000} />
              </Form.Item>
              <Form.Item name="greenChannel" valuePropName="checked">
                <Checkbox>{ct('referral.green')}</Checkbox>
              </Form.Item>
            </Form>
          </Modal>
        </Space>
      }
    />
  );
}

/** The reporting specialist corrects or completes a signed report with a signed addendum (the report itself never changes). */
function AddendumButton({ c, onAdded }: { c: ConsultationDetail; onAdded: () => void }) {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ text: string; impression?: string }>();
  const add = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      await consultationsApi.addAddendum(c.id, {
        text: v.text.trim(),
        ...(v.impression?.trim() ? { impression: v.impression.trim() } : {}),
      });
      void message.success(ct('addendum.added'));
      setOpen(false);
      onAdded();
    } catch (e) {
      void message.error(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button onClick={() => (form.resetFields(), setOpen(true))} data-testid="add-addendum">
        {ct('addendum.add')}
      </Button>
      <Modal
        open={open}
        title={ct('addendum.add')}
        onOk={() => void add().catch(() => undefined)}
        onCancel={() => setOpen(false)}
        confirmLoading={busy}
        okText={ct('addendum.sign')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" data-testid="addendum-form">
          <Alert type="info" showIcon title={ct('addendum.hint')} style={{ marginBottom: 12 }} />
          <Form.Item
            name="text"
            label={ct('addendum.text')}
            rules={[{ required: true, whitespace: true, message: ct('report.required') }]}
          >
            <Input.TextArea rows={4} maxLength={20000} />
          </Form.Item>
          <Form.Item name="impression" label={ct('addendum.impression')}>
            <Input.TextArea rows={2} maxLength={20000} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

/** The signed report as the township doctor reads it, with the signature checked by the server. */
export function SignedReport({
  c,
  report,
  mayAmend = false,
  onAmended,
}: {
  c: ConsultationDetail;
  report: ReportWithAddenda;
  mayAmend?: boolean;
  onAmended?: () => void;
}) {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const addenda = report.addenda;
  const check = useApiData(
    () => consultationsApi.verifyReport(c.id),
    [c.id, report.signedAt, addenda.length],
  );
  const pdf = async () => {
    try {
      const blob = await consultationsApi.reportPdf(c.id);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `会诊报告-${c.patient.name}.pdf`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      void message.error(errorMessage(t, e));
    }
  };
  return (
    <Card
      title={ct('report.title')}
      data-testid="signed-report"
      extra={
        <Space>
          {mayAmend && onAmended ? <AddendumButton c={c} onAdded={onAmended} /> : null}
          <Button onClick={() => void pdf()} data-testid="report-pdf">
            {ct('report.pdf')}
          </Button>
        </Space>
      }
    >
      <Space orientation="vertical" size={12} style={{ width: '100%' }}>
        {check.loading ? (
          <Alert type="info" title={ct('report.verifying')} icon={<Spin size="small" />} showIcon />
        ) : check.error ? (
          <Alert type="error" showIcon title={errorMessage(t, check.error)} />
        ) : check.data ? (
          <Alert
            data-testid="report-verification"
            data-valid={String(check.data.valid)}
            type={check.data.valid ? 'success' : 'error'}
            showIcon
            title={check.data.valid ? ct('report.verified') : ct('report.verifyFailed')}
            description={
              <span style={{ fontSize: 12 }}>
                {ct('report.signer')}：{check.data.signer.displayName} · {ct('report.signedAt')}：
                {when(check.data.signedAt)} · {check.data.algorithm} · {ct('report.fingerprint')}：
                <Typography.Text code>
                  {check.data.publicKeyFingerprint.slice(0, 23)}
                </Typography.Text>
              </span>
            }
          />
        ) : null}
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={ct('report.findings')}>
            <span data-testid="report-findings" style={{ whiteSpace: 'pre-wrap' }}>
              {report.findings}
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={ct('report.impression')}>
            <span data-testid="report-impression" style={{ whiteSpace: 'pre-wrap' }}>
              {report.impression}
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={ct('report.recommendation')}>
            {report.recommendation ? ct(`recommendation.${report.recommendation}`) : '—'}
          </Descriptions.Item>
          {report.freeText ? (
            <Descriptions.Item label={ct('report.freeText')}>{report.freeText}</Descriptions.Item>
          ) : null}
        </Descriptions>
        {addenda.map((a) => {
          const signed = check.data?.addenda.find((x) => x.reportId === a.id);
          return (
            <Alert
              key={a.id}
              data-testid="report-addendum"
              data-valid={signed ? String(signed.valid) : undefined}
              type={signed && !signed.valid ? 'error' : 'warning'}
              showIcon
              title={`${ct('addendum.title')} · ${when(a.signedAt ?? a.createdAt)}${signed ? ` · ${signed.signer.displayName} · ${signed.valid ? ct('report.verified') : ct('report.verifyFailed')}` : ''}`}
              description={
                <Space orientation="vertical" size={4}>
                  <span data-testid="addendum-text" style={{ whiteSpace: 'pre-wrap' }}>
                    {a.freeText}
                  </span>
                  {a.impression ? (
                    <span>
                      {ct('addendum.impression')}：
                      <span data-testid="addendum-impression">{a.impression}</span>
                    </span>
                  ) : null}
                </Space>
              }
            />
          );
        })}
        <ReferralAdvice c={c} report={report} />
      </Space>
    </Card>
  );
}
