/** rjsf widgets and fields for Formwork's field types, plus the relation picker used everywhere. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Button, DatePicker, Input, InputNumber, Select, Switch, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import type { FieldProps, WidgetProps } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { get, qs } from './api';
import { label } from './i18n';
import { formatValue, getForm, recordTitle, type FieldDef, type FormDef } from './meta';
import { FilesInput, FilesWidget } from './widgets/files';
import { SignaturePad, SignatureWidget } from './widgets/signature';

interface Option { value: number; label: string }

/** A record of `form`, searched on the server (`q`) as the user types. */
export function RelationSelect(props: {
  form: string; value?: number | null; onChange: (v: number | undefined) => void; id?: string; disabled?: boolean; style?: React.CSSProperties; placeholder?: string;
}) {
  const { t } = useTranslation();
  const [options, setOptions] = useState<Option[]>([]);
  const [loading, setLoading] = useState(false);
  const [target, setTarget] = useState<FormDef | null>(null);
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    getForm(props.form).then(setTarget, () => undefined);
  }, [props.form]);
  const search = (q: string) => {
    if (!target) return;
    const n = ++seq.current;
    setLoading(true);
    get<{ items: Record<string, unknown>[] }>(`/api/records/${props.form}${qs({ q, pageSize: 20 })}`)
      .then((r) => n === seq.current && setOptions(r.items.map((x) => ({ value: x.id as number, label: recordTitle(target, x) }))))
      .catch(() => undefined)
      .finally(() => n === seq.current && setLoading(false));
  };
  // The current value's title.
  useEffect(() => {
    if (!target || typeof props.value !== 'number' || options.some((o) => o.value === props.value)) return;
    get<{ items: Record<string, unknown>[] }>(`/api/records/${props.form}${qs({ filter: { '==': [{ var: 'id' }, props.value] } })}`)
      .then((r) => r.items[0] && setOptions((o) => [...o, { value: props.value as number, label: recordTitle(target, r.items[0]!) }]))
      .catch(() => undefined);
  }, [target, props.value]);
  return (
    <Select
      id={props.id}
      showSearch
      filterOption={false}
      onSearch={(q) => { clearTimeout(timer.current); timer.current = setTimeout(() => search(q), 250); }}
      allowClear
      value={props.value ?? undefined}
      placeholder={props.placeholder ?? t('selectPlaceholder')}
      options={options}
      loading={loading}
      disabled={props.disabled}
      style={{ width: '100%', ...props.style }}
      onOpenChange={(open) => open && options.length <= 1 && search('')}
      onChange={(v) => props.onChange(v ?? undefined)}
      notFoundContent={loading ? t('loading') : t('noData')}
      data-form={props.form}
    />
  );
}

const num = (v: number | null) => (v === null ? undefined : v);

export function MoneyWidget(p: WidgetProps) {
  return (
    <InputNumber
      id={p.id}
      value={p.value ?? null}
      precision={2}
      step={100}
      prefix="¥"
      min={typeof p.schema.minimum === 'number' ? p.schema.minimum : undefined}
      disabled={p.disabled || p.readonly}
      style={{ width: '100%' }}
      onChange={(v) => p.onChange(num(v as number | null))}
      placeholder={p.placeholder}
    />
  );
}

export function RelationWidget(p: WidgetProps) {
  const form = (p.options as { form?: string }).form!;
  return <RelationSelect id={p.id} form={form} value={p.value} disabled={p.disabled || p.readonly} onChange={(v) => p.onChange(v)} />;
}

export function TagsWidget(p: WidgetProps) {
  const opts = ((p.options as { options?: Array<{ key: string; label: string }> }).options ?? []).map((o) => ({ value: o.key, label: o.label }));
  const allowNew = (p.options as { allowNew?: boolean }).allowNew !== false;
  return (
    <Select id={p.id} mode={allowNew ? 'tags' : 'multiple'} value={p.value ?? []} options={opts} disabled={p.disabled || p.readonly}
      style={{ width: '100%' }} onChange={(v: string[]) => p.onChange(v.length ? v : undefined)} />
  );
}

export function IdWidget(p: WidgetProps) {
  return <InputNumber id={p.id} value={p.value ?? null} disabled={p.disabled || p.readonly} style={{ width: '100%' }} onChange={(v) => p.onChange(num(v as number | null))} />;
}

export function UnsupportedWidget(p: WidgetProps) {
  return <Typography.Text type="secondary" id={p.id}>{Array.isArray(p.value) ? `${p.value.length}` : p.value ? '✓' : '—'}</Typography.Text>;
}

export function DateTimeWidget(p: WidgetProps) {
  return (
    <DatePicker id={p.id} showTime value={p.value ? dayjs(p.value) : null} disabled={p.disabled || p.readonly} style={{ width: '100%' }}
      onChange={(d) => p.onChange(d ? d.toDate().toISOString() : undefined)} />
  );
}

export function DateWidget(p: WidgetProps) {
  return (
    <DatePicker id={p.id} value={p.value ? dayjs(p.value, 'YYYY-MM-DD') : null} disabled={p.disabled || p.readonly} style={{ width: '100%' }}
      onChange={(d) => p.onChange(d ? d.format('YYYY-MM-DD') : undefined)} />
  );
}

export const WIDGETS = {
  money: MoneyWidget,
  relation: RelationWidget,
  tags: TagsWidget,
  user: IdWidget,
  department: IdWidget,
  attachment: FilesWidget,
  image: FilesWidget,
  signature: SignatureWidget,
  datetime: DateTimeWidget,
  date: DateWidget,
};

