import { Button, Card, Input, Space, Table, Typography, message } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { patientsApi } from '../../api/patients';
import type { Patient } from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { EmptyState, ErrorState } from '../../shell/States';
import { useApiData } from '../../shell/useApiData';
import { ageOf } from './format';
import { PatientRegisterModal } from './PatientRegisterModal';

const PAGE_SIZE = 20;

export function PatientsPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page') ?? 1) || 1);
  const [registering, setRegistering] = useState(false);
  const [messageApi, messageHolder] = message.useMessage();
  const { data, error, loading, reload } = useApiData(
    () =>
      patientsApi.search({ q: q || undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    [q, page],
  );

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('patients.title')}
        </Typography.Title>
      }
      extra={
        <Button type="primary" onClick={() => setRegistering(true)} data-testid="register-patient">
          {t('patients.register')}
        </Button>
      }
    >
      {messageHolder}
      <Space style={{ marginBottom: 16 }}>
        <Input.Search
          key={q}
          defaultValue={q}
          placeholder={t('patients.searchPlaceholder')}
          allowClear
          enterButton={t('common.search')}
          style={{ width: 360, maxWidth: '100%' }}
          onSearch={(value) => setParams(value.trim() ? { q: value.trim() } : {})}
          data-testid="patient-search"
        />
      </Space>
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Table<Patient>
          rowKey="id"
          size="middle"
          loading={loading}
          dataSource={data?.items ?? []}
          locale={{
            emptyText: <EmptyState title={t('patients.empty')} hint={t('patients.emptyHint')} />,
          }}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: data?.total ?? 0,
            showSizeChanger: false,
            showTotal: (total) => t('common.total', { total }),
            onChange: (p) => setParams({ ...(q ? { q } : {}), page: String(p) }),
          }}
          columns={[
            {
              title: t('patient.name'),
              dataIndex: 'name',
              render: (name: string, p) => <Link to={`/patients/${p.id}`}>{name}</Link>,
            },
            {
              title: t('patient.sex'),
              dataIndex: 'sex',
              width: 90,
              render: (s: Patient['sex']) => t(`sex.${s}`),
            },
            { title: t('patient.birthDate'), dataIndex: 'birthDate', width: 130 },
            {
              title: t('patient.age'),
              key: 'age',
              width: 80,
              render: (_, p) => ageOf(p.birthDate),
            },
            {
              title: t('patient.phone'),
              dataIndex: 'phone',
              width: 160,
              render: (v?: string | null) => v || t('common.none'),
            },
            {
              title: t('patient.address'),
              dataIndex: 'address',
              ellipsis: true,
              render: (v?: string | null) => v || t('common.none'),
            },
          ]}
        />
      )}
      <PatientRegisterModal
        open={registering}
        onClose={() => setRegistering(false)}
        onRegistered={(p) => {
          setRegistering(false);
          void messageApi.success(t('patients.registered', { name: p.name }));
          navigate(`/patients/${p.id}`);
        }}
      />
    </Card>
  );
}
