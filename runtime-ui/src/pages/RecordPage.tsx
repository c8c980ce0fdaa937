import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Dropdown, Empty, Grid, Space, Spin, Tabs, Tag, Timeline, Typography, Table } from 'antd';
import { EditOutlined, PrinterOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, get, openHtml, session } from '../api';
import { label, lang } from '../i18n';
import { fetchTitles, formatValue, getAccess, getForm, liveFields, recordTitle, type FieldDef, type FormDef, type Titles } from '../meta';
import { navigate } from '../router';
import { FilesView } from '../widgets/files';
import { SignatureView } from '../widgets/signature';

type Values = Record<string, any>;

/** A user id as people read it: the signed-in user by name (the API gives ids only; see the report). */
export function personName(id: number | null | undefined): string {
  if (!id) return '';
  const me = session.user();
  return me && me.id === id ? me.displayName || me.username : `#${id}`;
}

interface Instance {
  id: number; workflow: string; label?: unknown; status: string; current: string[];
  history: Array<{ at: string; node: string; nodeLabel?: unknown; actor: number | null; actorName?: string | null; action: string; comment: string | null }>;
}

export function RecordFields({ form, record, titles, column }: { form: FormDef; record: Values; titles: Titles; column?: number }) {
  const screens = Grid.useBreakpoint();
  const fields = liveFields(form).filter((f) => !f.ui?.hidden && f.key in record);
  const plain = fields.filter((f) => f.type !== 'subtable');
  const subs = fields.filter((f) => f.type === 'subtable');
  return (
    <>
      <Descriptions size="small" bordered column={column ?? (screens.md ? 2 : 1)} data-testid="record-fields"
        items={plain.map((f) => ({ key: f.key, label: label(f.label, f.key), children: <span data-field={f.key}>{fieldValue(f, record[f.key], titles)}</span> }))} />
      {subs.map((s) => <SubtableView key={s.key} field={s} rows={record[s.key] ?? []} titles={titles} />)}
    </>
  );
}

/** A value on the record page: files and signatures as pictures and links, the rest as text. */
function fieldValue(f: FieldDef, v: unknown, titles: Titles): React.ReactNode {
  if (f.type === 'attachment' || f.type === 'image') return <FilesView field={f} value={v} />;
  if (f.type === 'signature') return v ? <SignatureView value={v} name={f.key} /> : '';
  return formatValue(f, v, titles);
}

function SubtableView({ field, rows, titles }: { field: FieldDef; rows: Values[]; titles: Titles }) {
  const cols = (field.fields ?? []).filter((f) => !f.deleted && !f.ui?.hidden);
  return (
    <div style={{ marginTop: 12 }}>
      <Typography.Text strong>{label(field.label, field.key)}</Typography.Text>
      <Table size="small" rowKey={(r) => String(r.id ?? Math.random())} pagination={false} dataSource={rows} scroll={{ x: 'max-content' }}
        columns={cols.map((f) => ({ key: f.key, title: label(f.label, f.key), dataIndex: f.key, render: (v: unknown) => fieldValue(f, v, titles),
          align: ['money', 'number', 'percent'].includes(f.type) ? ('right' as const) : undefined }))} />
    </div>
  );
}

export function WorkflowTimeline({ instances }: { instances: Instance[] }) {
  const { t } = useTranslation();
  if (!instances.length) return <Empty description={t('noWorkflow')} />;
  return (
    <div data-testid="workflow-timeline">
      {instances.map((ins) => (
        <Card key={ins.id} size="small" style={{ marginBottom: 12 }}
          title={<span data-testid="instance-label">{label(ins.label, ins.workflow)} <Tag data-testid="instance-status" color={ins.status === 'completed' ? 'green' : ins.status === 'rejected' ? 'red' : 'blue'}>{t(`instanceStatus.${ins.status}`, ins.status)}</Tag></span>}>
          <Timeline
            items={ins.history.map((h) => ({
              key: `${h.at}-${h.node}-${h.action}`,
              color: h.action === 'reject' || h.action === 'rejected' ? 'red' : h.action === 'approve' || h.action === 'approved' ? 'green' : 'blue',
              content: (
                <div>
                  <b>{label(h.nodeLabel, h.node)}</b> · {t(h.action, h.action)}{h.actor || h.actorName ? <span data-testid="timeline-actor"> · {h.actorName || personName(h.actor)}</span> : ''}
                  <div><Typography.Text type="secondary">{new Date(h.at).toLocaleString(lang())}</Typography.Text></div>
                  {h.comment && <div>“{h.comment}”</div>}
                </div>
              ),
            }))}
          />
          {ins.status === 'running' && ins.current.length > 0 && <Tag>{ins.current.join(', ')}</Tag>}
        </Card>
      ))}
    </div>
  );
}