/** What the form page shares with custom fields (rjsf formContext). */
export interface FormContext {
  form: FormDef;
  /** formState keys: 'sub.0.field' for row fields */
  hidden: Set<string>;
  readOnly: Set<string>;
  required: Set<string>;
}

/** An input for one field by its type (subtable cells, fields an approver may edit). */
export function CellInput({ f, value, onChange, id, disabled }: { f: FieldDef; value: unknown; onChange: (v: unknown) => void; id: string; disabled: boolean }) {
  switch (f.type) {
    case 'money':
      return <InputNumber id={id} value={(value as number) ?? null} precision={2} prefix="¥" disabled={disabled} style={{ width: '100%' }} onChange={(v) => onChange(v ?? undefined)} />;
    case 'number': case 'percent':
      return <InputNumber id={id} value={(value as number) ?? null} precision={f.precision} disabled={disabled} style={{ width: '100%' }} onChange={(v) => onChange(v ?? undefined)} />;
    case 'select':
      return <Select id={id} value={value as string} disabled={disabled} allowClear style={{ width: '100%' }} onChange={(v) => onChange(v ?? undefined)}
        options={(f.options ?? []).map((o) => ({ value: o.key, label: label(o.label, o.key) }))} />;
    case 'relation':
      return <RelationSelect id={id} form={f.relation!.form} value={value as number} disabled={disabled} onChange={onChange} />;
    case 'boolean':
      return <Switch id={id} checked={value === true} disabled={disabled} onChange={onChange} />;
    case 'date':
      return <DatePicker id={id} value={value ? dayjs(value as string) : null} disabled={disabled} style={{ width: '100%' }} onChange={(d) => onChange(d ? d.format('YYYY-MM-DD') : undefined)} />;
    default:
      return <Input id={id} value={(value as string) ?? ''} disabled={disabled} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />;
  }
}

/** A subtable: rows as cards of cells; computed cells follow the row as the user types. */
export function SubtableField(p: FieldProps) {
  const { t } = useTranslation();
  const ctx = p.registry.formContext as FormContext;
  const def = ctx.form.fields.find((f) => f.key === p.name);
  const rows: Record<string, unknown>[] = Array.isArray(p.formData) ? p.formData : [];
  const rowFields = useMemo(() => (def?.fields ?? []).filter((f) => !f.deleted && !f.ui?.hidden), [def]);
  if (!def) return null;
  const base = p.fieldPathId.$id;
  const emit = (next: Record<string, unknown>[]) => p.onChange(next, p.fieldPathId.path);
  const newRow = () => Object.fromEntries(rowFields.filter((f) => f.default !== undefined && typeof f.default !== 'object').map((f) => [f.key, f.default]));
  const readOnlyAll = p.readonly || p.disabled;
  const errs = (p.errorSchema ?? {}) as Record<string, any>;
  return (
    <div data-testid={`subtable-${p.name}`}>
      <div style={{ fontWeight: 500, marginBottom: 8 }}>{label(def.label, def.key)}</div>
      {rows.map((row, i) => (
        <div className="fw-subtable-row" key={i} data-testid={`${p.name}-row-${i}`}>
          <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(120px, 1fr))', gap: 8 }}>
            {rowFields.map((f) => {
              const key = `${p.name}.${i}.${f.key}`;
              if (ctx.hidden.has(key)) return null;
              const ro = readOnlyAll || ctx.readOnly.has(key);
              const cellErrors: string[] = errs[i]?.[f.key]?.__errors ?? [];
              const id = `${base}_${i}_${f.key}`;
              return (
                <div key={f.key}>
                  <label htmlFor={id} style={{ fontSize: 12, color: '#666' }}>
                    {ctx.required.has(key) && <span style={{ color: '#ff4d4f' }}>* </span>}{label(f.label, f.key)}
                  </label>
                  {ro && f.formula !== undefined
                    ? <div id={id} data-testid={id} style={{ padding: '4px 0' }}>{formatValue(f, row[f.key])}</div>
                    : f.type === 'attachment' || f.type === 'image'
                      ? <FilesInput id={id} form={ctx.form.key} field={f} path={`${p.name}.${f.key}`} value={row[f.key]} disabled={ro} onChange={(v) => emit(rows.map((r, j) => (j === i ? { ...r, [f.key]: v } : r)))} />
                      : f.type === 'signature'
                        ? <SignaturePad id={id} name={`${p.name}_${i}_${f.key}`} value={row[f.key] as string} disabled={ro} onChange={(v) => emit(rows.map((r, j) => (j === i ? { ...r, [f.key]: v } : r)))} />
                        : <CellInput f={f} id={id} value={row[f.key]} disabled={ro} onChange={(v) => emit(rows.map((r, j) => (j === i ? { ...r, [f.key]: v } : r)))} />}
                  {cellErrors.map((m) => <div key={m} style={{ color: '#ff4d4f', fontSize: 12 }}>{m}</div>)}
                </div>
              );
            })}
          </div>
          {!readOnlyAll && (
            <div style={{ textAlign: 'right', marginTop: 4 }}>
              <Button size="small" danger type="text" icon={<DeleteOutlined />} onClick={() => emit(rows.filter((_, j) => j !== i))}>{t('removeRow')}</Button>
            </div>
          )}
        </div>
      ))}
      {(errs.__errors ?? []).map((m: string) => <div key={m} style={{ color: '#ff4d4f' }}>{m}</div>)}
      {!readOnlyAll && <Button icon={<PlusOutlined />} data-testid={`${p.name}-add`} onClick={() => emit([...rows, newRow()])}>{t('addRow')}</Button>}
    </div>
  );
}
