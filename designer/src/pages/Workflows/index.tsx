/**
 * The workflows list: every approval flow and automation with its trigger, form and state
 * (draft / published / unpublished changes), filtered by form and module; "new workflow" (key,
 * name, trigger, form) saves a first draft — start → end — and opens the designer.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, AutoComplete, Button, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { KEY_RE } from '../../../../engine/src/meta/types';
import { api, ApiError, errorText, get } from '../../api';
import { label, msgText } from '../../i18n';
import { navigate } from '../../router';
import { STATUS_COLOR, type DocumentSummary } from '../Forms/index';
import { loadCatalogue } from '../../workflows/catalogue';
import type { TriggerTypeFacts, WorkflowDef } from '../../workflows/model';
import '../../workflows/words';
import { validated } from '../../validated';

interface Row extends DocumentSummary { trigger?: string; form?: string | null; enabled?: boolean }

export default function WorkflowsPage() {
  const { t } = useTranslation();
  const [items, setItems] = useState<Row[] | null>(null);
  const [forms, setForms] = useState<DocumentSummary[]>([]);
  const [triggers, setTriggers] = useState<TriggerTypeFacts[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [form, setForm] = useState<string | undefined>();
  const [module, setModule] = useState<string | undefined>();
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    (async () => {
      const list = await get<DocumentSummary[]>('/api/meta/workflows');
      setItems(list);
      // Each draft's trigger (its form and kind): the list shows and filters by them, filled in as they come.
      const docs = await Promise.all(list.map((d) => get<WorkflowDef>(`/api/meta/workflows/${encodeURIComponent(d.key)}?draft=1`).catch(() => null)));
      setItems(list.map((d, i) => ({ ...d, trigger: docs[i]?.trigger.type, form: docs[i]?.trigger.form ?? null, enabled: docs[i]?.enabled !== false })));
    })().catch((e) => setError(errorText(e)));
    get<DocumentSummary[]>('/api/meta/forms').then(setForms, () => setForms([]));
    loadCatalogue().then((c) => setTriggers(c.triggers), (e) => setError(errorText(e)));
  }, []);

  const formName = (k: string | null | undefined) => {
    if (!k) return '—';
    const f = forms.find((x) => x.key === k);
    return f ? label(f.label, k) : k;
  };
  const triggerName = (k: string | undefined) => {
    const x = triggers.find((y) => y.type === k);
    return x ? msgText(x.label, k) : k ?? '—';
  };
  const shown = useMemo(() => {
    const s = q.trim().toLowerCase();
    return (items ?? []).filter((d) => (!form || d.form === form) && (!module || d.module === module)
      && (!s || d.key.includes(s) || label(d.label).toLowerCase().includes(s)));
  }, [items, q, form, module]);
  const modules = useMemo(() => [...new Set((items ?? []).map((d) => d.module).filter(Boolean) as string[])].sort(), [items]);
  const usedForms = useMemo(() => [...new Set((items ?? []).map((d) => d.form).filter(Boolean) as string[])].sort(), [items]);

  return (
    <div data-testid="workflows-list">
      <Space style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>{t('workflows.title')}</Typography.Title>
        <Space wrap>
          <Select allowClear placeholder={t('workflows.allForms')} style={{ width: 170 }} value={form} onChange={setForm} data-testid="wf-filter-form"
            options={usedForms.map((k) => ({ value: k, label: formName(k) }))} />
          <Select allowClear placeholder={t('workflows.allModules')} style={{ width: 140 }} value={module} onChange={setModule} data-testid="wf-filter-module"
            options={modules.map((m) => ({ value: m, label: m }))} />
          <Input.Search allowClear placeholder={t('search')} onChange={(e) => setQ(e.target.value)} style={{ width: 200 }} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-workflow">{t('workflows.new')}</Button>
        </Space>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Table<Row>
        rowKey="key"
        size="middle"
        loading={!items && !error}
        dataSource={shown}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        onRow={(r) => ({ onClick: () => void navigate(`/workflows/${r.key}`), style: { cursor: 'pointer' }, 'data-testid': `workflow-row-${r.key}` } as any)}
        columns={[
          { title: t('workflows.label'), dataIndex: 'label', render: (l, r) => <a href={`/designer/workflows/${r.key}`} onClick={(e) => e.preventDefault()}>{label(l, r.key)}</a> },
          { title: t('workflows.key'), dataIndex: 'key', render: (k) => <Typography.Text code>{k}</Typography.Text> },
          { title: t('workflows.form'), dataIndex: 'form', render: (k) => formName(k) },
          { title: t('workflows.trigger'), dataIndex: 'trigger', render: (k) => triggerName(k) },
          { title: t('workflows.module'), dataIndex: 'module', render: (m) => m ?? '—' },
          { title: t('workflows.revision'), dataIndex: 'revision', render: (r) => (r == null ? '—' : `v${r}`) },
          {
            title: t('workflows.status'), dataIndex: 'status',
            render: (s: DocumentSummary['status'], r) => (
              <Space size={4}>
                <Tag color={STATUS_COLOR[s]}>{t(`status.${s}`)}</Tag>
                {r.enabled === false && <Tag>{t('workflows.disabled')}</Tag>}
              </Space>
            ),
          },
        ]}
      />
      <NewWorkflowDialog open={creating} modules={modules} forms={forms} triggers={triggers} taken={new Set((items ?? []).map((d) => d.key))} onClose={() => setCreating(false)} />
    </div>
  );
}

/** Server field errors keyed by JSON Pointer → the dialog's fields. */
const POINTER_TO_FIELD: Array<[RegExp, string]> = [[/^\/key/, 'key'], [/^\/label/, 'zh'], [/^\/module/, 'module'], [/^\/trigger\/form/, 'form'], [/^\/trigger/, 'trigger']];