function HistoryView({ form, entries }: { form: FormDef; entries: Array<{ at: string; by: number | null; byName?: string | null; action: string; changes: Record<string, [unknown, unknown]> }> }) {
  const { t } = useTranslation();
  const byKey = new Map(liveFields(form).map((f) => [f.key, f]));
  if (!entries.length) return <Empty />;
  return (
    <Timeline data-testid="history"
      items={entries.map((e, i) => ({
        key: i,
        content: (
          <div>
            <b>{t(`historyAction.${e.action}`, e.action)}</b> <Typography.Text type="secondary">{new Date(e.at).toLocaleString(lang())}{e.by || e.byName ? ` · ${e.byName || personName(e.by)}` : ''}</Typography.Text>
            <ul style={{ margin: '4px 0', paddingLeft: 18 }}>
              {Object.entries(e.changes ?? {}).map(([k, [a, b]]) => {
                const f = byKey.get(k);
                const show = (v: unknown) => (f ? formatValue(f, v) : JSON.stringify(v)) || '—';
                return <li key={k}>{f ? label(f.label, k) : k}: {e.action === 'create' ? show(b) : `${show(a)} → ${show(b)}`}</li>;
              })}
            </ul>
          </div>
        ),
      }))}
    />
  );
}

export function RecordPage({ form: formKey, id }: { form: string; id: number }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const [form, setForm] = useState<FormDef | null>(null);
  const [record, setRecord] = useState<Values | null>(null);
  const [titles, setTitles] = useState<Titles>({});
  const [instances, setInstances] = useState<Instance[]>([]);
  const [history, setHistory] = useState<any[]>([]);
  const [prints, setPrints] = useState<Array<{ key: string; label: unknown }>>([]);
  const [error, setError] = useState<string | null>(null);
  // The record's workflow buttons: GET …/actions is the endpoint the UI asks the engine for (see the report); none until it exists.
  const [actions, setActions] = useState<Array<{ key: string; label: unknown }>>([]);
  const [canUpdate, setCanUpdate] = useState(true);

  const load = async () => {
    const def = await getForm(formKey);
    const r = await get<Values>(`/api/records/${formKey}/${id}`);
    setForm(def);
    setRecord(r);
    setTitles(await fetchTitles(liveFields(def), [r]));
    const [wf, hist, pr, acts] = await Promise.all([
      get<{ instances: Instance[] }>(`/api/records/${formKey}/${id}/workflow`).catch(() => ({ instances: [] })),
      get<any[]>(`/api/records/${formKey}/${id}/history`).catch(() => []),
      get<Array<{ key: string; label: unknown }>>(`/api/records/${formKey}/prints`).catch(() => []),
      get<Array<{ action: string; label: unknown }>>(`/api/records/${formKey}/${id}/actions`).catch(() => []),
    ]);
    void getAccess(formKey).then((a) => setCanUpdate(a ? a.actions.update : true));
    setActions(Array.isArray(acts) ? acts.map((a) => ({ key: a.action, label: a.label })) : []);
    setInstances(wf.instances);
    setHistory(hist);
    setPrints(pr);
  };
  useEffect(() => {
    load().catch((e) => setError(e.message));
  }, [formKey, id, i18n.language]);

  // While the timeline is open and a workflow may still move (none started yet, or one running), refresh it.
  const [tab, setTab] = useState('fields');
  const moving = instances.length === 0 || instances.some((i) => i.status === 'running');
  useEffect(() => {
    if (tab !== 'workflow') return;
    const refresh = () => get<{ instances: Instance[] }>(`/api/records/${formKey}/${id}/workflow`).then((wf) => setInstances(wf.instances), () => undefined);
    void refresh();
    if (!moving) return;
    const timer = setInterval(refresh, 3000);
    return () => clearInterval(timer);
  }, [tab, moving, formKey, id]);

  if (error) return <Alert type="error" title={error} />;
  if (!form || !record) return <Spin />;
  const statusField = liveFields(form).find((f) => f.key === 'status' && f.type === 'select');

  return (
    <div data-testid={`record-${formKey}`}>
      <div className="fw-toolbar">
        <Typography.Title level={4} style={{ margin: 0 }} data-testid="record-title">
          {label(form.label, formKey)} · {recordTitle(form, record)}
        </Typography.Title>
        {statusField && record.status && <Tag color="blue" data-testid="record-status">{formatValue(statusField, record.status)}</Tag>}
        <span className="fw-grow" />
        <Space wrap>
          {actions.map((a) => (
            <Button key={a.key} onClick={() => api('POST', `/api/records/${formKey}/${id}/actions/${a.key}`).then(() => load()).catch((e) => message.error(e.message))}>
              {label(a.label, a.key)}
            </Button>
          ))}
          {prints.length > 0 && (
            <Dropdown menu={{ items: prints.map((p) => ({ key: p.key, label: label(p.label, p.key), onClick: () => openHtml(`/api/records/${formKey}/${id}/print/${p.key}`).catch((e) => message.error(e.message)) })) }}>
              <Button icon={<PrinterOutlined />} data-testid="print">{t('print')}</Button>
            </Dropdown>
          )}
          {canUpdate && <Button type="primary" icon={<EditOutlined />} data-testid="edit" onClick={() => void navigate(`/records/${formKey}/${id}/edit`)}>{t('edit')}</Button>}
        </Space>
      </div>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          { key: 'fields', label: t('fields'), children: <RecordFields form={form} record={record} titles={titles} /> },
          { key: 'workflow', label: <span data-testid="tab-workflow">{t('timeline')}</span>, children: <WorkflowTimeline instances={instances} /> },
          { key: 'history', label: t('history'), children: <HistoryView form={form} entries={history} /> },
        ]}
      />
    </div>
  );
}
