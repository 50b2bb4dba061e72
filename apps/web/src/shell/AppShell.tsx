import { Badge, Button, Dropdown, Layout, Menu, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { Suspense } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import { LiveEventsProvider, useLiveStatus } from '../live/LiveEvents';
import { navigationFor } from './navigation';

function LiveIndicator() {
  const { t } = useI18n();
  const status = useLiveStatus();
  const color = status === 'connected' ? 'green' : status === 'connecting' ? 'gold' : 'default';
  return (
    <Tooltip title={t(`shell.live.${status}`)}>
      <Badge
        data-testid="live-status"
        data-status={status}
        color={color}
        text={<span style={{ color: 'rgba(255,255,255,0.85)' }}>{t(`shell.live.${status}`)}</span>}
      />
    </Tooltip>
  );
}

export function AppShell() {
  const { profile, logout } = useAuth();
  const { t, lang, setLang } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  if (!profile) return null;
  const items = navigationFor(profile.roles);
  const selected =
    items.find((i) => location.pathname === i.path || location.pathname.startsWith(`${i.path}/`))
      ?.path ?? '/';

  return (
    <LiveEventsProvider enabled>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Header
          style={{ display: 'flex', alignItems: 'center', gap: 16, paddingInline: 20 }}
        >
          <Typography.Link
            onClick={() => navigate('/')}
            style={{ color: '#fff', fontSize: 18, fontWeight: 600, whiteSpace: 'nowrap' }}
          >
            {t('app.fullName')}
          </Typography.Link>
          <span
            style={{ color: 'rgba(255,255,255,0.65)', whiteSpace: 'nowrap' }}
            data-testid="org-name"
          >
            {profile.organizationName}
          </span>
          <span style={{ flex: 1 }} />
          <LiveIndicator />
          <Button
            size="small"
            ghost
            onClick={() => setLang(lang === 'zh-CN' ? 'en-US' : 'zh-CN')}
            data-testid="lang-switch"
          >
            {t('lang.switch')}
          </Button>
          <Dropdown
            menu={{
              items: [{ key: 'logout', label: t('shell.logout') }],
              onClick: ({ key }) => {
                if (key === 'logout') void logout().then(() => navigate('/login'));
              },
            }}
          >
            <Space style={{ color: '#fff', cursor: 'pointer' }} data-testid="user-menu">
              <span>{profile.displayName}</span>
              {profile.roles.map((r) => (
                <Tag key={r} color="blue" style={{ marginInlineEnd: 0 }}>
                  {t(`role.${r}`)}
                </Tag>
              ))}
            </Space>
          </Dropdown>
        </Layout.Header>
        <Layout>
          <Layout.Sider width={200} theme="light" breakpoint="lg" collapsedWidth={64}>
            <Menu
              data-testid="main-nav"
              mode="inline"
              selectedKeys={[selected]}
              style={{ height: '100%', borderInlineEnd: 0 }}
              items={[
                { key: '/', label: t('nav.home') },
                ...items.map((i) => ({ key: i.path, label: t(i.label) })),
              ]}
              onClick={({ key }) => navigate(key)}
            />
          </Layout.Sider>
          <Layout.Content style={{ padding: 20, minWidth: 0 }}>
            {/* Pages are lazy chunks (App.tsx): header and menu stay while one loads. */}
            <Suspense fallback={<Spin data-testid="page-loading" />}>
              <Outlet />
            </Suspense>
          </Layout.Content>
        </Layout>
      </Layout>
    </LiveEventsProvider>
  );
}
