import { Alert, Input, Modal, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import {
  MISMATCH_REASON_LENGTH,
  type PatientFieldComparisonView,
  type PatientMismatchDetails,
  type StudyPatientComparison,
} from '@huizhen/contract';
import { ApiError } from '../../api/http';
import { useI18n } from '../../i18n/I18nProvider';

/** The studies a 409 patient_mismatch names, or null for any other failure. */
export function patientMismatchOf(error: unknown): StudyPatientComparison[] | null {
  if (!(error instanceof ApiError) || error.code !== 'patient_mismatch') return null;
  const studies = (error.details as PatientMismatchDetails | undefined)?.studies;
  return Array.isArray(studies) && studies.length ? studies : null;
}

const VERDICT_COLOR = { match: 'green', mismatch: 'red', unknown: 'default' } as const;

/**
 * The image check at the door, as the doctor sees it: per study, the registered patient and the
 * DICOM header side by side, field by field, and one reason for attaching them anyway. The server
 * refuses the attach without it and keeps the reason in the audit trail.
 */
export function PatientMismatchModal({
  studies,
  busy,
  onConfirm,
  onCancel,
}: {
  studies: StudyPatientComparison[] | null;
  busy?: boolean;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const valid = reason.trim().length >= MISMATCH_REASON_LENGTH.min;
  const shown = (v: string | null) => v ?? t('patientMatch.missing');

  return (
    <Modal
      open={!!studies}
      title={t('patientMatch.title')}
      okText={t('patientMatch.confirm')}
      cancelText={t('patientMatch.back')}
      okButtonProps={{ danger: true, disabled: !valid, 'data-testid': 'mismatch-confirm' } as never}
      confirmLoading={busy}
      onOk={() => (valid ? onConfirm(reason.trim()) : setTouched(true))}
      onCancel={onCancel}
      destroyOnHidden
      width={640}
      afterClose={() => {
        setReason('');
        setTouched(false);
      }}
    >
      <div data-testid="patient-mismatch">
        <Alert
          type="warning"
          showIcon
          title={t('patientMatch.intro')}
          style={{ marginBottom: 12 }}
        />
        {(studies ?? []).map((s) => (
          <div key={s.studyInstanceUid} style={{ marginBottom: 12 }}>
            <Typography.Text type="secondary" style={{ wordBreak: 'break-all' }}>
              {t('patientMatch.study', { uid: s.studyInstanceUid })}
            </Typography.Text>
            <Table<PatientFieldComparisonView>
              rowKey="field"
              size="small"
              pagination={false}
              dataSource={s.fields}
              scroll={{ x: 'max-content' }}
              rowClassName={(f) => (f.verdict === 'mismatch' ? 'patient-mismatch-row' : '')}
              columns={[
                {
                  title: t('patientMatch.field'),
                  dataIndex: 'field',
                  render: (f: PatientFieldComparisonView['field']) => t(`patientMatch.field.${f}`),
                },
                {
                  title: t('patientMatch.registered'),
                  dataIndex: 'registered',
                  render: (v: string | null, f) =>
                    f.field === 'sex' && v ? t(`sex.${v}` as never) : shown(v),
                },
                {
                  title: t('patientMatch.header'),
                  dataIndex: 'header',
                  render: (v: string | null) => (
                    <span style={{ wordBreak: 'break-all' }}>{shown(v)}</span>
                  ),
                },
                {
                  title: t('patientMatch.verdict'),
                  dataIndex: 'verdict',
                  render: (v: PatientFieldComparisonView['verdict']) => (
                    <Tag color={VERDICT_COLOR[v]}>{t(`patientMatch.verdict.${v}`)}</Tag>
                  ),
                },
              ]}
            />
          </div>
        ))}
        <Typography.Text strong>{t('patientMatch.reason')}</Typography.Text>
        <Input.TextArea
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          onBlur={() => setTouched(true)}
          maxLength={MISMATCH_REASON_LENGTH.max}
          autoSize={{ minRows: 2, maxRows: 4 }}
          placeholder={t('patientMatch.reasonPlaceholder')}
          status={touched && !valid ? 'error' : undefined}
          data-testid="mismatch-reason"
        />
        {touched && !valid ? (
          <Typography.Text type="danger">{t('patientMatch.reasonRequired')}</Typography.Text>
        ) : null}
      </div>
    </Modal>
  );
}
