import { Button, Card, Descriptions, Space, Spin } from 'antd';
import { useNavigate, useParams } from 'react-router-dom';
import { patientsApi } from '../../api/patients';
import { useI18n } from '../../i18n/I18nProvider';
import { ErrorState } from '../../shell/States';
import { useApiData } from '../../shell/useApiData';
import { ageOf } from './format';

export function PatientDetailPage() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const { data: p, error, loading, reload } = useApiData(() => patientsApi.get(id), [id]);
  if (error) return <ErrorState error={error} onRetry={reload} />;
  if (loading || !p) return <Spin />;
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card
        title={<span data-testid="patient-name">{p.name}</span>}
        extra={<Button onClick={() => navigate('/patients')}>{t('common.back')}</Button>}
      >
        <Descriptions column={2} size="small">
          <Descriptions.Item label={t('patient.sex')}>{t(`sex.${p.sex}`)}</Descriptions.Item>
          <Descriptions.Item label={t('patient.birthDate')}>
            {p.birthDate}（{t('patient.age')} {ageOf(p.birthDate)}）
          </Descriptions.Item>
          <Descriptions.Item label={t('patient.nationalId')}>
            {p.nationalIdMasked || t('common.none')}
          </Descriptions.Item>
          <Descriptions.Item label={t('patient.phone')}>
            {p.phone || t('common.none')}
          </Descriptions.Item>
          <Descriptions.Item label={t('patient.address')} span={2}>
            {p.address || t('common.none')}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('patient.consultations')}>
        <Button type="primary" onClick={() => navigate('/consultations/new')}>
          {t('nav.consultations')}
        </Button>
      </Card>
    </Space>
  );
}