/** Settings a new trigger needs to be valid at once, where a plausible value exists. */
const TRIGGER_CONFIG: Record<string, Record<string, unknown>> = { button: { action: 'run' }, schedule: { cron: '0 9 * * *' } };

function NewWorkflowDialog({ open, modules, forms, triggers, taken, onClose }: {
  open: boolean; modules: string[]; forms: DocumentSummary[]; triggers: TriggerTypeFacts[]; taken: Set<string>; onClose: () => void;
}) {
  const { t } = useTranslation();
  const [f] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const trigger = Form.useWatch('trigger', f) as string | undefined;
  const needsForm = triggers.find((x) => x.type === trigger)?.needsForm ?? false;
  const submit = async () => {
    const v = await validated(f);
    if (!v) return; // the form shows what is missing
    setBusy(true);
    setError(null);
    try {
      const doc: WorkflowDef = {
        key: v.key,
        label: { 'zh-CN': v.zh, ...(v.en ? { en: v.en } : {}) },
        ...(v.module ? { module: v.module } : {}),
        trigger: { type: v.trigger, ...(v.form ? { form: v.form } : {}), ...(TRIGGER_CONFIG[v.trigger] ? { config: TRIGGER_CONFIG[v.trigger] } : {}) },
        nodes: [
          { id: 'start', type: 'start', label: { 'zh-CN': '开始', en: 'Start' }, position: { x: 0, y: 0 } },
          { id: 'end', type: 'end', label: { 'zh-CN': '结束', en: 'End' }, position: { x: 0, y: 220 } },
        ],
        edges: [{ id: 'e_1', source: 'start', target: 'end' }],
      };
      await api('PUT', `/api/meta/workflows/${encodeURIComponent(v.key)}`, doc);
      onClose();
      void navigate(`/workflows/${v.key}`);
    } catch (e) {
      setError(errorText(e));
      if (e instanceof ApiError && e.fields) {
        const byField = new Map<string, string[]>();
        for (const [p, m] of Object.entries(e.fields)) {
          const name = POINTER_TO_FIELD.find(([re]) => re.test(p))?.[1];
          if (name) byField.set(name, [...(byField.get(name) ?? []), ...m]);
        }
        f.setFields([...byField].map(([name, errors]) => ({ name, errors })));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('workflows.new')} onCancel={onClose} onOk={() => void submit()} confirmLoading={busy} okText={t('create')} destroyOnHidden data-testid="new-workflow-dialog">
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={f} layout="vertical" preserve={false} initialValues={{ trigger: 'record_created' }}>
        <Form.Item name="zh" label={t('labelZh')} rules={[{ required: true, message: t('requiredMsg') }]}>
          <Input id="new-wf-zh" maxLength={200} />
        </Form.Item>
        <Form.Item name="en" label={t('labelEn')}>
          <Input id="new-wf-en" maxLength={200} />
        </Form.Item>
        <Form.Item
          name="key" label={t('workflows.key')} extra={t('keyHelp')}
          rules={[
            { required: true, message: t('requiredMsg') },
            { pattern: KEY_RE, message: t('keyPattern') },
            { validator: (_r, k) => (taken.has(k) ? Promise.reject(new Error(t('keyTaken'))) : Promise.resolve()) },
          ]}
        >
          <Input id="new-wf-key" maxLength={48} />
        </Form.Item>
        <Form.Item name="module" label={t('workflows.module')}>
          <AutoComplete id="new-wf-module" options={modules.map((m) => ({ value: m }))} filterOption />
        </Form.Item>
        <Form.Item name="trigger" label={t('workflows.newDialog.trigger')} rules={[{ required: true, message: t('requiredMsg') }]}>
          <Select id="new-wf-trigger" options={triggers.map((x) => ({ value: x.type, label: msgText(x.label, x.type) }))} />
        </Form.Item>
        <Form.Item name="form" label={t('workflows.newDialog.form')} rules={needsForm ? [{ required: true, message: t('requiredMsg') }] : []}>
          <Select id="new-wf-form" allowClear showSearch optionFilterProp="label"
            options={forms.filter((x) => x.revision != null).map((x) => ({ value: x.key, label: `${label(x.label, x.key)} (${x.key})` }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
