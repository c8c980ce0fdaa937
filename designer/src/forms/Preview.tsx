import { Component, useMemo, useState, type ReactNode } from 'react';
import { Alert, Button, Space, Typography } from 'antd';
import Form from '@rjsf/antd';
import validator from '@rjsf/validator-ajv8';
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { formJsonSchema } from '../../../engine/src/meta/json-schema';
import { isComputed } from '../../../engine/src/meta/field-types';
import { computeValues, formState, ruleErrors } from '../../../engine/src/rules/evaluate';
import { lang, msgText } from '../i18n';
import { liveOf, type FieldDef, type FormDef } from './model';
import { PREVIEW_WIDGETS } from './PreviewWidgets';

type Values = Record<string, unknown>;

/** Plausible values for every field a person fills in, so rules and formulas show at once. */
export function sampleData(doc: FormDef): Values {
  const out: Values = {};
  const today = new Date().toISOString().slice(0, 10);
  const one = (f: FieldDef): unknown => {
    switch (f.type) {
      case 'text': return lang() === 'en' ? 'Sample' : '示例';
      case 'textarea': return lang() === 'en' ? 'Sample text' : '示例文字';
      case 'number': return 10;
      case 'money': return 1000;
      case 'percent': return 0.1;
      case 'date': return today;
      case 'datetime': return new Date().toISOString();
      case 'boolean': return true;
      case 'select': return f.options?.[0]?.key;
      case 'multiselect': case 'tags': return f.options?.[0] ? [f.options[0].key] : undefined;
      case 'phone': return '13800138000';
      case 'email': return 'demo@example.com';
      case 'url': return 'https://example.com';
      case 'subtable': {
        const row: Values = {};
        for (const sf of (f.fields ?? []).filter((x) => !x.deleted && !isComputed(x))) row[sf.key] = one(sf);
        return [row];
      }
      default: return undefined;
    }
  };
  for (const f of liveOf(doc)) {
    if (isComputed(f)) continue;
    const v = one(f);
    if (v !== undefined) out[f.key] = v;
  }
  return out;
}

class Boundary extends Component<{ children: ReactNode; reset: unknown }, { error: string | null; reset: unknown }> {
  state = { error: null as string | null, reset: undefined as unknown };
  static getDerivedStateFromError(e: Error) {
    return { error: e.message };
  }
  static getDerivedStateFromProps(p: { reset: unknown }, s: { reset: unknown }) {
    return p.reset !== s.reset ? { error: null, reset: p.reset } : null;
  }
  render() {
    return this.state.error ? <Alert type="warning" showIcon title={this.state.error} /> : this.props.children;
  }
}

/**
 * The form as people will see it, through the same compiler (FormDef → JSON Schema + uiSchema)
 * and rule evaluator the runtime and the server use: visibility, required and read-only rules and
 * formulas follow the sample data live.
 */
export function Preview({ doc }: { doc: FormDef }) {
  const { t, i18n } = useTranslation();
  const [data, setData] = useState<Values>(() => safeCompute(doc, sampleData(doc)));
  const [checked, setChecked] = useState<Record<string, string[]> | null>(null);
  const compiled = useMemo(() => {
    try {
      const { schema, uiSchema } = formJsonSchema(doc, lang());
      delete (schema as Values).title;
      return { schema: schema as RJSFSchema, uiSchema: uiSchema as UiSchema, error: null };
    } catch (e) {
      return { schema: null, uiSchema: null, error: (e as Error).message };
    }
  }, [doc, i18n.language]);
  const state = useMemo(() => {
    try {
      return formState(doc, data);
    } catch {
      return null;
    }
  }, [doc, data]);
  const live = useMemo(() => {
    if (!compiled.schema || !compiled.uiSchema) return null;
    const uiSchema: UiSchema = { ...compiled.uiSchema };
    const required: string[] = [];
    for (const f of liveOf(doc)) {
      const ui = { ...((uiSchema[f.key] as Values) ?? {}) };
      if (state?.hidden.has(f.key)) ui['ui:widget'] = 'hidden';
      if (state?.readOnly.has(f.key)) ui['ui:readonly'] = true;
      if (isComputed(f) || f.type === 'autonumber') ui['ui:readonly'] = true;
      uiSchema[f.key] = ui;
      if (f.type !== 'subtable' && (state ? state.required.has(f.key) : f.required)) required.push(f.key);
    }
    return { schema: { ...compiled.schema, required } as RJSFSchema, uiSchema };
  }, [compiled, state, doc]);

  if (compiled.error) return <Alert type="warning" showIcon title={compiled.error} />;
  if (!live) return null;
  const errorSchema = checked ? Object.fromEntries(Object.entries(checked).map(([k, m]) => [k, { __errors: m }])) : undefined;
  return (
    <div data-testid="preview">
      <Space style={{ marginBottom: 8 }} wrap>
        <Button size="small" onClick={() => { setData(safeCompute(doc, sampleData(doc))); setChecked(null); }}>{t('previewSample')}</Button>
        <Button size="small" onClick={() => { setData(safeCompute(doc, {})); setChecked(null); }}>{t('previewClear')}</Button>
        <Button
          size="small" data-testid="preview-check"
          onClick={() => {
            try {
              const errs = ruleErrors(doc, data);
              setChecked(Object.fromEntries(Object.entries(errs).map(([k, ms]) => [k, ms.map((m) => msgText(m))])));
            } catch (e) {
              setChecked({ _form: [(e as Error).message] });
            }
          }}
        >
          {t('previewCheck')}
        </Button>
      </Space>
      {checked && (Object.keys(checked).length === 0
        ? <Alert type="success" showIcon title={t('previewValid')} style={{ marginBottom: 8 }} />
        : checked._form && <Alert type="error" showIcon title={checked._form.join('；')} style={{ marginBottom: 8 }} />)}
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('previewHint')}</Typography.Paragraph>
      <Boundary reset={doc}>
        <Form
          schema={live.schema}
          uiSchema={live.uiSchema}
          formData={data}
          validator={validator}
          widgets={PREVIEW_WIDGETS}
          noValidate
          noHtml5Validate
          showErrorList={false}
          extraErrors={errorSchema as any}
          idPrefix="preview"
          experimental_defaultFormStateBehavior={{ constAsDefaults: 'never' }}
          onChange={(e) => setData(safeCompute(doc, (e.formData ?? {}) as Values))}
        >
          <></>
        </Form>
      </Boundary>
    </div>
  );
}

function safeCompute(doc: FormDef, v: Values): Values {
  try {
    return computeValues(doc, v);
  } catch {
    return v;
  }
}
