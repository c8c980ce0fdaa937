/**
 * The form designer: palette | canvas | properties, preview and form settings; undo/redo over
 * document states; save draft (422s placed on the fields their JSON Pointers name); publish
 * after the table plan has been shown (destructive steps confirmed one by one); revisions,
 * diff and rollback.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Badge, Button, Empty, Space, Spin, Tabs, Tag, Tooltip, Typography } from 'antd';
import { ArrowLeftOutlined, CloudUploadOutlined, HistoryOutlined, RedoOutlined, SaveOutlined, UndoOutlined } from '@ant-design/icons';
import { DndContext, DragOverlay, KeyboardSensor, PointerSensor, useDndContext, useSensor, useSensors, type DragEndEvent } from '@dnd-kit/core';
import { arrayMove } from '@dnd-kit/sortable';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText, get } from '../api';
import { label } from '../i18n';
import { navigate } from '../router';
import { STATUS_COLOR, type DocumentSummary } from '../pages/Forms/index';
import { Canvas } from './Canvas';
import { DeletedFields } from './DeletedFields';
import { collision, keyboardCoordinates, targetOf } from './dropTarget';
import { FieldProperties, type FieldUpdate } from './FieldProperties';
import { fieldIcon } from './fieldIcons';
import { FormSettings } from './FormSettings';
import { isPublished, liveOf, newField, placeErrors, type FieldDef, type FieldType, type FormDef, type PlacedErrors } from './model';
import { Palette } from './Palette';
import { Preview } from './Preview';
import { PublishDialog, type PlanStep } from './PublishDialog';
import { RevisionsDrawer } from './RevisionsDrawer';
import { useDocumentHistory } from './useDocumentHistory';
import { useUnsavedGuard, useUndoKeys } from '../useEditorGuards';

const EMPTY_DOC: FormDef = { key: '', label: '', fields: [] };
const NO_ERRORS: PlacedErrors = { byField: new Map(), form: [] };
const NONE: Array<{ path: string; message: string }> = [];

/**
 * What follows the pointer during a drag: the field type (from the palette) or the field's label.
 * It reads the dragged item from dnd-kit's context rather than from state of the page, so starting
 * and ending a drag re-render this and not the whole designer.
 */
function DragPreview({ fields }: { fields: FieldDef[] }) {
  const { t } = useTranslation();
  const { active } = useDndContext();
  const data = active?.data.current as { from: string; type?: FieldType } | undefined;
  const activeId = active?.id ?? null;
  const field = useMemo(() => (activeId == null ? undefined : fields.find((f) => f.id === activeId)), [fields, activeId]);
  let content = null;
  if (data?.from === 'palette' && data.type) content = <div className="fwd-overlay">{fieldIcon(data.type)} {t(`type.${data.type}`)}</div>;
  else if (field) content = <div className="fwd-overlay">{fieldIcon(field.type)} {label(field.label, field.key)}</div>;
  return <DragOverlay dropAnimation={null}>{content}</DragOverlay>;
}

