import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { App, Button, Checkbox, DatePicker, Grid, Input, InputNumber, Popover, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { DownloadOutlined, FilterOutlined, LinkOutlined, PlusOutlined, DeleteOutlined, SettingOutlined, UploadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import dayjs from 'dayjs';
import { download, get, qs, session } from '../api';
import { label, lang } from '../i18n';
import { fetchTitles, formatValue, getAccess, getForm, liveFields, type Access, type FieldDef, type FormDef, type Titles } from '../meta';
import { Link, navigate, useLocation } from '../router';
import { defaultView, ViewPicker, type ListView, type ViewState } from './ListViews';
import { RelationSelect } from '../widgets';
import { ImportWizard } from './ImportWizard';
import { PublicLinkDialog } from './PublicLinks';

type Row = Record<string, unknown> & { id: number };

export interface Condition { field: string; op: string; value?: unknown }

const ORDERABLE = new Set(['text', 'number', 'money', 'percent', 'date', 'datetime', 'autonumber', 'phone', 'email']);

function opsFor(f: FieldDef): string[] {
  switch (f.type) {
    case 'text': case 'textarea': case 'phone': case 'email': case 'url': case 'autonumber':
      return ['eq', 'ne', 'contains', 'empty', 'notEmpty'];
    case 'number': case 'money': case 'percent': case 'date': case 'datetime':
      return ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'empty', 'notEmpty'];
    case 'tags': case 'multiselect':
      return ['contains', 'empty', 'notEmpty'];
    case 'select': case 'relation': case 'boolean': case 'user': case 'department':
      return ['eq', 'ne', 'empty', 'notEmpty'];
    default:
      return ['empty', 'notEmpty'];
  }
}

const SYMBOL: Record<string, string> = { eq: '==', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Conditions → one json-logic filter (all must hold). */
export function conditionsToLogic(conds: Condition[]): unknown {
  const parts = conds
    .filter((c) => c.field && c.op && (c.op === 'empty' || c.op === 'notEmpty' || (c.value !== undefined && c.value !== null && c.value !== '')))
    .map((c) => {
      const v = { var: c.field };
      if (c.op === 'empty') return { is_empty: [v] };
      if (c.op === 'notEmpty') return { '!': { is_empty: [v] } };
      if (c.op === 'contains') return { in: [c.value, v] };
      return { [SYMBOL[c.op]!]: [v, c.value] };
    });
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0] : { and: parts };
}

const OP_OF: Record<string, string> = Object.fromEntries(Object.entries(SYMBOL).map(([k, v]) => [v, k]));

/** A json-logic filter back into builder conditions (the shapes conditionsToLogic makes), or null when it is something else. */
export function logicToConditions(logic: unknown): Condition[] | null {
  if (logic == null) return [];
  const varOf = (x: unknown): string | null => (x && typeof x === 'object' && !Array.isArray(x) && typeof (x as { var?: unknown }).var === 'string' ? (x as { var: string }).var : null);
  const one = (part: unknown): Condition | null => {
    if (!part || typeof part !== 'object' || Array.isArray(part)) return null;
    const [op, args] = Object.entries(part as Record<string, unknown>)[0] ?? [];
    if (Object.keys(part as object).length !== 1 || op === undefined) return null;
    const list = Array.isArray(args) ? args : null;
    if (op === 'is_empty' && list?.length === 1 && varOf(list[0])) return { field: varOf(list[0])!, op: 'empty' };
    if (op === '!') {
      const inner = args as Record<string, unknown>;
      const l = inner && typeof inner === 'object' && Array.isArray(inner.is_empty) ? (inner.is_empty as unknown[]) : null;
      return l?.length === 1 && varOf(l[0]) ? { field: varOf(l[0])!, op: 'notEmpty' } : null;
    }
    if (op === 'in' && list?.length === 2 && varOf(list[1]) && !varOf(list[0])) return { field: varOf(list[1])!, op: 'contains', value: list[0] };
    if (OP_OF[op] && list?.length === 2 && varOf(list[0]) && !varOf(list[1])) return { field: varOf(list[0])!, op: OP_OF[op]!, value: list[1] };
    return null;
  };
  const parts = logic && typeof logic === 'object' && Array.isArray((logic as { and?: unknown }).and) && Object.keys(logic).length === 1 ? (logic as { and: unknown[] }).and : [logic];
  const out = parts.map(one);
  return out.every((c): c is Condition => c !== null) ? out : null;
}

function ValueInput({ field, value, onChange }: { field?: FieldDef; value: unknown; onChange: (v: unknown) => void }) {
  const { t } = useTranslation();
  const style = { minWidth: 140, width: '100%' };
  if (!field) return <Input disabled style={style} />;
  switch (field.type) {
    case 'select': case 'tags': case 'multiselect':
      return <Select style={style} value={value as string} onChange={onChange} options={(field.options ?? []).map((o) => ({ value: o.key, label: label(o.label, o.key) }))} />;
    case 'boolean':
      return <Select style={style} value={value as boolean} onChange={onChange} options={[{ value: true, label: t('yes') }, { value: false, label: t('no') }]} />;
    case 'number': case 'money': case 'percent':
      return <InputNumber style={style} value={value as number} onChange={(v) => onChange(v ?? undefined)} />;
    case 'date': case 'datetime':
      return <DatePicker style={style} value={typeof value === 'string' ? dayjs(value) : null} onChange={(d) => onChange(d ? d.format('YYYY-MM-DD') : undefined)} />;
    case 'relation':
      return <RelationSelect form={field.relation!.form} value={value as number} onChange={(v) => onChange(v)} style={style} />;
    default:
      return <Input style={style} value={(value as string) ?? ''} onChange={(e) => onChange(e.target.value)} />;
  }
}

function FilterBuilder({ form, value, onApply }: { form: FormDef; value: Condition[]; onApply: (c: Condition[]) => void }) {
  const { t } = useTranslation();
  const [conds, setConds] = useState<Condition[]>(value.length ? value : [{ field: '', op: '' }]);
  const fields = liveFields(form).filter((f) => f.type !== 'subtable' && opsFor(f).length > 0);
  const set = (i: number, c: Partial<Condition>) => setConds(conds.map((x, j) => (j === i ? { ...x, ...c } : x)));
  return (
    <div style={{ width: 'min(560px, 86vw)' }} data-testid="filter-builder">
      {conds.map((c, i) => {
        const f = fields.find((x) => x.key === c.field);
        return (
          <div key={i} style={{ display: 'flex', flexWrap: 'wrap', gap: 6, marginBottom: 8 }}>
            <Select style={{ minWidth: 130, flex: 1 }} placeholder={t('field')} value={c.field || undefined} showSearch optionFilterProp="label"
              options={fields.map((x) => ({ value: x.key, label: label(x.label, x.key) }))}
              onChange={(k) => set(i, { field: k, op: opsFor(fields.find((x) => x.key === k)!)[0], value: undefined })} />
            <Select style={{ minWidth: 110 }} placeholder={t('operator')} value={c.op || undefined}
              options={(f ? opsFor(f) : []).map((o) => ({ value: o, label: t(`ops.${o}`) }))} onChange={(o) => set(i, { op: o })} />
            {c.op !== 'empty' && c.op !== 'notEmpty' && (
              <div style={{ minWidth: 140, flex: 1 }}><ValueInput field={f} value={c.value} onChange={(v) => set(i, { value: v })} /></div>
            )}
            <Button icon={<DeleteOutlined />} onClick={() => setConds(conds.filter((_, j) => j !== i))} />
          </div>
        );
      })}
      <Space>
        <Button onClick={() => setConds([...conds, { field: '', op: '' }])}>{t('addCondition')}</Button>
        <Button onClick={() => { setConds([{ field: '', op: '' }]); onApply([]); }}>{t('clear')}</Button>
        <Button type="primary" data-testid="filter-apply" onClick={() => onApply(conds.filter((c) => c.field))}>{t('apply')}</Button>
      </Space>
    </div>
  );
}

/** Column widths by type (the virtual table needs them; the plain one uses them as minimums). */
function widthOf(f: FieldDef, first: boolean): number {
  if (first) return 180;
  switch (f.type) {
    case 'number': case 'money': case 'percent': case 'boolean': return 120;
    case 'date': case 'select': return 120;
    case 'datetime': return 180;
    case 'phone': return 140;
    case 'tags': case 'multiselect': case 'relation': case 'text': case 'email': case 'url': return 170;
    default: return 150;
  }
}

/** Pages above this size render only the rows in view (antd's virtual table). */
const VIRTUAL_FROM = 100;
const PAGE_SIZES = [10, 20, 50, 100, 200, 500];

/** The search box keeps its own text: a keystroke re-renders this input, never the table. */
const SearchBox = memo(function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  return <Input.Search allowClear placeholder={t('search')} style={{ maxWidth: 260 }} value={text} onChange={(e) => setText(e.target.value)} onSearch={onSearch} data-testid="list-search" />;
});

