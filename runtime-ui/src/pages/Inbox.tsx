import { useEffect, useRef, useState } from 'react';
import { Alert, App, Badge, Button, Card, Col, Empty, Grid, Input, List, Row, Select, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, ApiError, get, qs } from '../api';
import { label, lang } from '../i18n';
import { fetchTitles, formList, getForm, liveFields, recordTitle, type FormDef, type Titles } from '../meta';
import { navigate } from '../router';
import { RecordFields, WorkflowTimeline } from './RecordPage';
import { CellInput } from '../widgets';

interface Task {
  id: number; title: string; workflow: string; node: string; form: string; recordId: number;
  assignee: number | null; status: string; createdAt: string; dueAt: string | null; actions: string[];
  editableFields?: string[];
  /** The record's title (its form's title field). */
  recordTitle?: string | null;
}

interface Colleague { id: number; displayName: string; department: number | null; departmentName: string | null }

/** A colleague to transfer a task to, searched by name in the directory (GET /api/directory?q=). */
function ColleagueSelect({ value, onChange }: { value: number | null; onChange: (v: number | null) => void }) {
  const { t } = useTranslation();
  const [items, setItems] = useState<Colleague[]>([]);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const search = (q: string) => {
    const n = ++seq.current;
    setLoading(true);
    get<{ items: Colleague[] }>(`/api/directory${qs({ q, limit: 20 })}`)
      .then((r) => n === seq.current && setItems(r.items))
      .catch(() => undefined)
      .finally(() => n === seq.current && setLoading(false));
  };
  return (
    <Select
      showSearch
      allowClear
      filterOption={false}
      style={{ minWidth: 220 }}
      id="transfer-to"
      data-testid="transfer-to"
      placeholder={t('selectPlaceholder')}
      value={value ?? undefined}
      loading={loading}
      onSearch={(q) => { clearTimeout(timer.current); timer.current = setTimeout(() => search(q), 250); }}
      onOpenChange={(o) => o && items.length === 0 && search('')}
      onChange={(v) => onChange(v ?? null)}
      notFoundContent={loading ? t('loading') : t('noData')}
      options={items.map((c) => ({
        value: c.id,
        label: c.departmentName ? `${c.displayName} · ${c.departmentName}` : c.displayName,
      }))}
    />
  );
}

