/**
 * The workflow designer (/designer/workflows/:key): node palette | React Flow canvas | settings
 * (node or edge, workflow and trigger, dry run). Undo/redo over document states; "check" and a
 * refused draft put the server's graph problems on the nodes they concern; publish; revisions;
 * a dry run on a record highlights the path the workflow would take.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Badge, Button, Space, Spin, Tabs, Tag, Tooltip, Typography, Empty } from 'antd';
import {
  ArrowLeftOutlined, CheckCircleOutlined, CloudUploadOutlined, HistoryOutlined, RedoOutlined, SaveOutlined, UndoOutlined,
} from '@ant-design/icons';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText, get } from '../api';
import { label, msgText } from '../i18n';
import { navigate } from '../router';
import { STATUS_COLOR, type DocumentSummary } from '../pages/Forms/index';
import { liveOf, type FormDef } from '../forms/model';
import { useDocumentHistory } from '../forms/useDocumentHistory';
import { useCatalogue } from './catalogue';
import { DryRunPanel, runDry } from './DryRunPanel';
import { EdgeSettings } from './EdgeSettings';
import { FlowCanvas, type Selection } from './FlowCanvas';
import {
  branchesOf, branchLabel, defaultConfig, freeSpot, newNodeId, NO_ERRORS, removeItems, renameNode, updateEdge, updateNode,
  type CheckResult, type DryRunResult, type PlacedErrors, type WorkflowDef,
} from './model';
import { NodePalette } from './NodePalette';
import { NodeSettings } from './NodeSettings';
import { RevisionsDrawer } from './RevisionsDrawer';
import { WorkflowSettings } from './WorkflowSettings';
import './words';
import './workflows.css';
import { useUnsavedGuard, useUndoKeys } from '../useEditorGuards';

const EMPTY: WorkflowDef = { key: '', label: '', trigger: { type: 'record_created' }, nodes: [], edges: [] };

export default function WorkflowDesignerPage({ wf }: { wf: string }) {
  return (
    <ReactFlowProvider>
      <WorkflowDesigner wf={wf} />
    </ReactFlowProvider>
  );
}

function WorkflowDesigner({ wf: key }: { wf: string }) {
  const flow = useReactFlow();
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { catalogue, error: catalogueError } = useCatalogue();
  const history = useDocumentHistory<WorkflowDef>(EMPTY);
  const { doc, apply } = history;
  // addNode names the node from the document as it is now (the history applies updates later).
  const docRef = useRef(doc);
  docRef.current = doc;
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [summary, setSummary] = useState<DocumentSummary | null>(null);
  const [forms, setForms] = useState<DocumentSummary[]>([]);
  const [formDef, setFormDef] = useState<FormDef | null>(null);
  const [savedJson, setSavedJson] = useState('');
  const [selection, setSelection] = useState<Selection>(null);
  const [sideTab, setSideTab] = useState('node');
  const [errors, setErrors] = useState<PlacedErrors>(NO_ERRORS);
  const [serverBranches, setServerBranches] = useState<Record<string, string[]>>({});
  const [banner, setBanner] = useState<{ type: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState<'save' | 'publish' | 'check' | 'dry' | null>(null);
  const [dry, setDry] = useState<DryRunResult | null>(null);
  const [dryError, setDryError] = useState<string | null>(null);
  const [revisionsOpen, setRevisionsOpen] = useState(false);
  const base = `/api/meta/workflows/${encodeURIComponent(key)}`;

  const refreshSummary = useCallback(async () => {
    const list = await get<DocumentSummary[]>('/api/meta/workflows');
    setSummary(list.find((d) => d.key === key) ?? null);
  }, [key]);

  const load = useCallback(async () => {
    const draft = await get<WorkflowDef>(`${base}?draft=1`);
    history.reset(draft);
    setSavedJson(JSON.stringify(draft));
    setErrors(NO_ERRORS);
    setBanner(null);
    setLoaded(true);
    await refreshSummary();
  }, [base, refreshSummary]);

  useEffect(() => {
    load().catch((e) => setLoadError(errorText(e)));
    get<DocumentSummary[]>('/api/meta/forms').then(setForms, () => setForms([]));
  }, [load]);

  // The trigger form's fields: the rule builders' vocabulary.
  const formKey = doc.trigger.form;
  useEffect(() => {
    if (!formKey) return setFormDef(null);
    let live = true;
    get<FormDef>(`/api/meta/forms/${encodeURIComponent(formKey)}`).then((f) => live && setFormDef(f), () => live && setFormDef(null));
    return () => void (live = false);
  }, [formKey]);
  const fields = useMemo(() => (formDef ? liveOf(formDef) : []), [formDef]);

  const docJson = useMemo(() => JSON.stringify(doc), [doc]);
  const dirty = loaded && docJson !== savedJson;

  // Unsaved changes: leaving asks first (in-app navigation and closing the tab).
  useUnsavedGuard(dirty);

  // Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y); inside a text box the browser's own undo applies.
  useUndoKeys(history.undo, history.redo);

  // ---- edits -------------------------------------------------------------------------------
  const select = useCallback((s: Selection) => {
    setSelection(s);
    if (s) setSideTab('node');
  }, []);

  /** The middle of the canvas as it shows now, in flow coordinates (a clicked palette item lands there). */
  const visibleCentre = () => {
    const el = document.querySelector('[data-testid="wf-canvas"]');
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return flow.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
  };

  const addNode = useCallback((type: string, position?: { x: number; y: number }) => {
    const info = catalogue?.byType.get(type);
    const id = newNodeId(type, docRef.current);
    const config = defaultConfig(type);
    const node = {
      id, type, position: position ? { x: Math.round(position.x), y: Math.round(position.y) } : freeSpot(docRef.current, visibleCentre()),
      ...(info ? { label: { ...info.label } } : {}), ...(config ? { config } : {}),
    };
    apply((d) => (d.nodes.some((n) => n.id === id) ? d : { ...d, nodes: [...d.nodes, node] }));
    setSelection({ kind: 'node', id });
    setSideTab('node');
  }, [apply, catalogue, flow]);

  // ---- server ------------------------------------------------------------------------------
  const placeCheck = (r: CheckResult) => {
    setErrors({ byNode: r.errors, byEdge: r.edges, workflow: r.workflow });
    setServerBranches(r.branches);
  };
  const check = async (sent: WorkflowDef, announce: boolean): Promise<CheckResult | null> => {
    try {
      const r = await api<CheckResult>('POST', `${base}/check`, sent);
      placeCheck(r);
      if (announce) {
        const count = Object.keys(r.fields).length;
        setBanner(r.ok ? { type: 'success', text: t('workflows.checkOk') } : { type: 'error', text: t('workflows.checkProblems', { count }) });
      }
      return r;
    } catch (e) {
      setBanner({ type: 'error', text: errorText(e) });
      return null;
    }
  };

  /** A refused document: its problems go onto the nodes (through the check, which places them). */
  const showRefusal = async (e: unknown, sent: WorkflowDef, text: string) => {
    if (e instanceof ApiError && e.code === 'validation') {
      const r = await check(sent, false);
      setBanner({ type: 'error', text });
      const first = r && sent.nodes.find((n) => r.errors[n.id]?.length);
      if (first) setSelection({ kind: 'node', id: first.id });
      if (r && !first && r.workflow.length) setSideTab('workflow');
    } else setBanner({ type: 'error', text: errorText(e) });
  };

  const save = async (quiet = false): Promise<boolean> => {
    const sent = doc;
    setBusy('save');
    setBanner(null);
    try {
      await api('PUT', base, sent);
      setSavedJson(JSON.stringify(sent));
      setErrors(NO_ERRORS);
      if (!quiet) message.success(t('draftSaved'));
      await refreshSummary();
      return true;
    } catch (e) {
      await showRefusal(e, sent, t('workflows.saveFailed'));
      return false;
    } finally {
      setBusy(null);
    }
  };

  const publish = async () => {
    if (!(await save(true))) return;
    setBusy('publish');
    try {
      const r = await api<{ revision: number }>('POST', `${base}/publish`, {});
      message.success(t('workflows.published', { revision: r.revision }));
      await load();
    } catch (e) {
      await showRefusal(e, doc, t('workflows.publishFailed'));
    } finally {
      setBusy(null);
    }
  };

  const runCheck = async () => {
    setBusy('check');
    await check(doc, true);
    setBusy(null);
  };

  const dryRun = async (record: number, decisions: Record<string, 'approve' | 'reject'>) => {
    setBusy('dry');
    setDryError(null);
    try {
      setDry(await runDry(key, doc, record, decisions));
    } catch (e) {
      setDry(null);
      setDryError(errorText(e));
      if (e instanceof ApiError && e.code === 'validation') await check(doc, false);
    } finally {
      setBusy(null);
    }
  };

  if (loadError || catalogueError) {
    return <Alert type="error" showIcon title={loadError ?? errorText(catalogueError)} action={<Button onClick={() => void navigate('/workflows')}>{t('back')}</Button>} />;
  }
  if (!loaded || !catalogue) return <Spin style={{ margin: 24 }} />;

  const status = summary?.status ?? 'draft';
  const selNode = selection?.kind === 'node' ? doc.nodes.find((n) => n.id === selection.id) : undefined;
  const selEdge = selection?.kind === 'edge' ? doc.edges.find((e) => e.id === selection.id) : undefined;
  const edgeSource = selEdge ? doc.nodes.find((n) => n.id === selEdge.source) : undefined;
  const elseText = t('workflows.else');

  const nodePanel = selNode ? (
    <NodeSettings
      key={selNode.id}
      node={selNode}
      info={catalogue.byType.get(selNode.type)}
      takenIds={new Set(doc.nodes.map((n) => n.id))}
      fields={fields}
      errors={errors.byNode[selNode.id] ?? []}
      onUpdate={(u, tag) => apply((d) => updateNode(d, selNode.id, u), tag)}
      onRename={(to) => {
        apply((d) => renameNode(d, selNode.id, to));
        setSelection({ kind: 'node', id: to });
      }}
      onDelete={() => {
        apply((d) => removeItems(d, new Set([selNode.id]), new Set()));
        setSelection(null);
      }}
    />
  ) : selEdge ? (
    <EdgeSettings
      key={selEdge.id}
      edge={selEdge}
      source={edgeSource}
      target={doc.nodes.find((n) => n.id === selEdge.target)}
      branches={edgeSource ? branchesOf(edgeSource, catalogue.byType.get(edgeSource.type), serverBranches[edgeSource.id]).map((b) => ({ key: b, text: branchLabel(edgeSource, b, label, elseText) })) : []}
      fields={fields}
      errors={errors.byEdge[selEdge.id] ?? []}
      onUpdate={(u, tag) => apply((d) => updateEdge(d, selEdge.id, u), tag)}
      onUpdateSource={(u, tag) => apply((d) => updateNode(d, selEdge.source, u), tag)}
      onDelete={() => {
        apply((d) => removeItems(d, new Set(), new Set([selEdge.id])));
        setSelection(null);
      }}
    />
  ) : <Empty description={t('workflows.selectHint')} />;

  const triggerInfo = catalogue.triggers.find((x) => x.type === doc.trigger.type);
  return (
    <div data-testid={`wf-designer-${key}`}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
        <Space wrap>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => void navigate('/workflows')} aria-label={t('back')} />
          <Typography.Title level={4} style={{ margin: 0 }}>{label(doc.label, key)}</Typography.Title>
          <Typography.Text code>{key}</Typography.Text>
          <Tag color={STATUS_COLOR[status]} data-testid="wf-status">{t(`status.${status}`)}</Tag>
          {summary?.revision != null && <Tag data-testid="wf-revision">v{summary.revision}</Tag>}
          {triggerInfo && <Tag color="blue">{msgText(triggerInfo.label, doc.trigger.type)}{doc.trigger.form ? ` · ${doc.trigger.form}` : ''}</Tag>}
          {dirty && <Badge status="warning" text={t('unsaved')} data-testid="wf-dirty" />}
        </Space>
        <Space wrap>
          <Tooltip title={`${t('undo')} (Ctrl+Z)`}><Button icon={<UndoOutlined />} disabled={!history.canUndo} onClick={history.undo} data-testid="wf-undo" aria-label={t('undo')} /></Tooltip>
          <Tooltip title={`${t('redo')} (Ctrl+Shift+Z)`}><Button icon={<RedoOutlined />} disabled={!history.canRedo} onClick={history.redo} data-testid="wf-redo" aria-label={t('redo')} /></Tooltip>
          <Button icon={<CheckCircleOutlined />} loading={busy === 'check'} onClick={() => void runCheck()} data-testid="wf-check">{t('workflows.check')}</Button>
          <Button icon={<HistoryOutlined />} onClick={() => setRevisionsOpen(true)} data-testid="wf-revisions-open">{t('workflows.revisions')}</Button>
          <Button icon={<SaveOutlined />} loading={busy === 'save'} onClick={() => void save()} data-testid="wf-save">{t('saveDraft')}</Button>
          <Button type="primary" icon={<CloudUploadOutlined />} loading={busy === 'publish'} onClick={() => void publish()} data-testid="wf-publish">{t('workflows.publish')}</Button>
        </Space>
      </Space>
      {banner && <Alert type={banner.type} showIcon closable title={banner.text} onClose={() => setBanner(null)} style={{ marginBottom: 8 }} data-testid={banner.type === 'error' ? 'wf-error' : 'wf-ok'} />}
      {errors.workflow.length > 0 && (
        <Alert type="error" showIcon style={{ marginBottom: 8 }} title={errors.workflow.join('；')} data-testid="wf-graph-errors" />
      )}
      <div className="fww-designer">
          <NodePalette types={catalogue.nodes} onAdd={addNode} />
          <FlowCanvas
            doc={doc} catalogue={catalogue} errors={errors} serverBranches={serverBranches} path={dry} selection={selection} elseText={elseText}
            onSelect={select} apply={apply} onAdd={addNode}
          />
          <div className="fww-side">
            <Tabs
              activeKey={sideTab}
              onChange={setSideTab}
              size="small"
              items={[
                { key: 'node', label: <span data-testid="wf-tab-node">{t('workflows.tab.node')}</span>, children: nodePanel },
                {
                  key: 'workflow', label: <span data-testid="wf-tab-workflow">{t('workflows.tab.workflow')}</span>,
                  children: <WorkflowSettings doc={doc} triggers={catalogue.triggers} forms={forms} fields={fields} errors={errors.workflow} onChange={apply} />,
                },
                {
                  key: 'dry', label: <span data-testid="wf-tab-dry">{t('workflows.tab.dryRun')}</span>,
                  children: <DryRunPanel doc={doc} form={formDef} result={dry} busy={busy === 'dry'} error={dryError} onRun={(r, d) => void dryRun(r, d)} onClear={() => setDry(null)} />,
                },
              ]}
            />
          </div>
      </div>
      <RevisionsDrawer workflowKey={key} open={revisionsOpen} onClose={() => setRevisionsOpen(false)} onRolledBack={() => void load()} />
    </div>
  );
}