export default function FormDesignerPage({ form: formKey }: { form: string }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const history = useDocumentHistory<FormDef>(EMPTY_DOC);
  const { doc, apply } = history;
  // Callbacks handed to the (memoised) cards read the document through this ref, so they stay
  // the same functions across edits and an edit re-renders only the card it changed.
  const docRef = useRef(doc);
  docRef.current = doc;
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [published, setPublished] = useState<FormDef | null>(null);
  const [summary, setSummary] = useState<DocumentSummary | null>(null);
  const [forms, setForms] = useState<DocumentSummary[]>([]);
  const [savedJson, setSavedJson] = useState('');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [sideTab, setSideTab] = useState('field');
  const [errors, setErrors] = useState<PlacedErrors>(NO_ERRORS);
  const [banner, setBanner] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [plan, setPlan] = useState<PlanStep[] | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [publishError, setPublishError] = useState<string | null>(null);
  const [revisionsOpen, setRevisionsOpen] = useState(false);
  const base = `/api/meta/forms/${encodeURIComponent(formKey)}`;

  const refreshSummary = useCallback(async () => {
    const list = await get<DocumentSummary[]>('/api/meta/forms');
    setForms(list);
    setSummary(list.find((d) => d.key === formKey) ?? null);
  }, [formKey]);

  const load = useCallback(async () => {
    const draft = await get<FormDef>(`${base}?draft=1`);
    const pub = await get<FormDef>(base).catch((e) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e)));
    history.reset(draft);
    setPublished(pub);
    setSavedJson(JSON.stringify(draft));
    setErrors(NO_ERRORS);
    setBanner(null);
    setLoaded(true);
    await refreshSummary();
  }, [base, refreshSummary]);

  useEffect(() => {
    load().catch((e) => setLoadError(errorText(e)));
  }, [load]);

  const docJson = useMemo(() => JSON.stringify(doc), [doc]);
  const dirty = loaded && docJson !== savedJson;

  // Unsaved changes: leaving asks first (in-app navigation and closing the tab).
  useUnsavedGuard(dirty);

  // Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y); inside a text box the browser's own undo applies.
  useUndoKeys(history.undo, history.redo);

  const live = useMemo(() => liveOf(doc), [doc]);
  const deleted = useMemo(() => doc.fields.filter((f) => f.deleted), [doc]);
  const selected = live.find((f) => f.id === selectedId);

  // ---- edits -------------------------------------------------------------------------------
  const addField = useCallback((type: FieldType, beforeId?: string | null) => {
    const current = docRef.current;
    const lv0 = liveOf(current);
    const at0 = beforeId ? lv0.findIndex((f) => f.id === beforeId) : -1;
    const neighbour = at0 >= 0 ? lv0[at0] : lv0[lv0.length - 1];
    const f = newField(type, current, neighbour?.ui?.section ? { ui: { section: neighbour.ui.section } } : {});
    apply((d) => {
      const lv = liveOf(d);
      const at = beforeId ? lv.findIndex((x) => x.id === beforeId) : -1;
      const nextLive = at >= 0 ? [...lv.slice(0, at), f, ...lv.slice(at)] : [...lv, f];
      return { ...d, fields: [...nextLive, ...d.fields.filter((x) => x.deleted)] };
    });
    setSelectedId(f.id);
    setSideTab('field');
  }, [apply]);

  const moveField = useCallback((id: string, overId: string) => {
    apply((d) => {
      const lv = liveOf(d);
      const from = lv.findIndex((f) => f.id === id);
      const to = lv.findIndex((f) => f.id === overId);
      if (from < 0 || to < 0 || from === to) return d;
      const target = lv[to]!;
      let moved = arrayMove(lv, from, to);
      // A field dropped among another section's fields joins that section.
      const section = target.ui?.section;
      if ((lv[from]!.ui?.section ?? undefined) !== section) {
        moved = moved.map((f) => {
          if (f.id !== id) return f;
          const ui = { ...(f.ui ?? {}) } as Record<string, unknown>;
          if (section) ui.section = section;
          else delete ui.section;
          const out = { ...f, ui };
          if (!Object.keys(ui).length) delete (out as Partial<FieldDef>).ui;
          return out;
        });
      }
      return { ...d, fields: [...moved, ...d.fields.filter((x) => x.deleted)] };
    });
  }, [apply]);

  const removeField = useCallback((id: string) => {
    const f = docRef.current.fields.find((x) => x.id === id);
    if (!f) return;
    const drop = () => {
      apply((d) => ({
        ...d,
        fields: isPublished(f) ? d.fields.map((x) => (x.id === id ? { ...x, deleted: true } : x)) : d.fields.filter((x) => x.id !== id),
      }));
      setSelectedId((s) => (s === id ? null : s));
    };
    if (!isPublished(f)) return drop();
    modal.confirm({
      title: t('deleteTitle', { name: label(f.label, f.key) }),
      content: <div data-testid="delete-warning">{t('deletePublishedBody')}</div>,
      okText: t('deleteField'),
      okButtonProps: { danger: true, 'data-testid': 'delete-confirm' } as any,
      onOk: drop,
    });
  }, [apply, modal, t]);

  const restoreField = useCallback((id: string) => apply((d) => ({
    ...d,
    fields: d.fields.map((x) => {
      if (x.id !== id) return x;
      const { deleted: _d, purge: _p, ...rest } = x;
      return rest as FieldDef;
    }),
  })), [apply]);

  const purgeField = useCallback((id: string, purge: boolean) => apply((d) => ({
    ...d,
    fields: d.fields.map((x) => {
      if (x.id !== id) return x;
      const out = { ...x };
      if (purge) out.purge = true;
      else delete out.purge;
      return out;
    }),
  })), [apply]);

  const updateSelected: FieldUpdate = useCallback((update, tag) => {
    if (!selectedId) return;
    apply((d) => ({ ...d, fields: d.fields.map((f) => (f.id === selectedId ? update(f) : f)) }), tag);
  }, [apply, selectedId]);

  const selectField = useCallback((id: string) => {
    setSelectedId(id);
    setSideTab('field');
  }, []);

  // ---- drag and drop -----------------------------------------------------------------------
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: keyboardCoordinates }),
  );
  const onDragEnd = useCallback((e: DragEndEvent) => {
    const { active } = e;
    // Where it lands: the canvas collision's target (dropTarget.ts); null when dropped off the canvas.
    const target = targetOf(e.collisions);
    if (!target) return;
    const data = active.data.current as { from: string; type?: FieldType } | undefined;
    if (data?.from === 'palette') addField(data.type!, target === 'end' ? null : target.id);
    else {
      const lv = liveOf(docRef.current);
      const to = target === 'end' ? lv[lv.length - 1]?.id : target.id;
      if (to && to !== active.id) moveField(String(active.id), to);
    }
  }, [addField, moveField]);

  // ---- server ------------------------------------------------------------------------------
  /** Saves the draft; true when the server took it. 422s go onto the fields they name. */
  const save = async (quiet = false): Promise<boolean> => {
    const sent = doc;
    setSaving(true);
    setBanner(null);
    try {
      await api('PUT', base, sent);
      setSavedJson(JSON.stringify(sent));
      setErrors(NO_ERRORS);
      if (!quiet) message.success(t('draftSaved'));
      await refreshSummary();
      return true;
    } catch (e) {
      showError(e, sent);
      return false;
    } finally {
      setSaving(false);
    }
  };

  const showError = (e: unknown, sent: FormDef) => {
    setBanner(errorText(e));
    if (e instanceof ApiError && e.fields) {
      const placed = placeErrors(sent, e.fields);
      setErrors(placed);
      const first = sent.fields.find((f) => placed.byField.has(f.id) && !f.deleted);
      if (first) {
        setSelectedId(first.id);
        setSideTab('field');
      } else if (placed.form.length) setSideTab('form');
    }
  };

  const startPublish = async () => {
    if (!(await save(true))) return;
    try {
      const p = await api<{ steps: PlanStep[] }>('POST', `${base}/plan`);
      setPublishError(null);
      setPlan(p.steps);
    } catch (e) {
      showError(e, doc);
    }
  };

  const confirmPublish = async (confirmDataLoss: boolean, note: string) => {
    setPublishing(true);
    setPublishError(null);
    try {
      const r = await api<{ revision: number }>('POST', `${base}/publish`, { ...(confirmDataLoss ? { confirmDataLoss: true } : {}), ...(note ? { note } : {}) });
      setPlan(null);
      message.success(t('published', { revision: r.revision }));
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'validation') {
        setPlan(null);
        showError(e, doc);
      } else setPublishError(errorText(e));
    } finally {
      setPublishing(false);
    }
  };

  if (loadError) return <Alert type="error" showIcon title={loadError} action={<Button onClick={() => void navigate('/forms')}>{t('back')}</Button>} />;
  if (!loaded) return <Spin style={{ margin: 24 }} />;

  const status = summary?.status ?? 'draft';
  return (
    <div data-testid={`designer-${formKey}`}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Space wrap>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => void navigate('/forms')} aria-label={t('back')} />
          <Typography.Title level={4} style={{ margin: 0 }}>{label(doc.label, formKey)}</Typography.Title>
          <Typography.Text code>{formKey}</Typography.Text>
          <Tag color={STATUS_COLOR[status]} data-testid="form-status">{t(`status.${status}`)}</Tag>
          {summary?.revision != null && <Tag>v{summary.revision}</Tag>}
          {dirty && <Badge status="warning" text={t('unsaved')} data-testid="dirty" />}
        </Space>
        <Space wrap>
          <Tooltip title={`${t('undo')} (Ctrl+Z)`}><Button icon={<UndoOutlined />} disabled={!history.canUndo} onClick={history.undo} data-testid="undo" aria-label={t('undo')} /></Tooltip>
          <Tooltip title={`${t('redo')} (Ctrl+Shift+Z)`}><Button icon={<RedoOutlined />} disabled={!history.canRedo} onClick={history.redo} data-testid="redo" aria-label={t('redo')} /></Tooltip>
          <Button icon={<HistoryOutlined />} onClick={() => setRevisionsOpen(true)} data-testid="revisions">{t('revisions.title')}</Button>
          <Button icon={<SaveOutlined />} loading={saving} onClick={() => void save()} data-testid="save-draft">{t('saveDraft')}</Button>
          <Button type="primary" icon={<CloudUploadOutlined />} onClick={() => void startPublish()} data-testid="publish">{t('publish.button')}</Button>
        </Space>
      </Space>
      {banner && <Alert type="error" showIcon closable title={banner} onClose={() => setBanner(null)} style={{ marginBottom: 12 }} data-testid="designer-error" />}
      {errors.form.length > 0 && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} title={errors.form.map((e) => `${e.path}: ${e.message}`).join('；')} data-testid="form-errors" />
      )}
      <div className="fwd-designer">
        {/* Only the palette, the canvas and the overlay inside the DndContext: its contexts change on
            every pointer move of a drag, and React then walks every component under it looking for
            readers, so the side panel stays outside. DndContext adds no element: these are still the
            grid's cells (the overlay is position: fixed, out of the grid's flow). */}
        <DndContext sensors={sensors} collisionDetection={collision} onDragEnd={onDragEnd}>
          <Palette onAdd={addField} />
          <div>
            <Canvas fields={live} selectedId={selectedId} errors={errors.byField} onSelect={selectField} onDelete={removeField} />
            <DeletedFields fields={deleted} onRestore={restoreField} onPurge={purgeField} />
          </div>
          <DragPreview fields={live} />
        </DndContext>
        <div className="fwd-side">
          <Tabs
            activeKey={sideTab}
            onChange={setSideTab}
            size="small"
            items={[
              {
                key: 'field', label: t('tab.field'),
                children: selected
                  ? <FieldProperties key={selected.id} field={selected} doc={doc} published={published?.fields.find((f) => f.id === selected.id)} forms={forms} errors={errors.byField.get(selected.id) ?? NONE} onUpdate={updateSelected} onDelete={removeField} />
                  : <Empty description={t('selectField')} />,
              },
              { key: 'form', label: t('tab.form'), children: <FormSettings doc={doc} errors={errors.form} onChange={apply} /> },
              { key: 'preview', label: <span data-testid="tab-preview">{t('tab.preview')}</span>, children: sideTab === 'preview' ? <Preview doc={doc} /> : null },
            ]}
          />
        </div>
      </div>
      <PublishDialog steps={plan} doc={doc} busy={publishing} error={publishError} onCancel={() => setPlan(null)} onConfirm={(c, n) => void confirmPublish(c, n)} />
      <RevisionsDrawer formKey={formKey} open={revisionsOpen} onClose={() => setRevisionsOpen(false)} onRolledBack={() => void load()} />
    </div>
  );
}
