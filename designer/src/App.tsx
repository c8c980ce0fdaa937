import { Suspense, useEffect, useState } from 'react';
import { App as AntApp, Button, ConfigProvider, Dropdown, Layout, Menu, Result, Spin, Typography } from 'antd';
import { TranslationOutlined, UserOutlined } from '@ant-design/icons';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { api, onUnauthenticated, session, type SessionUser } from './api';
import { lang, setLang } from './i18n';
import { LoginPage } from './pages/Login';
import { match, navigate, useLocation } from './router';
import { NAV, ROUTES } from './routes';

export function App() {
  const { i18n } = useTranslation();
  const l = i18n.language === 'en' ? 'en' : 'zh-CN';
  dayjs.locale(l === 'en' ? 'en' : 'zh-cn');
  return (
    <ConfigProvider locale={l === 'en' ? enUS : zhCN}>
      <AntApp>
        <Root />
      </AntApp>
    </ConfigProvider>
  );
}

function Root() {
  const [user, setUser] = useState<SessionUser | null>(session.user());
  useEffect(() => onUnauthenticated(() => {
    session.clear();
    setUser(null);
  }), []);
  if (!user) return <LoginPage onLogin={setUser} />;
  return <Shell user={user} onLogout={() => setUser(null)} />;
}

export function LangSwitch() {
  const { t } = useTranslation();
  return (
    <Button type="text" icon={<TranslationOutlined />} data-testid="lang-switch" onClick={() => setLang(lang() === 'en' ? 'zh-CN' : 'en')}>
      {t('otherLanguage')}
    </Button>
  );
}

function Shell({ user, onLogout }: { user: SessionUser; onLogout: () => void }) {
  const { t } = useTranslation();
  const loc = useLocation();
  let found: { route: (typeof ROUTES)[number]; params: Record<string, string> } | null = null;
  for (const route of ROUTES) {
    const params = match(route.pattern, loc.path);
    if (params) {
      found = { route, params };
      break;
    }
  }
  const Page = found?.route.page;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="fw-header">
        <Typography.Text strong style={{ color: '#fff', fontSize: 16, marginInlineEnd: 24, whiteSpace: 'nowrap' }}>{t('appName')}</Typography.Text>
        <Menu
          theme="dark"
          mode="horizontal"
          data-testid="nav"
          style={{ flex: 1, minWidth: 0 }}
          selectedKeys={found ? [found.route.area] : []}
          items={NAV.map((n) => ({ key: n.area, icon: n.icon, label: t(n.label), onClick: () => void navigate(n.path) }))}
        />
        <a href="/" style={{ color: '#fff', marginInlineEnd: 12, whiteSpace: 'nowrap' }}>{t('openRuntime')}</a>
        <span className="fw-header-lang"><LangSwitch /></span>
        <Dropdown
          menu={{
            items: [{
              key: 'logout', label: t('logout'), onClick: async () => {
                await api('POST', '/api/auth/logout').catch(() => undefined);
                session.clear();
                onLogout();
              },
            }],
          }}
        >
          <Button type="text" style={{ color: '#fff' }} icon={<UserOutlined />} data-testid="user-menu">{user.displayName || user.username}</Button>
        </Dropdown>
      </Layout.Header>
      <Layout.Content style={{ padding: 16 }}>
        <Suspense fallback={<Spin style={{ margin: 24 }} />}>
          {Page && found ? <Page key={loc.path} {...found.params} /> : <Result status="404" title={t('notFound')} extra={<Button onClick={() => void navigate('/')}>{t('nav.forms')}</Button>} />}
        </Suspense>
      </Layout.Content>
    </Layout>
  );
}
