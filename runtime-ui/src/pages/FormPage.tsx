import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Card, Space, Spin, Typography } from 'antd';
import { LockOutlined } from '@ant-design/icons';
import Form, { Templates as AntdTemplates } from '@rjsf/antd';
import validator from '@rjsf/validator-ajv8';
import { getDefaultFormState, type ErrorSchema, type FieldTemplateProps, type ObjectFieldTemplateProps, type RJSFSchema, type UiSchema, type WidgetProps } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { formJsonSchema } from '../../../engine/src/meta/json-schema';
import { computeValues, formState, ruleErrors } from '../../../engine/src/rules/evaluate';
import { api, ApiError, get } from '../api';
import { label, lang, msgText } from '../i18n';
import { formatValue, getAccess, getForm, liveFields, type Access, type FormDef } from '../meta';
import { navigate, setLeaveGuard } from '../router';
import { SubtableField, WIDGETS, type FormContext } from '../widgets';

type Values = Record<string, unknown>;
/** Only the form's own defaults: a select's first option is not a default ('const' in oneOf). */
export const DEFAULTS_BEHAVIOR = { constAsDefaults: 'never' as const };

/** Record → form data: no system keys, no nulls (rjsf wants undefined for empty). */
function toFormData(form: FormDef, r: Values): Values {
  const out: Values = {};
  for (const f of liveFields(form)) {
    const v = r[f.key];
    if (v === null || v === undefined) continue;
    if (f.type === 'subtable' && Array.isArray(v)) {
      out[f.key] = v.map((row: Values) => Object.fromEntries(Object.entries(row).filter(([, x]) => x !== null)));
    } else out[f.key] = v;
  }
  return out;
}

/** The payload to send: computed fields left out, masked ones never sent back; on update only what changed. */
function payload(form: FormDef, data: Values, original: Values | null, masked: ReadonlySet<string> = new Set()): Values {
  const out: Values = {};
  for (const f of liveFields(form)) {
    if (f.formula !== undefined || f.type === 'autonumber' || (f as { rollup?: unknown }).rollup || masked.has(f.key)) continue;
    let v = data[f.key];
    if (f.type === 'subtable' && Array.isArray(v)) {
      const computed = new Set((f.fields ?? []).filter((x) => x.formula !== undefined).map((x) => x.key));
      v = v.map((row: Values) => Object.fromEntries(Object.entries(row).filter(([k]) => !computed.has(k))));
    }
    if (original) {
      const before = original[f.key] ?? undefined;
      if (JSON.stringify(before ?? null) === JSON.stringify(v ?? null)) continue;
      out[f.key] = v ?? null;
    } else if (v !== undefined) out[f.key] = v;
  }
  return out;
}

/** Server field errors ({'sub.0.field': [msg]}) → rjsf's error schema. */
export function toErrorSchema(fields: Record<string, string[]>): ErrorSchema {
  const out: any = {};
  for (const [key, msgs] of Object.entries(fields)) {
    let node = out;
    for (const seg of key.split('.')) node = node[seg] ??= {};
    node.__errors = [...(node.__errors ?? []), ...msgs];
  }
  return out;
}

export function ComputedWidget(p: WidgetProps) {
  const ctx = p.registry.formContext as FormContext;
  const f = ctx.form.fields.find((x) => x.key === p.name);
  const text = f ? formatValue(f, p.value) : String(p.value ?? '');
  return <div id={p.id} data-testid={p.id} style={{ padding: '4px 0', fontWeight: 500 }}>{text || '—'}</div>;
}

/**
 * Objects as a plain column of fields. antd's template wraps every property in Row/Col, whose
 * styling hooks then run for all fields on every keystroke; plain elements let an unchanged
 * field's SchemaField skip its render (a 200-field form stays responsive).
 */
function ObjectTemplate(p: ObjectFieldTemplateProps) {
  const root = p.fieldPathId.path.length === 0;
  const ctx = p.registry.formContext as FormContext;
  // At the root, fields flow in columns as wide as the screen allows; long ones take a whole row.
  const wide = (name: string) => {
    const f = root ? ctx.form.fields.find((x) => x.key === name) : undefined;
    return !!f && (['subtable', 'textarea', 'address', 'location', 'signature', 'attachment', 'image'].includes(f.type) || (f.ui?.span ?? 0) >= 24);
  };
  // At the root, a field whose section differs from the field before it opens that section with a heading.
  const sectionOf = (name: string) => (root ? ctx.form.fields.find((x) => x.key === name)?.ui?.section : undefined);
  let current: string | undefined;
  const items: React.ReactNode[] = [];
  for (const prop of p.properties) {
    if (prop.hidden) continue;
    const section = sectionOf(prop.name);
    if (section && section !== current) {
      items.push(<div key={`section:${prop.name}`} className="fw-wide fw-section" role="heading" aria-level={3}>{section}</div>);
    }
    current = section ?? current;
    items.push(<div key={prop.name} className={wide(prop.name) ? 'fw-wide' : undefined}>{prop.content}</div>);
  }
  return (
    <div className={root ? 'fw-object fw-object-root' : 'fw-object'}>
      {p.title && !root && <div style={{ fontWeight: 500, margin: '4px 0 8px' }}>{p.title}</div>}
      {items}
    </div>
  );
}
/** The root object without antd's Form.Item: its context would re-render every field inside on each change. */
function FieldTemplate(p: FieldTemplateProps) {
  if (p.fieldPathId.path.length === 0) return p.children;
  const Antd = AntdTemplates.FieldTemplate!;
  return <Antd {...p} />;
}
export const TEMPLATES = { ObjectFieldTemplate: ObjectTemplate, FieldTemplate };

