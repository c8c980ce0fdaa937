/**
 * A node's or trigger's settings, rendered from the JSON Schema the server registered for its
 * type (@rjsf/antd). Properties whose schema says nothing of their type (json-logic expressions,
 * filters, free values) get a JSON box. The form writes the document on every change; an
 * unchanged value (rjsf filling in what was there) writes nothing.
 */
import { memo, useMemo, useState } from 'react';
import { Alert, Input } from 'antd';
import Form from '@rjsf/antd';
import validator from '@rjsf/validator-ajv8';
import type { FieldProps, RJSFSchema, UiSchema } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';

type Schema = Record<string, unknown>;

/** Free JSON for an untyped property. */
function JsonField(props: FieldProps) {
  const { t } = useTranslation();
  const pretty = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
  const [text, setText] = useState(pretty(props.formData));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <div style={{ marginBottom: 12 }}>
      <div style={{ marginBottom: 4 }}>{props.schema.title ?? props.name}</div>
      <Input.TextArea
        value={text} autoSize={{ minRows: 2, maxRows: 10 }} style={{ fontFamily: 'monospace', fontSize: 12 }} status={bad ? 'error' : undefined}
        data-testid={`wf-json-${props.name}`}
        onChange={(e) => {
          setText(e.target.value);
          if (!e.target.value.trim()) {
            setBad(null);
            props.onChange(undefined as never, [] as never);
            return;
          }
          try {
            const v = JSON.parse(e.target.value);
            setBad(null);
            props.onChange(v, [] as never);
          } catch (err) {
            setBad(t('logic.badJson', { message: (err as Error).message }));
          }
        }}
      />
      {bad && <Alert type="error" showIcon title={bad} style={{ marginTop: 4 }} />}
    </div>
  );
}

const untyped = (s: unknown) => !!s && typeof s === 'object' && !('type' in (s as Schema)) && !('enum' in (s as Schema)) && !('const' in (s as Schema))
  && !('oneOf' in (s as Schema)) && !('anyOf' in (s as Schema)) && !('allOf' in (s as Schema)) && !('$ref' in (s as Schema));

/**
 * Names for the alternatives of a oneOf / anyOf the registered schemas leave untitled (rjsf would
 * say "Option 3"): an assignee kind by its `type` constant, a plain or a bilingual text.
 */
function titled(schema: unknown, t: (k: string, o?: Record<string, unknown>) => string): unknown {
  if (Array.isArray(schema)) return schema.map((x) => titled(x, t));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema as Schema)) out[k] = k === 'enum' || k === 'const' || k === 'default' ? v : titled(v, t);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = out[key];
    if (!Array.isArray(list)) continue;
    out[key] = list.map((alt: Schema) => {
      if (!alt || typeof alt !== 'object' || alt.title) return alt;
      const kind = ((alt.properties as Schema | undefined)?.type as Schema | undefined)?.const;
      if (typeof kind === 'string') return { ...alt, title: t(`workflows.assignee.${kind}`, { defaultValue: kind }) };
      if (alt.type === 'string') return { ...alt, title: t('workflows.textOne') };
      if (alt.type === 'object' && (alt.properties as Schema | undefined)?.['zh-CN']) return { ...alt, title: t('workflows.textBoth') };
      return alt;
    });
  }
  return out;
}

/**
 * rjsf's defaults filled in only where the schema requires them: by default it also fills optional
 * objects whose arrays have minItems (an approval's `due.escalateTo` became `[{type:'user',users:[null]}]`,
 * so every approval node dropped from the palette was invalid before anyone touched it).
 */
const DEFAULTS = { arrayMinItems: { populate: 'requiredOnly' }, emptyObjectFields: 'populateRequiredDefaults' } as const;

/** uiSchema: JSON boxes for untyped properties (one level deep), no submit button. */
function uiFor(schema: Schema, hide: string[]): UiSchema {
  const ui: UiSchema = { 'ui:submitButtonOptions': { norender: true } };
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [k, s] of Object.entries(props)) {
    if (hide.includes(k)) ui[k] = { 'ui:widget': 'hidden' };
    else if (untyped(s)) ui[k] = { 'ui:field': 'json' };
  }
  return ui;
}

export const SchemaForm = memo(function SchemaForm({ schema, value, onChange, hide = [], testId }: {
  schema: Schema; value: Record<string, unknown> | undefined; onChange: (v: Record<string, unknown> | undefined) => void; hide?: string[]; testId: string;
}) {
  const { t } = useTranslation();
  const shown = useMemo(() => titled(schema, t) as Schema, [schema, t]);
  const uiSchema = useMemo(() => uiFor(schema, hide), [schema, hide]);
  const props = Object.keys((schema.properties ?? {}) as Schema).filter((k) => !hide.includes(k));
  if (!props.length) return null;
  return (
    <div data-testid={testId} className="fww-schema-form">
      <Form
        schema={shown as RJSFSchema}
        uiSchema={uiSchema}
        formData={value ?? {}}
        validator={validator}
        fields={{ json: JsonField }}
        experimental_defaultFormStateBehavior={DEFAULTS}
        showErrorList={false}
        onChange={(e) => {
          const next = (e.formData ?? {}) as Record<string, unknown>;
          if (JSON.stringify(next) === JSON.stringify(value ?? {})) return;
          onChange(Object.keys(next).length ? next : undefined);
        }}
      />
    </div>
  );
});