type Columns = Parameters<typeof Table<Row>>[0]['columns'];

/** The table, memoised: it re-renders when its rows, columns or page change, not when a popover or dialog of the page does. */
const RecordTable = memo(function RecordTable({ rows, columns, loading, virtual, scrollX, scrollY, small, pagination, onChange, onOpen }: {
  rows: Row[]; columns: Columns; loading: boolean; virtual: boolean; scrollX: number; scrollY: number; small: boolean;
  pagination: NonNullable<Parameters<typeof Table<Row>>[0]['pagination']>;
  onChange: NonNullable<Parameters<typeof Table<Row>>[0]['onChange']>;
  onOpen: (id: number) => void;
}) {
  const onRow = useCallback((r: Row) => ({ onDoubleClick: () => onOpen(r.id) }), [onOpen]);
  return (
    <Table<Row>
      rowKey="id"
      size={small ? 'small' : 'middle'}
      // A virtual table under antd's loading overlay re-mounts and re-measures its rows twice per
      // page (measured: about twice the time from data to paint); it shows loading in the toolbar instead.
      loading={virtual ? false : loading}
      dataSource={rows}
      columns={columns}
      virtual={virtual}
      scroll={virtual ? { x: scrollX, y: scrollY } : { x: 'max-content' }}
      onRow={onRow}
      pagination={pagination}
      onChange={onChange}
      data-testid="record-table"
    />
  );
});