/** A field the caller sees masked (138****1234): shown as text, never an input, never sent back. */
export function MaskedWidget(p: WidgetProps) {
  const { t } = useTranslation();
  return (
    <div id={p.id} data-testid={p.id} data-masked="true" aria-readonly="true" style={{ padding: '4px 0' }}>
      <span style={{ fontFamily: 'monospace' }}>{p.value == null || p.value === '' ? '—' : String(p.value)}</span>
      <Typography.Text type="secondary" style={{ marginInlineStart: 8, fontSize: 12 }}><LockOutlined /> {t('masked')}</Typography.Text>
    </div>
  );
}

/** The form's JSON schema with its live rules (hidden, read-only, required) and the caller's read-only fields. */
export function useLiveForm(form: FormDef | null, data: Values, fixedReadOnly?: string[], maskedFields?: string[]) {
  const { i18n } = useTranslation();
  const compiled = useMemo(() => {
    if (!form) return null;
    const { schema, uiSchema } = formJsonSchema(form, lang());
    for (const f of liveFields(form)) {
      const ui = ((uiSchema[f.key] as Record<string, unknown>) ??= {});
      if (f.type === 'subtable') ui['ui:field'] = 'subtable';
      else if (f.formula !== undefined || f.type === 'autonumber' || (f as { rollup?: unknown }).rollup) ui['ui:widget'] = 'computed';
    }
    delete (schema as Values).title;
    delete (schema as Values).description;
    return { schema: schema as RJSFSchema & { properties: Record<string, any> }, uiSchema };
  }, [form, i18n.language]);

  const fixedKey = (fixedReadOnly ?? []).join() + '|' + (maskedFields ?? []).join();
  const fixed = useMemo(() => new Set([...(fixedReadOnly ?? []), ...(maskedFields ?? [])]), [fixedKey]);
  const masked = useMemo(() => new Set(maskedFields ?? []), [fixedKey]);
  const state = useMemo(() => (form ? formState(form, data) : null), [form, data]);

  // The schema and uiSchema change only when a rule flips a field (not on every keystroke), so
  // rjsf re-renders only the fields whose values changed.
  const stateKey = state ? `${[...state.hidden].join()}|${[...state.readOnly].join()}|${[...state.required].join()}` : '';
  const live = useMemo(() => {
    if (!compiled || !state || !form) return null;
    const uiSchema: UiSchema = { ...compiled.uiSchema };
    for (const f of liveFields(form)) {
      const ui = { ...((uiSchema[f.key] as Values) ?? {}) };
      if (state.hidden.has(f.key)) ui['ui:widget'] = 'hidden';
      if (state.readOnly.has(f.key) || fixed.has(f.key)) ui['ui:readonly'] = true;
      if (masked.has(f.key) && f.type !== 'subtable' && !state.hidden.has(f.key)) ui['ui:widget'] = 'masked';
      uiSchema[f.key] = ui;
    }
    const required = liveFields(form).filter((f) => f.type !== 'subtable' && state.required.has(f.key)).map((f) => f.key);
    const schema = { ...compiled.schema, required };
    return { schema, uiSchema };
  }, [compiled, stateKey, form, fixed, masked]);

  // Stable while no rule flips (see stateKey): fields re-render only when their own props change.
  const context = useMemo<FormContext | null>(
    () => (form && state ? { form, hidden: state.hidden, readOnly: state.readOnly, required: state.required } : null),
    [form, stateKey],
  );
  return { live, state, context };
}

