import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { App as AntApp, Badge, Button, ConfigProvider, Drawer, Dropdown, Grid, Layout, List, Menu, Popover, Spin, Typography } from 'antd';
import { BellOutlined, DashboardOutlined, InboxOutlined, MenuOutlined, TranslationOutlined, UserOutlined } from '@ant-design/icons';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { api, get, onUnauthenticated, session, type SessionUser } from './api';
import { label, lang, setLang } from './i18n';
import { clearMetaCache, formList, groupByModule, type FormSummary } from './meta';
import { match, navigate, useLocation } from './router';
import { LoginPage } from './pages/Login';
// Pages load on first use: the sign-in screen and the shell come first.
const ListPage = lazy(() => import('./pages/ListPage').then((m) => ({ default: m.ListPage })));
const FormPage = lazy(() => import('./pages/FormPage').then((m) => ({ default: m.FormPage })));
const RecordPage = lazy(() => import('./pages/RecordPage').then((m) => ({ default: m.RecordPage })));
const InboxPage = lazy(() => import('./pages/Inbox').then((m) => ({ default: m.InboxPage })));
// A public form link: no login, no shell.
const PublicFormPage = lazy(() => import('./pages/PublicForm').then((m) => ({ default: m.PublicFormPage })));
// Charts (ECharts) load with the dashboards page only.
const DashboardsPage = lazy(() => import('./pages/Dashboards').then((m) => ({ default: m.DashboardsPage })));

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
  const loc = useLocation();
  useEffect(() => onUnauthenticated(() => {
    session.clear();
    clearMetaCache();
    setUser(null);
  }), []);
  const pub = match('/p/:slug', loc.path);
  if (pub) return <Suspense fallback={<Spin style={{ margin: 24 }} />}><PublicFormPage key={pub.slug} slug={pub.slug!} /></Suspense>;
  if (!user) {
    return (
      <LoginPage
        onLogin={(u) => {
          clearMetaCache();
          setUser(u);
          if (loc.path === '/login') void navigate('/', { replace: true, force: true });
        }}
      />
    );
  }
  return (
    <Shell
      user={user}
      onLogout={async () => {
        try {
          await api('POST', '/api/auth/logout');
        } catch {
          /* the session may be gone already */
        }
        session.clear();
        clearMetaCache();
        setUser(null);
        void navigate('/', { force: true });
      }}
    />
  );
}

function Page({ path }: { path: string }) {
  return <Suspense fallback={<Spin style={{ margin: 24 }} />}>{route(path)}</Suspense>;
}

function route(path: string) {
  let m: Record<string, string> | null;
  if ((m = match('/records/:form/new', path))) return <FormPage key={`new-${m.form}`} form={m.form!} />;
  if ((m = match('/records/:form/:id/edit', path))) return <FormPage key={`edit-${m.form}-${m.id}`} form={m.form!} id={Number(m.id)} />;
  if ((m = match('/records/:form/:id', path))) return <RecordPage key={`${m.form}-${m.id}`} form={m.form!} id={Number(m.id)} />;
  if ((m = match('/records/:form', path))) return <ListPage key={m.form} form={m.form!} />;
  if ((m = match('/dashboards/:key', path))) return <DashboardsPage key={m.key} dashboard={m.key} />;
  if (path === '/dashboards') return <DashboardsPage />;
  return <InboxPage />;
}

