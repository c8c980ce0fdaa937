/**
 * Reports and dashboards (/designer/reports): the two lists with their state (draft /
 * published / unpublished changes), and "new report" (key, name, source form, module) /
 * "new dashboard" (key, name, module). Rows open /reports/:key and /dashboards/:key.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, AutoComplete, Button, Form, Input, Modal, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { KEY_RE } from '../../../../engine/src/meta/types';
import { api, ApiError, errorText, get } from '../../api';
import { label } from '../../i18n';
import { navigate, useLocation } from '../../router';
import { STATUS_COLOR, type DocumentSummary } from '../Forms/index';
import { newDashboard, newReport } from '../../reports/model';
import '../../reports/words';
import { validated } from '../../validated';

type Kind = 'reports' | 'dashboards';
const PATH: Record<Kind, string> = { reports: '/reports', dashboards: '/dashboards' };

export default function ReportsPage() {
  const { t } = useTranslation();
  const { search } = useLocation();
  const [tab, setTab] = useState<Kind>(search.get('tab') === 'dashboards' ? 'dashboards' : 'reports');
  const [lists, setLists] = useState<Record<Kind, DocumentSummary[] | null>>({ reports: null, dashboards: null });
  const [forms, setForms] = useState<DocumentSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [creating, setCreating] = useState<Kind | null>(null);

  useEffect(() => {
    for (const k of ['reports', 'dashboards'] as const) get<DocumentSummary[]>(`/api/meta/${k}`).then((l) => setLists((s) => ({ ...s, [k]: l })), (e) => setError(errorText(e)));
    get<DocumentSummary[]>('/api/meta/forms').then((l) => setForms(l.filter((f) => f.revision != null)), () => undefined);
  }, []);

  const modules = useMemo(() => [...new Set([...(lists.reports ?? []), ...(lists.dashboards ?? [])].map((d) => d.module).filter(Boolean) as string[])].sort(), [lists]);
  const table = (kind: Kind) => {
    const items = lists[kind];
    const s = q.trim().toLowerCase();
    const shown = (items ?? []).filter((d) => !s || d.key.includes(s) || label(d.label).toLowerCase().includes(s) || (d.module ?? '').includes(s));
    return (
      <Table<DocumentSummary>
        rowKey="key" size="middle" loading={!items && !error} dataSource={shown} data-testid={`${kind}-table`}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        onRow={(r) => ({ onClick: () => void navigate(`${PATH[kind]}/${r.key}`), style: { cursor: 'pointer' }, 'data-testid': `${kind}-row-${r.key}` } as any)}
        columns={[
          { title: t('forms.label'), dataIndex: 'label', render: (l, r) => <a href={`/designer${PATH[kind]}/${r.key}`} onClick={(e) => e.preventDefault()}>{label(l, r.key)}</a> },
          { title: t('forms.key'), dataIndex: 'key', render: (k) => <Typography.Text code>{k}</Typography.Text> },
          { title: t('forms.module'), dataIndex: 'module', render: (m) => m ?? '—', filters: modules.map((m) => ({ text: m, value: m })), onFilter: (v, r) => r.module === v },
          { title: t('forms.revision'), dataIndex: 'revision', render: (r) => (r == null ? '—' : `v${r}`) },
          { title: t('forms.status'), dataIndex: 'status', render: (st: DocumentSummary['status']) => <Tag color={STATUS_COLOR[st]}>{t(`status.${st}`)}</Tag> },
        ]}
      />
    );
  };

  return (
    <div data-testid="reports-list">
      <Space style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>{t('reports.title')}</Typography.Title>
        <Space>
          <Input.Search allowClear placeholder={t('search')} onChange={(e) => setQ(e.target.value)} style={{ width: 240 }} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(tab)} data-testid={tab === 'reports' ? 'new-report' : 'new-dashboard'}>
            {tab === 'reports' ? t('reports.newReport') : t('reports.newDashboard')}
          </Button>
        </Space>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Tabs
        activeKey={tab}
        onChange={(k) => {
          setTab(k as Kind);
          history.replaceState(null, '', `/designer/reports${k === 'dashboards' ? '?tab=dashboards' : ''}`);
        }}
        items={[
          { key: 'reports', label: <span data-testid="tab-reports">{t('reports.reports')}</span>, children: table('reports') },
          { key: 'dashboards', label: <span data-testid="tab-dashboards">{t('reports.dashboards')}</span>, children: table('dashboards') },
        ]}
      />
      <NewDialog kind={creating} forms={forms} modules={modules} taken={new Set((creating ? lists[creating] ?? [] : []).map((d) => d.key))} onClose={() => setCreating(null)} />
    </div>
  );
}

/** Server field errors (JSON Pointers) → the dialog's fields. */
const POINTER_TO_FIELD: Record<string, string> = { '/key': 'key', '/label': 'zh', '/label/zh-CN': 'zh', '/label/en': 'en', '/module': 'module', '/source': 'source' };

