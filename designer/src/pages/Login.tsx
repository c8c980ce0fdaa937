import { useState } from 'react';
import { Alert, Button, Card, Form, Input } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, errorText, session, type SessionUser } from '../api';
import { LangSwitch } from '../App';

export function LoginPage({ onLogin }: { onLogin: (u: SessionUser) => void }) {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="fw-login">
      <Card title={t('appName')} extra={<LangSwitch />}>
        {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} showIcon data-testid="login-error" />}
        <Form
          layout="vertical"
          onFinish={async (v: { username: string; password: string }) => {
            setBusy(true);
            setError(null);
            try {
              const r = await api<{ token: string; user: SessionUser }>('POST', '/api/auth/login', v);
              session.set(r.token, r.user);
              onLogin(r.user);
            } catch (e: any) {
              setError(e?.status === 401 ? t('loginFailed') : errorText(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="username" label={t('username')} rules={[{ required: true }]}>
            <Input autoComplete="username" id="login-username" />
          </Form.Item>
          <Form.Item name="password" label={t('password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" id="login-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">{t('login')}</Button>
        </Form>
      </Card>
    </div>
  );
}
