import { Alert, App, Button, Card, Form, Input, Popconfirm, Select, Space } from 'antd';
import { useEffect, useState } from 'react';
import {
  consultationsApi,
  RECOMMENDATIONS,
  type ConsultationReport,
  type Recommendation,
  type ReportDraft,
} from '../api/consultations';
import { organizationsApi } from '../api/directory';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { useConsultText } from './text';

interface Values {
  findings: string;
  impression: string;
  recommendation?: Recommendation;
  referralOrganizationId?: string;
  freeText?: string;
}

/** The assigned specialist's report: drafts are saved on the server, signing freezes it. */
export function ReportEditor({
  id,
  draft,
  onSigned,
}: {
  id: string;
  draft: ConsultationReport | null;
  onSigned: () => void;
}) {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState<'save' | 'sign' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const recommendation = Form.useWatch('recommendation', form);
  const hospitals = useApiData(
    () =>
      recommendation === 'refer_to_named_hospital'
        ? Promise.all(
            (['county_hospital', 'city_hospital', 'province_hub'] as const).map((level) =>
              organizationsApi.list({ level }),
            ),
          ).then((pages) => pages.flatMap((p) => p.items))
        : Promise.resolve([]),
    [recommendation],
  );
  useEffect(() => {
    if (draft)
      form.setFieldsValue({
        findings: draft.findings,
        impression: draft.impression,
        recommendation: draft.recommendation ?? undefined,
        referralOrganizationId: draft.referralOrganizationId ?? undefined,
        freeText: draft.freeText,
      });
  }, [draft, form]);

  const body = (v: Values): ReportDraft => ({
    findings: v.findings ?? '',
    impression: v.impression ?? '',
    ...(v.recommendation ? { recommendation: v.recommendation } : {}),
    ...(v.recommendation === 'refer_to_named_hospital' && v.referralOrganizationId
      ? { referralOrganizationId: v.referralOrganizationId }
      : {}),
    freeText: v.freeText ?? '',
  });

  const save = async () => {
    setBusy('save');
    setError(null);
    try {
      await consultationsApi.saveReport(id, body(form.getFieldsValue()));
      void message.success(ct('report.saved'));
    } catch (e) {
      setError(errorMessage(t, e));
    } finally {
      setBusy(null);
    }
  };

  const sign = async () => {
    let values: Values;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    setBusy('sign');
    setError(null);
    try {
      await consultationsApi.saveReport(id, body(values));
      await consultationsApi.signReport(id);
      void message.success(ct('report.signed'));
      onSigned();
    } catch (e) {
      setError(errorMessage(t, e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title={ct('report.editorTitle')} data-testid="report-editor">
      {error ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          title={<span data-testid="report-error">{error}</span>}
        />
      ) : null}
      <Form form={form} layout="vertical">
        <Form.Item
          name="findings"
          label={ct('report.findings')}
          rules={[{ required: true, whitespace: true, message: ct('report.required') }]}
        >
          <Input.TextArea rows={5} maxLength={20000} data-testid="report-findings-input" />
        </Form.Item>
        <Form.Item
          name="impression"
          label={ct('report.impression')}
          rules={[{ required: true, whitespace: true, message: ct('report.required') }]}
        >
          <Input.TextArea rows={3} maxLength={20000} data-testid="report-impression-input" />
        </Form.Item>
        <Space size={16} style={{ display: 'flex' }} align="start">
          <Form.Item
            name="recommendation"
            label={ct('report.recommendation')}
            rules={[{ required: true, message: ct('report.required') }]}
            style={{ width: 240 }}
          >
            <Select
              data-testid="report-recommendation"
              options={RECOMMENDATIONS.map((r) => ({ value: r, label: ct(`recommendation.${r}`) }))}
            />
          </Form.Item>
          {recommendation === 'refer_to_named_hospital' ? (
            <Form.Item
              name="referralOrganizationId"
              label={ct('report.referralHospital')}
              rules={[{ required: true, message: ct('report.required') }]}
              style={{ width: 320 }}
            >
              <Select
                showSearch
                optionFilterProp="label"
                loading={hospitals.loading}
                options={(hospitals.data ?? []).map((o) => ({ value: o.id, label: o.name }))}
              />
            </Form.Item>
          ) : null}
        </Space>
        <Form.Item name="freeText" label={ct('report.freeText')}>
          <Input.TextArea rows={2} maxLength={20000} />
        </Form.Item>
      </Form>
      <Space>
        <Button onClick={() => void save()} loading={busy === 'save'} data-testid="report-save">
          {ct('report.saveDraft')}
        </Button>
        <Popconfirm
          title={ct('report.signConfirm')}
          onConfirm={() => void sign()}
          okText={ct('report.sign')}
          cancelText={t('common.cancel')}
        >
          <Button type="primary" loading={busy === 'sign'} data-testid="report-sign">
            {ct('report.sign')}
          </Button>
        </Popconfirm>
      </Space>
    </Card>
  );
}
