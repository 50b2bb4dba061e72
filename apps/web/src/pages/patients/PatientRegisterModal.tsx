import { Alert, DatePicker, Form, Input, Modal, Select } from 'antd';
import type { Dayjs } from 'dayjs';
import dayjs from 'dayjs';
import { useState } from 'react';
import { patientsApi } from '../../api/patients';
import { readResidentId } from '@huizhen/contract';
import { SEXES, type Patient, type PatientInput, type Sex } from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { errorMessage } from '../../shell/States';

interface FormValues {
  name: string;
  sex: Sex;
  birthDate: Dayjs;
  nationalId?: string;
  phone?: string;
  address?: string;
}

/** Only fields the person filled in are sent: the API rejects unknown or empty-for-nothing fields. */
export function patientInputFrom(values: FormValues): PatientInput {
  const input: PatientInput = {
    name: values.name.trim(),
    sex: values.sex,
    birthDate: values.birthDate.format('YYYY-MM-DD'),
  };
  const nationalId = values.nationalId?.trim().toUpperCase();
  if (nationalId) input.nationalId = nationalId;
  if (values.phone?.trim()) input.phone = values.phone.trim();
  if (values.address?.trim()) input.address = values.address.trim();
  return input;
}

export function PatientRegisterModal({
  open,
  onClose,
  onRegistered,
}: {
  open: boolean;
  onClose: () => void;
  onRegistered: (p: Patient) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<FormValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [filledFromId, setFilledFromId] = useState(false);

  // A valid national ID says the sex and birth date (GB 11643): fill what is still empty.
  const readNationalId = (raw: string | undefined) => {
    const facts = raw ? readResidentId(raw) : null;
    if (!facts) return setFilledFromId(false);
    const { sex, birthDate } = form.getFieldsValue(['sex', 'birthDate']);
    form.setFieldsValue({
      ...(sex ? {} : { sex: facts.sex }),
      ...(birthDate ? {} : { birthDate: dayjs(facts.birthDate) }),
    });
    setFilledFromId(!sex || !birthDate);
  };

  const submit = async () => {
    const values = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      const patient = await patientsApi.register(patientInputFrom(values));
      form.resetFields();
      onRegistered(patient);
    } catch (e) {
      setError(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('patients.register')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => void submit().catch(() => undefined)}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      width={560}
    >
      {error ? (
        <Alert
          type="error"
          showIcon
          title={<span data-testid="register-error">{error}</span>}
          style={{ marginBottom: 16 }}
        />
      ) : null}
      <Form form={form} layout="vertical" requiredMark data-testid="patient-register-form">
        <Form.Item
          name="name"
          label={t('patient.name')}
          rules={[{ required: true, whitespace: true, message: t('patient.nameRequired') }]}
        >
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item
          name="nationalId"
          label={t('patient.nationalId')}
          extra={filledFromId ? t('patient.filledFromNationalId') : t('patient.nationalIdHint')}
          rules={[
            { pattern: /^\d{17}[\dXx]$/, message: t('patient.nationalIdInvalid') },
            {
              validator: (_, v?: string) =>
                !v || !/^\d{17}[\dXx]$/.test(v) || readResidentId(v)
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('patient.nationalIdChecksum'))),
            },
          ]}
        >
          <Input
            maxLength={18}
            inputMode="text"
            autoComplete="off"
            data-testid="patient-national-id"
            onChange={(e) => readNationalId(e.target.value)}
          />
        </Form.Item>
        <div className="form-row">
          <Form.Item
            name="sex"
            label={t('patient.sex')}
            rules={[{ required: true, message: t('patient.sexRequired') }]}
            style={{ flex: 1 }}
          >
            <Select options={SEXES.map((s) => ({ value: s, label: t(`sex.${s}`) }))} />
          </Form.Item>
          <Form.Item
            name="birthDate"
            label={t('patient.birthDate')}
            rules={[{ required: true, message: t('patient.birthDateRequired') }]}
            style={{ flex: 1 }}
          >
            <DatePicker
              style={{ width: '100%' }}
              disabledDate={(d) => d.isAfter(dayjs())}
              format="YYYY-MM-DD"
            />
          </Form.Item>
        </div>
        <Form.Item
          name="phone"
          label={t('patient.phone')}
          rules={[{ pattern: /^[+\d][\d\s-]{5,19}$/, message: t('patient.phoneInvalid') }]}
        >
          <Input maxLength={20} />
        </Form.Item>
        <Form.Item name="address" label={t('patient.address')}>
          <Input maxLength={200} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
