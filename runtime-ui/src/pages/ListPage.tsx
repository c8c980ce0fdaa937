import { useEffect, useMemo, useState } from 'react';
import { App, Button, Checkbox, DatePicker, Grid, Input, InputNumber, Popover, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined, FilterOutlined, LinkOutlined, PlusOutlined, DeleteOutlined, SettingOutlined, UploadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import dayjs from 'dayjs';
import { download, get, qs, session } from '../api';
import { label, lang } from '../i18n';
import { fetchTitles, formatValue, getAccess, getForm, liveFields, type Access, type FieldDef, type FormDef, type Titles } from '../meta';
import { Link, navigate, useLocation } from '../router';
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

export function ListPage({ form: formKey }: { form: string }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const loc = useLocation();
  const [form, setForm] = useState<FormDef | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [titles, setTitles] = useState<Titles>({});
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [sort, setSort] = useState<string>('-id');
  const [q, setQ] = useState('');
  const [conds, setConds] = useState<Condition[]>([]);
  const [loading, setLoading] = useState(false);
  const [filterOpen, setFilterOpen] = useState(false);
  const [importing, setImporting] = useState(false);
  const [reloadTick, setReloadTick] = useState(0);
  const [access, setAccess] = useState<Access | null | undefined>(undefined);
  // Until the rights are known no action button shows; when the engine cannot say (null), all do.
  const may = (a: keyof Access['actions']) => access !== undefined && (access === null || access.actions[a]);
  const [publicOpen, setPublicOpen] = useState(false);
  const isAdmin = session.user()?.roles.includes('admin') ?? false;
  const storeKey = `formwork.columns.${session.user()?.id ?? 0}.${formKey}`;
  const [picked, setPicked] = useState<string[] | null>(() => {
    try {
      return JSON.parse(localStorage.getItem(storeKey) ?? 'null');
    } catch {
      return null;
    }
  });
  const pick = (keys: string[] | null) => {
    setPicked(keys);
    if (keys) localStorage.setItem(storeKey, JSON.stringify(keys));
    else localStorage.removeItem(storeKey);
  };
  // A filter in the URL (drill-down from a dashboard) joins the builder's conditions.
  const urlFilter = loc.search.get('filter');

  useEffect(() => {
    getForm(formKey).then(setForm, (e) => message.error(e.message));
    void getAccess(formKey).then(setAccess);
  }, [formKey, i18n.language]);

  const filter = useMemo(() => {
    const built = conditionsToLogic(conds);
    const extra = urlFilter ? JSON.parse(urlFilter) : null;
    if (built && extra) return { and: [extra, built] };
    return built ?? extra;
  }, [conds, urlFilter]);

  useEffect(() => {
    if (!form) return;
    let stale = false;
    setLoading(true);
    get<{ items: Row[]; total: number }>(`/api/records/${formKey}${qs({ page, pageSize, sort, q, filter })}`)
      .then(async (r) => {
        const tt = await fetchTitles(liveFields(form), r.items);
        if (stale) return;
        setRows(r.items);
        setTotal(r.total);
        setTitles(tt);
      })
      .catch((e) => !stale && message.error(e.message))
      .finally(() => !stale && setLoading(false));
    return () => { stale = true; };
  }, [form, page, pageSize, sort, q, filter, reloadTick]);

  if (!form) return null;
  const listable = liveFields(form).filter((f) => f.type !== 'subtable' && !f.ui?.hidden && !['attachment', 'image', 'signature', 'textarea'].includes(f.type));
  // The title field first (it links to the record), then the form's order.
  const titleKey = (form as { titleField?: string }).titleField;
  const fields = [...listable.filter((f) => f.key === titleKey), ...listable.filter((f) => f.key !== titleKey)];
  // Default columns: the first eight, plus indexed selects (the fields people filter by); the
  // column picker changes them, remembered per form in this browser.
  const defaults = [...fields.slice(0, 8), ...fields.slice(8).filter((f) => f.type === 'select' && f.indexed)].map((f) => f.key);
  const chosen = picked ?? defaults;
  const shown = screens.md ? fields.filter((f) => chosen.includes(f.key)) : fields.filter((f) => chosen.includes(f.key)).slice(0, 3);
  const sortKey = sort.replace(/^-/, '');
  const columns = shown.map((f, i) => ({
    key: f.key,
    dataIndex: f.key,
    title: label(f.label, f.key),
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

  return (
    <div data-testid={`list-${formKey}`}>
      <Typography.Title level={4} style={{ marginTop: 0 }}>{label(form.label, formKey)}</Typography.Title>
      <div className="fw-toolbar">
        <Input.Search allowClear placeholder={t('search')} style={{ maxWidth: 260 }} onSearch={(v) => { setPage(1); setQ(v); }} data-testid="list-search" />
        <Popover open={filterOpen} onOpenChange={setFilterOpen} trigger="click" placement="bottomLeft"
          content={<FilterBuilder form={form} value={conds} onApply={(c) => { setConds(c); setPage(1); setFilterOpen(false); }} />}>
          <Button icon={<FilterOutlined />} data-testid="filter-button">{t('filter')}{conds.length ? ` (${conds.length})` : ''}</Button>
        </Popover>
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
      <Table<Row>
        rowKey="id"
        size={screens.md ? 'middle' : 'small'}
        loading={loading}
        dataSource={rows}
        columns={columns}
        scroll={{ x: 'max-content' }}
        onRow={(r) => ({ onDoubleClick: () => void navigate(`/records/${formKey}/${r.id}`) })}
        pagination={{ current: page, pageSize, total, showSizeChanger: screens.md, showTotal: (n) => t('total', { count: n }), simple: !screens.sm }}
        onChange={(p, _f, s) => {
          const one = Array.isArray(s) ? s[0] : s;
          const key = one?.order ? String(one.columnKey) : '';
          setSort(key ? (one!.order === 'descend' ? `-${key}` : key) : '-id');
          if (p.pageSize !== pageSize) { setPageSize(p.pageSize!); setPage(1); } else setPage(p.current ?? 1);
        }}
      />
    </div>
  );
}
