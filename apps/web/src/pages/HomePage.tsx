import { Card, Descriptions, Space, Typography, Button } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import { navigationFor } from '../shell/navigation';
import { useSpecialtyLabel } from '../shell/useDirectoryTerms';

export function HomePage() {
  const { profile } = useAuth();
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const specialties = useSpecialtyLabel();
  if (!profile) return null;
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={3} style={{ margin: 0 }} data-testid="welcome">
        {t('home.welcome', { name: profile.displayName })}
      </Typography.Title>
      <Card>
        <Descriptions column={2} size="small">
          <Descriptions.Item label={t('user.organization')}>
            {profile.organizationName}
          </Descriptions.Item>
          <Descriptions.Item label={t('user.roles')}>
            {profile.roles.map((r) => t(`role.${r}`)).join('、')}
          </Descriptions.Item>
          <Descriptions.Item label={t('user.specialty')}>
            {(lang === 'zh-CN' ? profile.specialtyName : null) ??
              specialties.label(profile.specialty) ??
              t('common.none')}
          </Descriptions.Item>
          <Descriptions.Item label={t('user.title_')}>
            {profile.title ? t(`title.${profile.title}`) : t('common.none')}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('home.shortcuts')}>
        <Space wrap>
          {navigationFor(profile.roles).map((item) => (
            <Button key={item.path} onClick={() => navigate(item.path)}>
              {t(item.label)}
            </Button>
          ))}
        </Space>
      </Card>
    </Space>
  );
}