function TaskDetail({ task, onDone }: { task: Task; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form, setForm] = useState<FormDef | null>(null);
  const [record, setRecord] = useState<Record<string, any> | null>(null);
  const [titles, setTitles] = useState<Titles>({});
  const [instances, setInstances] = useState<any[]>([]);
  const [comment, setComment] = useState('');
  const [to, setTo] = useState<number | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [edits, setEdits] = useState<Record<string, unknown>>({});
  useEffect(() => {
    setRecord(null);
    setEdits({});
    setError(null);
    (async () => {
      const def = await getForm(task.form);
      const r = await get(`/api/records/${task.form}/${task.recordId}`);
      setForm(def);
      setRecord(r);
      setTitles(await fetchTitles(liveFields(def), [r]));
      const wf = await get<{ instances: any[] }>(`/api/records/${task.form}/${task.recordId}/workflow`).catch(() => ({ instances: [] }));
      setInstances(wf.instances);
    })().catch((e) => setError(e.message));
  }, [task.id]);

  const act = async (action: string) => {
    setBusy(action);
    try {
      const fields = Object.fromEntries(Object.entries(edits).filter(([k, v]) => JSON.stringify(v ?? null) !== JSON.stringify(record?.[k] ?? null)));
      await api('POST', `/api/tasks/${task.id}/complete`, {
        action,
        ...(comment ? { comment } : {}),
        ...(action === 'transfer' && to ? { to } : {}),
        ...(Object.keys(fields).length && action !== 'transfer' ? { fields } : {}),
      });
      message.success(t('taskDone'));
      onDone();
    } catch (e) {
      message.error(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };
  const open = task.status === 'open';
  return (
    <Card size="small" data-testid="task-detail"
      title={<span>{task.title}</span>}
      extra={<Button type="link" onClick={() => void navigate(`/records/${task.form}/${task.recordId}`)}>{t('openRecord')}</Button>}>
      {error && <Alert type="error" title={error} />}
      {!record || !form ? <Spin /> : (
        <>
          <Typography.Title level={5} style={{ marginTop: 0 }}>{label(form.label, form.key)} · {recordTitle(form, record)}</Typography.Title>
          <RecordFields form={form} record={record} titles={titles} />
          {open && task.actions.length > 0 && (
            <div style={{ marginTop: 16 }}>
              {(task.editableFields ?? []).map((k) => {
                const f = form.fields.find((x) => x.key === k && !x.deleted);
                if (!f) return null;
                return (
                  <div key={k} style={{ marginBottom: 8 }}>
                    <label htmlFor={`task_${k}`}>{label(f.label, k)}</label>
                    <CellInput f={f} id={`task_${k}`} disabled={false} value={k in edits ? edits[k] : record[k]} onChange={(v) => setEdits({ ...edits, [k]: v ?? null })} />
                  </div>
                );
              })}
              <Input.TextArea rows={2} placeholder={t('comment')} value={comment} onChange={(e) => setComment(e.target.value)} data-testid="task-comment" />
              {task.actions.includes('transfer') && (
                <Space style={{ marginTop: 8 }}>
                  <span>{t('transferTo')}</span>
                  <ColleagueSelect value={to} onChange={setTo} />
                </Space>
              )}
              <Space wrap style={{ marginTop: 8 }}>
                {task.actions.map((a) => (
                  <Button key={a} data-testid={`task-${a}`} loading={busy === a} disabled={busy !== null && busy !== a || (a === 'transfer' && !to)}
                    type={a === 'approve' ? 'primary' : 'default'} danger={a === 'reject'} onClick={() => void act(a)}>
                    {t(a, a)}
                  </Button>
                ))}
              </Space>
            </div>
          )}
          <div style={{ marginTop: 16 }}><WorkflowTimeline instances={instances} /></div>
        </>
      )}
    </Card>
  );
}

export function InboxPage() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const [status, setStatus] = useState<'open' | 'done' | 'cc'>('open');
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [selected, setSelected] = useState<Task | null>(null);
  const [tick, setTick] = useState(0);
  const [formLabels, setFormLabels] = useState<Record<string, string>>({});
  useEffect(() => {
    formList().then((fs) => setFormLabels(Object.fromEntries(fs.map((f) => [f.key, label(f.label, f.key)]))), () => undefined);
  }, []);
  useEffect(() => {
    setTasks(null);
    get<{ items: Task[] }>(`/api/tasks?status=${status}`).then((r) => {
      setTasks(r.items);
      setSelected((s) => (s && r.items.find((x) => x.id === s.id)) || null);
    }, () => setTasks([]));
  }, [status, tick]);

  const list = tasks === null ? <Spin /> : (
    <List
      data-testid="task-list"
      locale={{ emptyText: <Empty description={t('noTasks')} /> }}
      dataSource={tasks}
      renderItem={(task) => (
        <List.Item
          data-testid={`task-${task.form}-${task.recordId}`}
          onClick={() => setSelected(task)}
          style={{ cursor: 'pointer', background: selected?.id === task.id ? '#e6f4ff' : undefined, paddingInline: 8 }}
        >
          <List.Item.Meta
            title={<span>{task.title} <Typography.Text type="secondary">· {formLabels[task.form] ?? task.form} {task.recordTitle ?? `#${task.recordId}`}</Typography.Text></span>}
            description={<span>{new Date(task.createdAt).toLocaleString(lang())}{task.dueAt ? ` · ${t('dueAt')} ${new Date(task.dueAt).toLocaleString(lang())}` : ''} {task.status !== 'open' && <Tag>{task.status}</Tag>}</span>}
          />
        </List.Item>
      )}
    />
  );
  const detail = selected ? <TaskDetail task={selected} onDone={() => { setSelected(null); setTick((n) => n + 1); }} /> : null;
  return (
    <div data-testid="inbox">
      <Typography.Title level={4} style={{ marginTop: 0 }}>{t('inbox')}</Typography.Title>
      <Tabs activeKey={status} onChange={(k) => { setSelected(null); setStatus(k as typeof status); }}
        items={(['open', 'done', 'cc'] as const).map((k) => ({
          key: k,
          label: k === 'open' && tasks && status === 'open' ? <Badge count={tasks.length} size="small" offset={[8, 0]}>{t(k)}</Badge> : t(k),
        }))} />
      {screens.lg ? (
        <Row gutter={16}>
          <Col span={9}>{list}</Col>
          <Col span={15}>{detail}</Col>
        </Row>
      ) : (
        <>{detail ? <><Button style={{ marginBottom: 8 }} onClick={() => setSelected(null)}>{t('back')}</Button>{detail}</> : list}</>
      )}
    </div>
  );
}
