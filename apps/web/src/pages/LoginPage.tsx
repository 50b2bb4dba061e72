import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from '../shell/States';

export function LoginPage() {
  const { t, lang, setLang } = useI18n();
  const { status, login, endedReason } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? '/';

  if (status === 'signed-in') return <Navigate to={from} replace />;

  const submit = async (values: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await login(values.username.trim(), values.password);
      navigate(from, { replace: true });
    } catch (e) {
      setError(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      style={{
        minHeight: '100vh',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        background: 'linear-gradient(160deg, #e8f0fe 0%, #f7f9fc 60%)',
      }}
    >
      <Card style={{ width: 380 }} data-testid="login-card">
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'baseline' }}>
          <Typography.Title level={3} style={{ marginTop: 0 }}>
            {t('app.name')}
          </Typography.Title>
          <Button
            type="link"
            size="small"
            onClick={() => setLang(lang === 'zh-CN' ? 'en-US' : 'zh-CN')}
            data-testid="lang-switch"
          >
            {t('lang.switch')}
          </Button>
        </div>
        <Typography.Paragraph type="secondary">{t('app.tagline')}</Typography.Paragraph>
        {endedReason === 'expired' ? (
          <Alert
            type="warning"
            showIcon
            title={t('login.sessionExpired')}
            style={{ marginBottom: 16 }}
          />
        ) : null}
        {error ? (
          <Alert
            type="error"
            showIcon
            title={t('login.failed')}
            description={<span data-testid="login-error">{error}</span>}
            style={{ marginBottom: 16 }}
          />
        ) : null}
        <Form layout="vertical" onFinish={submit} requiredMark={false} disabled={busy}>
          <Form.Item
            name="username"
            label={t('login.username')}
            rules={[{ required: true, message: t('login.usernameRequired') }]}
          >
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('login.password')}
            rules={[{ required: true, message: t('login.passwordRequired') }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
        <Typography.Paragraph
          type="secondary"
          style={{ marginTop: 16, marginBottom: 0, fontSize: 12 }}
        >
          {t('login.demoHint')}
        </Typography.Paragraph>
      </Card>
    </div>
  );
}
