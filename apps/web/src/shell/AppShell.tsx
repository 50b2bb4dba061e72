import {
  Badge,
  Button,
  Drawer,
  Dropdown,
  Grid,
  Layout,
  Menu,
  Space,
  Spin,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { Suspense, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import { LiveEventsProvider, useLiveStatus } from '../live/LiveEvents';
import { navigationFor } from './navigation';

function LiveIndicator({ compact }: { compact: boolean }) {
  const { t } = useI18n();
  const status = useLiveStatus();
  const color = status === 'connected' ? 'green' : status === 'connecting' ? 'gold' : 'default';
  return (
    <Tooltip title={t(`shell.live.${status}`)}>
      <Badge
        data-testid="live-status"
        data-status={status}
        color={color}
        text={
          compact ? undefined : (
            <span style={{ color: 'rgba(255,255,255,0.85)' }}>{t(`shell.live.${status}`)}</span>
          )
        }
      />
    </Tooltip>
  );
}

export function AppShell() {
  const { profile, logout } = useAuth();
  const { t, lang, setLang } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  // Below antd's lg (992 px: phones and portrait tablets) the menu is a drawer behind a button,
  // never a 64 px rail whose labels are cut to one character.
  const screens = Grid.useBreakpoint();
  const narrow = screens.lg === false;
  const [navOpen, setNavOpen] = useState(false);
  if (!profile) return null;
  const items = navigationFor(profile.roles);
  const selected =
    items.find((i) => location.pathname === i.path || location.pathname.startsWith(`${i.path}/`))
      ?.path ?? '/';

  const menu = (
    <Menu
      data-testid="main-nav"
      mode="inline"
      selectedKeys={[selected]}
      style={{ height: '100%', borderInlineEnd: 0 }}
      items={[
        { key: '/', label: t('nav.home') },
        ...items.map((i) => ({ key: i.path, label: t(i.label) })),
      ]}
      onClick={({ key }) => {
        setNavOpen(false);
        navigate(key);
      }}
    />
  );

  return (
    <LiveEventsProvider enabled>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Header className="app-header">
          {narrow ? (
            <Button
              type="text"
              aria-label={t('shell.menu')}
              aria-expanded={navOpen}
              onClick={() => setNavOpen(true)}
              data-testid="nav-toggle"
              className="app-nav-toggle"
            >
              <span aria-hidden className="app-nav-toggle-bars" />
            </Button>
          ) : null}
          <Typography.Link onClick={() => navigate('/')} className="app-title">
            {narrow ? t('app.name') : t('app.fullName')}
          </Typography.Link>
          <span className="app-org" data-testid="org-name">
            {profile.organizationName}
          </span>
          <span style={{ flex: 1 }} />
          <LiveIndicator compact={narrow} />
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
              <span className="app-user-name">{profile.displayName}</span>
              {narrow
                ? null
                : profile.roles.map((r) => (
                    <Tag key={r} color="blue" style={{ marginInlineEnd: 0 }}>
                      {t(`role.${r}`)}
                    </Tag>
                  ))}
            </Space>
          </Dropdown>
        </Layout.Header>
        <Layout>
          {narrow ? (
            <Drawer
              open={navOpen}
              onClose={() => setNavOpen(false)}
              placement="left"
              size={240}
              title={profile.organizationName}
              styles={{ body: { padding: 0 } }}
              data-testid="nav-drawer"
            >
              {menu}
            </Drawer>
          ) : (
            <Layout.Sider width={200} theme="light">
              {menu}
            </Layout.Sider>
          )}
          <Layout.Content className="app-content">
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
