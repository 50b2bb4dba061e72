import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  Select,
  Space,
  Steps,
  Table,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { EXAM_MODALITIES } from '@huizhen/contract';
import {
  CONSULTATION_MODES,
  consultationsApi,
  URGENCIES,
  type ConsultationInput,
} from '../api/consultations';
import { patientsApi } from '../api/patients';
import type { Patient } from '../api/types';
import type { PatientMismatchConfirmation, StudyPatientComparison } from '@huizhen/contract';
import { useI18n } from '../i18n/I18nProvider';
import { ageOf } from '../pages/patients/format';
import { PatientMismatchModal, patientMismatchOf } from '../pages/patients/PatientMismatchModal';
import { errorMessage } from '../shell/States';
import { useApiData } from '../shell/useApiData';
import { useSpecialtyLabel } from '../shell/useDirectoryTerms';
import { StudyUploader, type UploadSummary } from './StudyUploader';
import { useConsultText } from './text';

interface Details {
  specialty: string;
  urgency: ConsultationInput['urgency'];
  mode: ConsultationInput['mode'];
  clinicalQuestion: string;
  history?: string;
  /** An exam this centre performs for the request: it goes on its modality worklist. */
  examModality?: string;
  examProcedure?: string;
}

/** Patient → images (uploaded while the doctor goes on) → question → review and submit. */
export function NewConsultationPage() {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const specialty = useSpecialtyLabel();
  const [step, setStep] = useState(0);
  const [q, setQ] = useState('');
  const [patient, setPatient] = useState<Patient | null>(null);
  const [upload, setUpload] = useState<UploadSummary>({
    studyInstanceUids: [],
    busy: false,
    files: 0,
    done: 0,
  });
  const [form] = Form.useForm<Details>();
  const [details, setDetails] = useState<Details | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A 409 patient_mismatch: the studies to confirm, and whether the send was a submit.
  const [mismatch, setMismatch] = useState<{
    studies: StudyPatientComparison[];
    submit: boolean;
  } | null>(null);
  const patients = useApiData(() => patientsApi.search({ q: q || undefined, limit: 10 }), [q]);

  const next = async () => {
    setError(null);
    if (step === 0 && !patient) return setError(ct('wizard.patientRequired'));
    if (step === 1 && upload.busy) return setError(ct('wizard.uploadBusy'));
    if (step === 2) setDetails(await form.validateFields());
    setStep(step + 1);
  };

  const send = async (submit: boolean, patientMismatches?: PatientMismatchConfirmation[]) => {
    if (!patient || !details) return;
    setBusy(true);
    setError(null);
    try {
      const created = await consultationsApi.create({
        patientId: patient.id,
        specialty: details.specialty,
        urgency: details.urgency,
        mode: details.mode,
        clinicalQuestion: details.clinicalQuestion,
        ...(details.history?.trim() ? { history: details.history.trim() } : {}),
        ...(details.examModality && details.examProcedure?.trim()
          ? {
              requestedExam: {
                modality: details.examModality,
                procedure: details.examProcedure.trim(),
              },
            }
          : {}),
        studyInstanceUids: upload.studyInstanceUids,
        ...(patientMismatches ? { patientMismatches } : {}),
        submit,
      });
      setMismatch(null);
      void message.success(ct('wizard.submitted'));
      navigate(`/consultations/${created.id}`);
    } catch (e) {
      const studies = patientMismatchOf(e);
      if (studies) setMismatch({ studies, submit });
      else {
        setMismatch(null);
        setError(errorMessage(t, e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {ct('wizard.title')}
        </Typography.Title>
      }
      extra={<Button onClick={() => navigate('/consultations')}>{t('common.cancel')}</Button>}
    >
      <Steps
        current={step}
        style={{ marginBottom: 24 }}
        items={(['patient', 'images', 'details', 'review'] as const).map((s) => ({
          title: ct(`wizard.step.${s}`),
        }))}
      />
      {error ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          title={<span data-testid="wizard-error">{error}</span>}
        />
      ) : null}

      <div style={{ display: step === 0 ? 'block' : 'none' }} data-testid="wizard-patient">
        <Input.Search
          placeholder={ct('wizard.patientSearch')}
          allowClear
          enterButton={t('common.search')}
          style={{ width: 360, marginBottom: 12 }}
          onSearch={(v) => setQ(v.trim())}
          data-testid="wizard-patient-search"
        />
        <Table<Patient>
          rowKey="id"
          size="small"
          loading={patients.loading}
          dataSource={patients.data?.items ?? []}
          pagination={false}
          rowSelection={{
            type: 'radio',
            selectedRowKeys: patient ? [patient.id] : [],
            onChange: (_, rows) => setPatient(rows[0] ?? null),
          }}
          onRow={(p) => ({ onClick: () => setPatient(p) })}
          columns={[
            { title: t('patient.name'), dataIndex: 'name' },
            {
              title: t('patient.sex'),
              dataIndex: 'sex',
              width: 80,
              render: (s: Patient['sex']) => t(`sex.${s}`),
            },
            { title: t('patient.birthDate'), dataIndex: 'birthDate', width: 130 },
            {
              title: t('patient.age'),
              key: 'age',
              width: 80,
              render: (_, p) => ageOf(p.birthDate),
            },
          ]}
        />
      </div>

      {/* Kept mounted: uploads go on while the doctor fills in the question. */}
      <div style={{ display: step === 1 ? 'block' : 'none' }} data-testid="wizard-images">
        <StudyUploader onChange={setUpload} />
      </div>

      <div style={{ display: step === 2 ? 'block' : 'none' }}>
        <Form
          form={form}
          layout="vertical"
          initialValues={{ urgency: 'routine', mode: 'imaging_read', specialty: 'radiology' }}
          style={{ maxWidth: 720 }}
          data-testid="wizard-details"
        >
          <Space size={16} style={{ display: 'flex' }}>
            <Form.Item
              name="specialty"
              label={ct('wizard.specialty')}
              rules={[{ required: true, message: ct('wizard.specialtyRequired') }]}
              style={{ width: 220 }}
            >
              <Select showSearch optionFilterProp="label" options={specialty.options} />
            </Form.Item>
            <Form.Item name="urgency" label={ct('wizard.urgency')} style={{ width: 160 }}>
              <Select options={URGENCIES.map((u) => ({ value: u, label: ct(`urgency.${u}`) }))} />
            </Form.Item>
            <Form.Item name="mode" label={ct('wizard.mode')} style={{ width: 200 }}>
              <Select
                options={CONSULTATION_MODES.map((m) => ({ value: m, label: ct(`mode.${m}`) }))}
              />
            </Form.Item>
          </Space>
          <Form.Item
            name="clinicalQuestion"
            label={ct('wizard.question')}
            rules={[{ required: true, whitespace: true, message: ct('wizard.questionRequired') }]}
          >
            <Input.TextArea rows={3} maxLength={4000} showCount />
          </Form.Item>
          <Form.Item name="history" label={ct('wizard.history')}>
            <Input.TextArea rows={4} maxLength={20000} />
          </Form.Item>
          <Space size={16} style={{ display: 'flex' }}>
            <Form.Item name="examModality" label={ct('exam.modality')} style={{ width: 220 }}>
              <Select
                allowClear
                placeholder={ct('wizard.noExam')}
                options={EXAM_MODALITIES.map((m) => ({ value: m, label: m }))}
                data-testid="wizard-exam-modality"
              />
            </Form.Item>
            <Form.Item
              name="examProcedure"
              label={ct('exam.procedure')}
              dependencies={['examModality']}
              rules={[
                ({ getFieldValue }) => ({
                  required: !!getFieldValue('examModality'),
                  whitespace: true,
                  message: ct('wizard.procedureRequired'),
                }),
              ]}
              style={{ width: 360 }}
            >
              <Input maxLength={64} data-testid="wizard-exam-procedure" />
            </Form.Item>
          </Space>
        </Form>
      </div>

      {step === 3 && patient && details ? (
        <Descriptions bordered column={2} size="small" data-testid="wizard-review">
          <Descriptions.Item label={ct('detail.patient')}>
            {patient.name}（{t(`sex.${patient.sex}`)}，{ageOf(patient.birthDate)}）
          </Descriptions.Item>
          <Descriptions.Item label={ct('wizard.specialty')}>
            {specialty.label(details.specialty)}
          </Descriptions.Item>
          <Descriptions.Item label={ct('wizard.urgency')}>
            {ct(`urgency.${details.urgency}`)}
          </Descriptions.Item>
          <Descriptions.Item label={ct('wizard.mode')}>
            {ct(`mode.${details.mode}`)}
          </Descriptions.Item>
          <Descriptions.Item label={ct('detail.images')} span={2}>
            {upload.studyInstanceUids.length
              ? ct('upload.summary', {
                  done: upload.done,
                  total: upload.files,
                  studies: upload.studyInstanceUids.length,
                })
              : ct('wizard.noImages')}
          </Descriptions.Item>
          <Descriptions.Item label={ct('detail.question')} span={2}>
            {details.clinicalQuestion}
          </Descriptions.Item>
          <Descriptions.Item label={ct('detail.history')} span={2}>
            {details.history || '—'}
          </Descriptions.Item>
          <Descriptions.Item label={ct('exam.title')} span={2}>
            {details.examModality
              ? `${details.examModality} · ${details.examProcedure ?? ''}`
              : ct('wizard.noExam')}
          </Descriptions.Item>
        </Descriptions>
      ) : null}

      <Space style={{ marginTop: 24 }}>
        {step > 0 ? <Button onClick={() => setStep(step - 1)}>{ct('wizard.prev')}</Button> : null}
        {step < 3 ? (
          <Button
            type="primary"
            onClick={() => void next().catch(() => undefined)}
            data-testid="wizard-next"
          >
            {ct('wizard.next')}
          </Button>
        ) : (
          <>
            <Button onClick={() => void send(false)} loading={busy}>
              {ct('wizard.saveDraft')}
            </Button>
            <Button
              type="primary"
              onClick={() => void send(true)}
              loading={busy}
              data-testid="wizard-submit"
            >
              {ct('wizard.submit')}
            </Button>
          </>
        )}
      </Space>
      <PatientMismatchModal
        studies={mismatch?.studies ?? null}
        busy={busy}
        onCancel={() => setMismatch(null)}
        onConfirm={(reason) =>
          void send(
            mismatch?.submit ?? false,
            (mismatch?.studies ?? []).map((s) => ({
              studyInstanceUid: s.studyInstanceUid,
              reason,
            })),
          )
        }
      />
    </Card>
  );
}