function NewDialog({ kind, forms, modules, taken, onClose }: { kind: Kind | null; forms: DocumentSummary[]; modules: string[]; taken: Set<string>; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    const v = await validated(form);
    if (!v) return; // the form shows what is missing
    setBusy(true);
    setError(null);
    try {
      const lbl = { 'zh-CN': v.zh, ...(v.en ? { en: v.en } : {}) };
      const doc = kind === 'reports' ? newReport(v.key, lbl, v.source, v.module || undefined) : newDashboard(v.key, lbl, v.module || undefined);
      await api('PUT', `/api/meta/${kind}/${encodeURIComponent(v.key)}`, doc);
      onClose();
      void navigate(`${PATH[kind!]}/${v.key}`);
    } catch (e) {
      setError(errorText(e));
      if (e instanceof ApiError && e.fields) {
        form.setFields(Object.entries(e.fields).filter(([p]) => POINTER_TO_FIELD[p]).map(([p, m]) => ({ name: POINTER_TO_FIELD[p]!, errors: m })));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!kind} title={kind === 'dashboards' ? t('reports.newDashboard') : t('reports.newReport')} onCancel={onClose} onOk={() => void submit()}
      confirmLoading={busy} okText={t('create')} destroyOnHidden data-testid="new-doc-dialog" okButtonProps={{ 'data-testid': 'new-doc-ok' } as any}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item name="zh" label={t('labelZh')} rules={[{ required: true, message: t('requiredMsg') }]}>
          <Input id="new-doc-zh" maxLength={200} />
        </Form.Item>
        <Form.Item name="en" label={t('labelEn')}>
          <Input id="new-doc-en" maxLength={200} />
        </Form.Item>
        <Form.Item
          name="key" label={t('forms.key')} extra={t('keyHelp')}
          rules={[
            { required: true, message: t('requiredMsg') },
            { pattern: KEY_RE, message: t('keyPattern') },
            { validator: (_r, k) => (taken.has(k) ? Promise.reject(new Error(t('keyTaken'))) : Promise.resolve()) },
          ]}
        >
          <Input id="new-doc-key" maxLength={48} />
        </Form.Item>
        {kind === 'reports' && (
          <Form.Item name="source" label={t('reports.source')} rules={[{ required: true, message: t('requiredMsg') }]}>
            <Select
              id="new-doc-source" showSearch optionFilterProp="label" data-testid="new-doc-source"
              options={forms.map((f) => ({ value: f.key, label: `${label(f.label, f.key)} (${f.key})` }))}
            />
          </Form.Item>
        )}
        <Form.Item name="module" label={t('forms.module')}>
          <AutoComplete id="new-doc-module" options={modules.map((m) => ({ value: m }))} filterOption />
        </Form.Item>
      </Form>
    </Modal>
  );
}