export function FormPage({ form: formKey, id }: { form: string; id?: number }) {
  const { t, i18n } = useTranslation();
  const { message, modal } = App.useApp();
  const [form, setForm] = useState<FormDef | null>(null);
  const [original, setOriginal] = useState<Values | null>(null);
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [data, setData] = useState<Values>({});
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<ErrorSchema | undefined>(undefined);
  const [banner, setBanner] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const baseline = useRef<string>('');
  const [access, setAccess] = useState<Access | null>(null);

  /** The first data: rjsf's defaults, then the formulas; the baseline for 'unsaved changes'. */
  const start = (def: FormDef, fd: Values) => {
    const { schema } = formJsonSchema(def, lang());
    const withDefaults = getDefaultFormState(validator, schema as RJSFSchema, fd, schema as RJSFSchema, false, DEFAULTS_BEHAVIOR) as Values;
    const first = computeValues(def, withDefaults);
    baseline.current = JSON.stringify(first);
    setData(first);
  };

  const load = async () => {
    const [def, acc] = await Promise.all([getForm(formKey), getAccess(formKey)]);
    setAccess(acc);
    if (id) {
      const r = await get<Values>(`/api/records/${formKey}/${id}`);
      setForm(def);
      const fd = toFormData(def, r);
      setOriginal(fd);
      setVersion(r._version as number);
      start(def, fd);
    } else {
      setForm(def);
      start(def, {});
    }
    setDirty(false);
    setErrors(undefined);
  };
  useEffect(() => {
    load().catch((e) => setLoadError(e.message));
  }, [formKey, id]);

  // Leaving with unsaved changes asks first (in-app navigation and closing the tab).
  useEffect(() => {
    if (!dirty) {
      setLeaveGuard(null);
      return;
    }
    setLeaveGuard(() => new Promise<boolean>((resolve) => {
      modal.confirm({ title: t('unsavedTitle'), content: t('unsavedBody'), okText: t('leave'), cancelText: t('stay'), onOk: () => resolve(true), onCancel: () => resolve(false) });
    }));
    const onUnload = (e: BeforeUnloadEvent) => { e.preventDefault(); };
    window.addEventListener('beforeunload', onUnload);
    return () => window.removeEventListener('beforeunload', onUnload);
  }, [dirty, i18n.language]);
  useEffect(() => () => setLeaveGuard(null), []);

  const { live, state, context } = useLiveForm(form, data, access?.readOnly, access?.masked);
  const masked = useMemo(() => new Set(access?.masked ?? []), [access]);
  const widgets = useMemo(() => ({ ...WIDGETS, computed: ComputedWidget, masked: MaskedWidget }), []);
  const fields = useMemo(() => ({ subtable: SubtableField }), []);

  if (loadError) return <Alert type="error" title={loadError} />;
  if (!form || !live || !state || !context) return <Spin />;

  const save = async () => {
    setBanner(null);
    // The rules the server runs (required, validate) first, in the person's language — not on
    // masked fields: their value here is the mask (138****1234), which the server keeps as it is.
    const clientErrors = ruleErrors(form, data, masked.size ? { only: new Set(['_form', ...liveFields(form).map((f) => f.key).filter((k) => !masked.has(k))]) } : {});
    if (Object.keys(clientErrors).length) {
      setErrors(toErrorSchema(Object.fromEntries(Object.entries(clientErrors).map(([k, ms]) => [k, ms.map((m) => msgText(m))]))));
      setBanner(t('fixErrors'));
      return;
    }
    setSaving(true);
    try {
      const body = payload(form, data, id ? original : null, masked);
      const saved = id
        ? await api<Values>('PATCH', `/api/records/${formKey}/${id}`, { ...body, _version: version })
        : await api<Values>('POST', `/api/records/${formKey}`, body);
      setDirty(false);
      setLeaveGuard(null);
      message.success(id ? t('saved') : t('created'));
      void navigate(`/records/${formKey}/${saved.id}`, { force: true, replace: !id });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'validation' && e.fields) {
        setErrors(toErrorSchema(e.fields));
        setBanner(t('fixErrors'));
      } else if (e instanceof ApiError && e.status === 409 && e.details?.currentVersion !== undefined) {
        const current = e.details.record as Values | undefined;
        const changed = current && original
          ? liveFields(form).filter((f) => JSON.stringify(original[f.key] ?? null) !== JSON.stringify(current[f.key] ?? null)).map((f) => label(f.label, f.key))
          : [];
        modal.confirm({
          title: t('conflictTitle'),
          content: <div>{t('conflictBody')}{changed.length > 0 && <div style={{ marginTop: 8 }}><b>{changed.join('、')}</b></div>}</div>,
          okText: t('reload'),
          cancelText: t('cancel'),
          onOk: () => load().catch((err) => message.error(err.message)),
        });
      } else {
        setBanner(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <div style={{ maxWidth: 1100 }} data-testid={`form-${formKey}`}>
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {label(form.label, formKey)} · {id ? t('edit') : t('new')}
      </Typography.Title>
      {banner && <Alert type="error" title={banner} showIcon style={{ marginBottom: 12 }} data-testid="form-error" />}
      <Card size="small">
        <Form
          className="fw-form"
          schema={live.schema}
          uiSchema={live.uiSchema}
          formData={data}
          validator={validator}
          noValidate
          experimental_defaultFormStateBehavior={DEFAULTS_BEHAVIOR}
          noHtml5Validate
          showErrorList={false}
          extraErrors={errors}
          formContext={context}
          widgets={widgets}
          templates={TEMPLATES}
          fields={fields}
          onChange={(e) => {
            const next = computeValues(form, (e.formData ?? {}) as Values);
            setData(next);
            setDirty(JSON.stringify(next) !== baseline.current);
          }}
          onSubmit={() => void save()}
        >
          <Space style={{ marginTop: 8 }}>
            <Button type="primary" htmlType="submit" loading={saving} data-testid="save">{t('save')}</Button>
            <Button onClick={() => void navigate(id ? `/records/${formKey}/${id}` : `/records/${formKey}`)}>{t('cancel')}</Button>
          </Space>
        </Form>
      </Card>
    </div>
  );
}