function Shell({ user, onLogout }: { user: SessionUser; onLogout: () => void }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const phone = !screens.md;
  const loc = useLocation();
  const [forms, setForms] = useState<FormSummary[] | null>(null);
  const [drawer, setDrawer] = useState(false);
  useEffect(() => {
    formList().then(setForms, () => setForms([]));
  }, []);

  const selected = useMemo(() => {
    const m = /^\/records\/([^/]+)/.exec(loc.path);
    if (m) return `form:${m[1]}`;
    if (loc.path.startsWith('/dashboards')) return 'dashboards';
    return 'inbox';
  }, [loc.path]);

  const items = [
    { key: 'inbox', icon: <InboxOutlined />, label: t('inbox') },
    { key: 'dashboards', icon: <DashboardOutlined />, label: t('dashboards') },
    ...groupByModule(forms ?? []).map((g) => ({
      key: `module:${g.module}`,
      type: 'group' as const,
      label: g.module,
      children: g.forms.map((f) => ({ key: `form:${f.key}`, label: label(f.label, f.key) })),
    })),
  ];
  const onMenu = ({ key }: { key: string }) => {
    setDrawer(false);
    if (key === 'inbox') void navigate('/inbox');
    else if (key === 'dashboards') void navigate('/dashboards');
    else if (key.startsWith('form:')) void navigate(`/records/${key.slice(5)}`);
  };
  const menu = forms ? (
    <Menu mode="inline" selectedKeys={[selected]} items={items} onClick={onMenu} data-testid="nav" style={{ borderInlineEnd: 0 }} />
  ) : (
    <Spin style={{ margin: 24 }} />
  );

  return (
    <Layout style={{ minHeight: '100%' }}>
      {!phone && (
        <Layout.Sider width={220} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
          <div style={{ padding: '16px 24px', fontWeight: 600, fontSize: 18 }}>{t('appName')}</div>
          {menu}
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header className="fw-header">
          {phone && <Button type="text" icon={<MenuOutlined />} aria-label={t('menu')} data-testid="menu-button" onClick={() => setDrawer(true)} />}
          <span className="fw-title">{phone ? t('appName') : ''}</span>
          <NotificationBell />
          <Button
            type="text"
            icon={<TranslationOutlined />}
            data-testid="lang-switch"
            onClick={() => {
              setLang(lang() === 'en' ? 'zh-CN' : 'en');
              clearMetaCache();
              formList().then(setForms, () => setForms([]));
            }}
          >
            {phone ? null : t('language')}
          </Button>
          <Dropdown menu={{ items: [{ key: 'logout', label: t('logout'), onClick: onLogout }] }} trigger={['click']}>
            <Button type="text" icon={<UserOutlined />} data-testid="user-menu">
              {phone ? null : user.displayName || user.username}
            </Button>
          </Dropdown>
        </Layout.Header>
        <Layout.Content className={phone ? 'fw-content fw-phone' : 'fw-content'}>
          <Page path={loc.path} />
        </Layout.Content>
      </Layout>
      <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" size={260} title={t('appName')} styles={{ body: { padding: 0 } }}>
        {menu}
      </Drawer>
    </Layout>
  );
}

interface Notification { id: number; title: string; body: string; at: string; read: boolean; link?: string }

function NotificationBell() {
  const { t } = useTranslation();
  const [data, setData] = useState<{ items: Notification[]; unread: number }>({ items: [], unread: 0 });
  const [open, setOpen] = useState(false);
  const load = () => get<{ items: Notification[]; unread?: number }>('/api/notifications?unread=1')
    .then((r) => setData({ items: r.items, unread: r.unread ?? r.items.filter((n) => !n.read).length }), () => undefined);
  useEffect(() => {
    void load();
    const timer = setInterval(load, 60_000);
    return () => clearInterval(timer);
  }, []);
  const content = (
    <div style={{ width: 'min(320px, 80vw)', maxHeight: 400, overflow: 'auto' }}>
      <div style={{ textAlign: 'right' }}>
        <Button size="small" type="link" onClick={async () => {
          await api('POST', '/api/notifications/read-all').catch(() => undefined);
          void load();
        }}>{t('markAllRead')}</Button>
      </div>
      <List
        size="small"
        locale={{ emptyText: t('noNotifications') }}
        dataSource={data.items}
        renderItem={(n) => (
          <List.Item
            style={{ cursor: n.link ? 'pointer' : undefined }}
            onClick={async () => {
              if (!n.read) await api('POST', `/api/notifications/${n.id}/read`).catch(() => undefined);
              setOpen(false);
              void load();
              if (n.link) void navigate(n.link);
            }}
          >
            <List.Item.Meta
              title={<Typography.Text strong={!n.read}>{n.title}</Typography.Text>}
              description={<span>{n.body} <Typography.Text type="secondary">{new Date(n.at).toLocaleString(lang())}</Typography.Text></span>}
            />
          </List.Item>
        )}
      />
    </div>
  );
  return (
    <Popover content={content} title={t('notifications')} trigger="click" open={open} onOpenChange={(o) => { setOpen(o); if (o) void load(); }} placement="bottomRight">
      <Badge count={data.unread} size="small" offset={[-4, 4]}>
        <Button type="text" icon={<BellOutlined />} aria-label={t('notifications')} data-testid="bell" />
      </Badge>
    </Popover>
  );
}
