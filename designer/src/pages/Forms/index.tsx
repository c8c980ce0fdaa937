/** The forms list: every form with its state (draft / published / unpublished changes), and "new form". */
import { useEffect, useMemo, useState } from 'react';
import { Alert, AutoComplete, Button, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { KEY_RE } from '../../../../engine/src/meta/types';
import { api, ApiError, errorText, get } from '../../api';
import { label } from '../../i18n';
import { navigate } from '../../router';
import { validated } from '../../validated';

export interface DocumentSummary { key: string; label: unknown; module: string | null; revision: number | null; status: 'draft' | 'published' | 'modified' }

export const STATUS_COLOR: Record<DocumentSummary['status'], string> = { draft: 'default', published: 'green', modified: 'orange' };

export default function FormsPage() {
  const { t } = useTranslation();
  const [items, setItems] = useState<DocumentSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [creating, setCreating] = useState(false);

  const load = () => get<DocumentSummary[]>('/api/meta/forms').then(setItems, (e) => setError(errorText(e)));
  useEffect(() => void load(), []);

  const shown = useMemo(() => {
    const s = q.trim().toLowerCase();
    if (!items) return [];
    if (!s) return items;
    return items.filter((d) => d.key.includes(s) || label(d.label).toLowerCase().includes(s) || (d.module ?? '').includes(s));
  }, [items, q]);
  const modules = useMemo(() => [...new Set((items ?? []).map((d) => d.module).filter(Boolean) as string[])].sort(), [items]);

  return (
    <div data-testid="forms-list">
      <Space style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>{t('nav.forms')}</Typography.Title>
        <Space>
          <Input.Search allowClear placeholder={t('search')} onChange={(e) => setQ(e.target.value)} style={{ width: 240 }} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-form">{t('forms.new')}</Button>
        </Space>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Table<DocumentSummary>
        rowKey="key"
        size="middle"
        loading={!items && !error}
        dataSource={shown}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        onRow={(r) => ({ onClick: () => void navigate(`/forms/${r.key}`), style: { cursor: 'pointer' }, 'data-testid': `form-row-${r.key}` } as any)}
        columns={[
          { title: t('forms.label'), dataIndex: 'label', render: (l, r) => <a href={`/designer/forms/${r.key}`} onClick={(e) => e.preventDefault()}>{label(l, r.key)}</a> },
          { title: t('forms.key'), dataIndex: 'key', render: (k) => <Typography.Text code>{k}</Typography.Text> },
          { title: t('forms.module'), dataIndex: 'module', render: (m) => m ?? '—', filters: modules.map((m) => ({ text: m, value: m })), onFilter: (v, r) => r.module === v },
          { title: t('forms.revision'), dataIndex: 'revision', render: (r) => (r == null ? '—' : `v${r}`) },
          {
            title: t('forms.status'), dataIndex: 'status',
            render: (s: DocumentSummary['status']) => <Tag color={STATUS_COLOR[s]}>{t(`status.${s}`)}</Tag>,
            filters: (['draft', 'published', 'modified'] as const).map((s) => ({ text: t(`status.${s}`), value: s })), onFilter: (v, r) => r.status === v,
          },
        ]}
      />
      <NewFormDialog open={creating} modules={modules} taken={new Set((items ?? []).map((d) => d.key))} onClose={() => setCreating(false)} />
    </div>
  );
}

/** Server field errors keyed by JSON Pointer ('/label/zh-CN') → antd form fields. */
const POINTER_TO_FIELD: Record<string, string> = { '/key': 'key', '/label': 'zh', '/label/zh-CN': 'zh', '/label/en': 'en', '/module': 'module' };

function NewFormDialog({ open, modules, taken, onClose }: { open: boolean; modules: string[]; taken: Set<string>; onClose: () => void }) {
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
      const doc = {
        key: v.key,
        label: { 'zh-CN': v.zh, ...(v.en ? { en: v.en } : {}) },
        ...(v.module ? { module: v.module } : {}),
        fields: [],
      };
      await api('PUT', `/api/meta/forms/${encodeURIComponent(v.key)}`, doc);
      onClose();
      void navigate(`/forms/${v.key}`);
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
    <Modal open={open} title={t('forms.new')} onCancel={onClose} onOk={() => void submit()} confirmLoading={busy} okText={t('create')} destroyOnHidden data-testid="new-form-dialog">
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item name="zh" label={t('labelZh')} rules={[{ required: true, message: t('requiredMsg') }]}>
          <Input id="new-form-zh" maxLength={200} />
        </Form.Item>
        <Form.Item name="en" label={t('labelEn')}>
          <Input id="new-form-en" maxLength={200} />
        </Form.Item>
        <Form.Item
          name="key" label={t('forms.key')} extra={t('keyHelp')}
          rules={[
            { required: true, message: t('requiredMsg') },
            { pattern: KEY_RE, message: t('keyPattern') },
            { validator: (_r, k) => (taken.has(k) ? Promise.reject(new Error(t('keyTaken'))) : Promise.resolve()) },
          ]}
        >
          <Input id="new-form-key" maxLength={48} />
        </Form.Item>
        <Form.Item name="module" label={t('forms.module')}>
          <AutoComplete id="new-form-module" options={modules.map((m) => ({ value: m }))} filterOption />
        </Form.Item>
      </Form>
    </Modal>
  );
}