const sameView = (a: ViewState, b: ViewState) => JSON.stringify(a) === JSON.stringify(b);

export function ListPage({ form: formKey }: { form: string }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const loc = useLocation();
  const [form, setForm] = useState<FormDef | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [titles, setTitles] = useState<Titles>({});
  const [total, setTotal] = useState(0);
  // Past the server's count cap the total reads "10,000+" (pages beyond it stay reachable).
  const [capped, setCapped] = useState(false);
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [sort, setSort] = useState<string>('-id');
  const [q, setQ] = useState('');
  const [conds, setConds] = useState<Condition[]>([]);
  /** A view's filter the builder cannot show as conditions (kept as it is). */
  const [viewLogic, setViewLogic] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [filterOpen, setFilterOpen] = useState(false);
  const [importing, setImporting] = useState(false);
  const [reloadTick, setReloadTick] = useState(0);
  const [access, setAccess] = useState<Access | null | undefined>(undefined);
  // Until the rights are known no action button shows; when the engine cannot say (null), all do.
  const may = (a: keyof Access['actions']) => access !== undefined && (access === null || access.actions[a]);
  const [publicOpen, setPublicOpen] = useState(false);
  const isAdmin = session.user()?.roles.includes('admin') ?? false;
  // Saved views (server-side); without one chosen, the columns remembered in this browser.
  const [views, setViews] = useState<ListView[]>([]);
  const [viewsReady, setViewsReady] = useState(false);
  const [active, setActive] = useState<ListView | null>(null);
  const storeKey = `formwork.columns.${session.user()?.id ?? 0}.${formKey}`;
  const storedColumns = (): string[] | null => {
    try {
      return JSON.parse(localStorage.getItem(storeKey) ?? 'null');
    } catch {
      return null;
    }
  };
  const [picked, setPicked] = useState<string[] | null>(storedColumns);
  const pick = (keys: string[] | null) => {
    setPicked(keys);
    if (active) return; // a view's columns change with the view (saved by "save into this view")
    if (keys) localStorage.setItem(storeKey, JSON.stringify(keys));
    else localStorage.removeItem(storeKey);
  };
  // A filter in the URL (drill-down from a dashboard) joins the builder's conditions.
  const urlFilter = loc.search.get('filter');
  const [viewportH, setViewportH] = useState(() => window.innerHeight);
  useEffect(() => {
    const on = () => setViewportH(window.innerHeight);
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);

  useEffect(() => {
    getForm(formKey).then(setForm, (e) => message.error(e.message));
    void getAccess(formKey).then(setAccess);
  }, [formKey, i18n.language]);

  /** Show a view (null: all records, the browser's remembered columns). */
  const applyView = useCallback((v: ListView | null) => {
    setActive(v);
    setPage(1);
    if (!v) {
      setConds([]);
      setViewLogic(null);
      setSort('-id');
      setPicked(storedColumns());
      setPageSize(20);
      setQ('');
      return;
    }
    const c = logicToConditions(v.filter);
    setConds(c ?? []);
    setViewLogic(c ? null : v.filter);
    setSort(v.sort || '-id');
    setPicked(v.columns);
    setPageSize(v.pageSize || 20);
    setQ(v.q ?? '');
  }, [storeKey]);

  const loadViews = useCallback(async () => {
    const r = await get<{ items: ListView[] }>(`/api/views${qs({ form: formKey })}`);
    setViews(r.items);
    return r.items;
  }, [formKey]);

  useEffect(() => {
    let stale = false;
    loadViews().then((items) => {
      if (stale) return;
      // A drill-down opens as it was asked; otherwise the default view, if there is one.
      const d = urlFilter ? null : defaultView(items);
      if (d) applyView(d);
    }, () => undefined).finally(() => !stale && setViewsReady(true));
    return () => { stale = true; };
  }, [formKey]);

  const filter = useMemo(() => {
    const parts = [urlFilter ? JSON.parse(urlFilter) : null, viewLogic, conditionsToLogic(conds)].filter((x) => x != null);
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0] : { and: parts };
  }, [conds, urlFilter, viewLogic]);

  useEffect(() => {
    if (!form || !viewsReady) return;
    let stale = false;
    setLoading(true);
    get<{ items: Row[]; total: number; totalCapped?: boolean }>(`/api/records/${formKey}${qs({ page, pageSize, sort, q, filter })}`)
      .then(async (r) => {
        const tt = await fetchTitles(liveFields(form), r.items);
        if (stale) return;
        setRows(r.items);
        setTotal(r.total);
        setCapped(!!r.totalCapped);
        setTitles(tt);
      })
      .catch((e) => !stale && message.error(e.message))
      .finally(() => !stale && setLoading(false));
    return () => { stale = true; };
  }, [form, viewsReady, page, pageSize, sort, q, filter, reloadTick]);

  const fields = useMemo(() => {
    if (!form) return [];
    const listable = liveFields(form).filter((f) => f.type !== 'subtable' && !f.ui?.hidden && !['attachment', 'image', 'signature', 'textarea'].includes(f.type));
    // The title field first (it links to the record), then the form's order.
    const titleKey = (form as { titleField?: string }).titleField;
    return [...listable.filter((f) => f.key === titleKey), ...listable.filter((f) => f.key !== titleKey)];
  }, [form]);
  // Default columns: the first eight, plus indexed selects (the fields people filter by); the
  // column picker changes them — kept in the chosen view, else remembered in this browser.
  const defaults = useMemo(() => [...fields.slice(0, 8), ...fields.slice(8).filter((f) => f.type === 'select' && f.indexed)].map((f) => f.key), [fields]);
  const chosen = picked ?? defaults;
  const shownKey = (screens.md ? fields.filter((f) => chosen.includes(f.key)) : fields.filter((f) => chosen.includes(f.key)).slice(0, 3)).map((f) => f.key).join();
  const columns = useMemo(() => {
    const keys = new Set(shownKey.split(','));
    const sortKey = sort.replace(/^-/, '');
    return fields.filter((f) => keys.has(f.key)).map((f, i) => ({
      key: f.key,
      dataIndex: f.key,
      title: label(f.label, f.key),
      width: widthOf(f, i === 0),
      ellipsis: true,
      sorter: ORDERABLE.has(f.type) || f.type === 'select',
      sortOrder: sortKey === f.key ? (sort.startsWith('-') ? ('descend' as const) : ('ascend' as const)) : null,
      align: ['money', 'number', 'percent'].includes(f.type) ? ('right' as const) : undefined,
      render: (v: unknown, r: Row) => {
        const text = formatValue(f, v, titles);
        if (i === 0) return <Link to={`/records/${formKey}/${r.id}`}>{text || `#${r.id}`}</Link>;
        if (f.type === 'select' && text) {
          const o = f.options?.find((x) => x.key === v);
          return <Tag color={o?.color}>{text}</Tag>;
        }
        return text;
      },
    }));
  }, [fields, shownKey, sort, titles, formKey, i18n.language]);
  const scrollX = useMemo(() => columns.reduce((n, c) => n + (c.width ?? 150), 0), [columns]);
  const virtual = pageSize >= VIRTUAL_FROM;
  // The virtual table scrolls inside itself: what the screen leaves under the toolbar and above the pager.
  const scrollY = Math.max(240, viewportH - (screens.md ? 300 : 260));

  const pagination = useMemo(() => ({
    current: page, pageSize, total, showSizeChanger: !!screens.md, pageSizeOptions: PAGE_SIZES,
    showTotal: (n: number) => (capped ? t('totalCapped', { count: n }) : t('total', { count: n })), simple: !screens.sm,
  }), [page, pageSize, total, capped, screens.md, screens.sm, i18n.language]);
  const pageSizeRef = useRef(pageSize);
  pageSizeRef.current = pageSize;
  const onTableChange = useCallback<NonNullable<Parameters<typeof Table<Row>>[0]['onChange']>>((p, _f, s) => {
    const one = Array.isArray(s) ? s[0] : s;
    const key = one?.order ? String(one.columnKey) : '';
    setSort(key ? (one!.order === 'descend' ? `-${key}` : key) : '-id');
    if (p.pageSize && p.pageSize !== pageSizeRef.current) { setPageSize(p.pageSize); setPage(1); } else setPage(p.current ?? 1);
  }, []);
  const onOpen = useCallback((id: number) => void navigate(`/records/${formKey}/${id}`), [formKey]);
  const onSearch = useCallback((v: string) => { setPage(1); setQ(v); }, []);

  // The list's state as a view would hold it (read when saving).
  const stateRef = useRef<ViewState>({ filter: null, sort: null, columns: null, pageSize: 20, q: null });
  stateRef.current = {
    filter: (() => {
      const parts = [viewLogic, conditionsToLogic(conds)].filter((x) => x != null);
      return parts.length === 0 ? null : parts.length === 1 ? parts[0] : { and: parts };
    })(),
    sort: sort === '-id' ? null : sort, columns: picked, pageSize, q: q || null,
  };
  const currentState = useCallback(() => stateRef.current, []);
  const modified = active ? !sameView(stateRef.current, { filter: active.filter ?? null, sort: active.sort, columns: active.columns, pageSize: active.pageSize, q: active.q || null }) : false;
  const onViewsChanged = useCallback((v: ListView | null) => {
    void loadViews().then((items) => {
      const keep = v ? items.find((x) => x.id === v.id) ?? null : null;
      if (keep) setActive(keep);
      else applyView(null);
    });
  }, [loadViews, applyView]);

  if (!form) return null;

  return (
    <div data-testid={`list-${formKey}`}>
      <Typography.Title level={4} style={{ marginTop: 0 }}>{label(form.label, formKey)}</Typography.Title>
      <div className="fw-toolbar">
        <ViewPicker form={formKey} views={views} active={active} current={currentState} isAdmin={isAdmin} compact={!screens.sm} onChoose={applyView} onChanged={onViewsChanged} />
        {modified && <Tag color="orange" data-testid="view-modified">{t('viewModified')}</Tag>}
        {loading && virtual && <Spin size="small" data-testid="list-loading" />}
        <SearchBox value={q} onSearch={onSearch} />
        <Popover open={filterOpen} onOpenChange={setFilterOpen} trigger="click" placement="bottomLeft"
          content={<FilterBuilder key={JSON.stringify(conds)} form={form} value={conds} onApply={(c) => { setConds(c); setPage(1); setFilterOpen(false); }} />}>
          <Button icon={<FilterOutlined />} data-testid="filter-button">{t('filter')}{conds.length ? ` (${conds.length})` : ''}</Button>
        </Popover>
        {viewLogic != null && <Tag closable onClose={() => setViewLogic(null)} data-testid="view-filter">{t('viewFilter')}</Tag>}
        {urlFilter && <Tag closable onClose={() => void navigate(`/records/${formKey}`, { replace: true })}>{t('drill')}</Tag>}
        <Popover trigger="click" placement="bottomLeft" content={
          <div style={{ maxHeight: 360, overflow: 'auto' }} data-testid="column-picker">
            <Checkbox.Group value={chosen} onChange={(v) => pick(v as string[])} style={{ display: 'flex', flexDirection: 'column', gap: 4 }}
              options={fields.map((f) => ({ value: f.key, label: label(f.label, f.key) }))} />
            <Button size="small" type="link" onClick={() => pick(null)}>{t('clear')}</Button>
          </div>}>
          <Button icon={<SettingOutlined />} data-testid="columns-button">{screens.sm ? t('columns') : null}</Button>
        </Popover>
        <span className="fw-grow" />
        {isAdmin && <Button icon={<LinkOutlined />} data-testid="public-link" onClick={() => setPublicOpen(true)}>{screens.sm ? t('publicLink') : null}</Button>}
        {may('export') && (
          <Button icon={<DownloadOutlined />} data-testid="export" onClick={() =>
            download(`/api/records/${formKey}/export${qs({ format: 'xlsx', filter, lang: lang() })}`, `${formKey}.xlsx`).catch((e) => message.error(e.message))}>
            {screens.sm ? t('export') : null}
          </Button>
        )}
        {may('import') && may('create') && (
          <Button icon={<UploadOutlined />} data-testid="import" onClick={() => setImporting(true)}>{screens.sm ? t('import') : null}</Button>
        )}
        {may('create') && (
          <Button type="primary" icon={<PlusOutlined />} data-testid="new-record" onClick={() => void navigate(`/records/${formKey}/new`)}>{t('new')}</Button>
        )}
      </div>
      {isAdmin && publicOpen && <PublicLinkDialog form={form} onClose={() => setPublicOpen(false)} />}
      <ImportWizard form={form} open={importing} onClose={(imported) => { setImporting(false); if (imported) setReloadTick((n) => n + 1); }} />
      <RecordTable rows={rows} columns={columns} loading={loading} virtual={virtual} scrollX={scrollX} scrollY={scrollY} small={!screens.md}
        pagination={pagination} onChange={onTableChange} onOpen={onOpen} />
    </div>
  );
}
