import { memo, useMemo } from 'react';
import { Alert, AutoComplete, Button, Collapse, Form, Input, InputNumber, Segmented, Select, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { DeleteOutlined, LockOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import { DefaultValueInput } from './DefaultValueInput';
import { FormulaEditor } from './FormulaEditor';
import { LabelInput } from './LabelInput';
import { isPublished, liveOf, validKey, type FieldDef, type FormDef } from './model';
import { OptionsEditor } from './OptionsEditor';
import { RuleBuilder } from './RuleBuilder';
import { SubtableFieldsEditor } from './SubtableFieldsEditor';

export type FieldUpdate = (update: (f: FieldDef) => FieldDef, tag: string) => void;

const TEXTUAL = new Set(['text', 'textarea', 'phone', 'email', 'url']);
const NUMERIC = new Set(['number', 'money', 'percent', 'date', 'datetime']);
const OPTIONED = new Set(['select', 'multiselect', 'tags']);
const NO_DEFAULT = new Set(['autonumber', 'subtable', 'attachment', 'image', 'signature', 'relation', 'user', 'department', 'address', 'location']);
const SPANS = [24, 12, 8, 6];

/** Sets `prop` to `v`, or removes it when `v` is undefined (the document stays clean). */
export function withProp<K extends keyof FieldDef>(f: FieldDef, prop: K, v: FieldDef[K] | undefined): FieldDef {
  const out = { ...f };
  if (v === undefined) delete (out as Partial<FieldDef>)[prop];
  else out[prop] = v;
  return out;
}

function withUi(f: FieldDef, prop: 'span' | 'section', v: unknown): FieldDef {
  const ui = { ...(f.ui ?? {}) } as Record<string, unknown>;
  if (v === undefined || v === '') delete ui[prop];
  else ui[prop] = v;
  const out = { ...f, ui };
  if (!Object.keys(ui).length) delete (out as Partial<FieldDef>).ui;
  return out;
}

function withRule(f: FieldDef, kind: 'visible' | 'required' | 'readOnly', v: unknown): FieldDef {
  const rules = { ...(f.rules ?? {}) } as Record<string, unknown>;
  if (v === undefined) delete rules[kind];
  else rules[kind] = v;
  const out = { ...f, rules };
  if (!Object.keys(rules).length) delete (out as Partial<FieldDef>).rules;
  return out;
}

interface Props {
  field: FieldDef;
  doc: FormDef;
  /** The same field as last published (option keys stored in records), if any. */
  published: FieldDef | undefined;
  forms: Array<{ key: string; label: unknown }>;
  errors: Array<{ path: string; message: string }>;
  onUpdate: FieldUpdate;
  onDelete: (id: string) => void;
}

/** Everything about one field, zh-CN first. Each edit is one undo step (typing folds into one). */
export const FieldProperties = memo(function FieldProperties({ field: f, doc, published, forms, errors, onUpdate, onDelete }: Props) {
  const { t } = useTranslation();
  const set = <K extends keyof FieldDef>(prop: K, v: FieldDef[K] | undefined) => onUpdate((x) => withProp(x, prop, v), `${f.id}:${String(prop)}`);
  const err = (prefix: string) => {
    const list = errors.filter((e) => e.path === prefix || e.path.startsWith(prefix + '/'));
    return list.length ? { validateStatus: 'error' as const, help: list.map((e) => e.message).join('；') } : {};
  };
  const others = useMemo(() => liveOf(doc).filter((x) => x.id !== f.id), [doc, f.id]);
  const sections = useMemo(() => [...new Set(doc.fields.map((x) => x.ui?.section).filter(Boolean) as string[])], [doc]);
  const locked = isPublished(f);
  const publishedOptionKeys = useMemo(() => new Set((published?.options ?? []).map((o) => o.key)), [published]);
  const placed = new Set(['', '/key', '/label', '/help', '/default', '/options', '/relation', '/fields', '/min', '/max', '/minLength', '/maxLength', '/pattern', '/rules', '/formula', '/ui']);
  const otherErrors = errors.filter((e) => !placed.has('/' + (e.path.split('/')[1] ?? '')) || e.path === '');

  const items = [
    {
      key: 'basic', label: t('prop.basic'),
      children: (
        <>
          <Form.Item label={t('labelZhEn')} required {...err('/label')}>
            <LabelInput id="prop-label" value={f.label} onChange={(l) => onUpdate((x) => ({ ...x, label: l ?? '' }), `${f.id}:label`)} />
          </Form.Item>
          <Form.Item
            label={<Space size={4}>{t('prop.key')}{locked && <Tooltip title={t('keyLocked')}><LockOutlined /></Tooltip>}</Space>}
            extra={locked ? <span data-testid="key-locked">{t('keyLocked')}</span> : t('keyHelp')}
            {...err('/key')}
          >
            <Input id="prop-key" value={f.key} disabled={locked} maxLength={48} status={validKey(f.key) ? undefined : 'error'} onChange={(e) => set('key', e.target.value.trim())} />
          </Form.Item>
          <Form.Item label={t('prop.type')}>
            <Tag>{t(`type.${f.type}`)}</Tag>
            {locked && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('typeLocked')}</Typography.Text>}
          </Form.Item>
          <Space size="large" wrap>
            <Form.Item label={t('prop.required')}>
              <Switch id="prop-required" checked={f.required === true} onChange={(c) => set('required', c || undefined)} />
            </Form.Item>
            {TEXTUAL.has(f.type) && (
              <Form.Item label={<Tooltip title={t('sensitiveHelp')}>{t('prop.sensitive')}</Tooltip>}>
                <Switch id="prop-sensitive" checked={f.sensitive === true} onChange={(c) => set('sensitive', c || undefined)} />
              </Form.Item>
            )}
            {f.type !== 'subtable' && (
              <Form.Item label={t('prop.unique')}>
                <Switch id="prop-unique" checked={f.unique === true} onChange={(c) => set('unique', c || undefined)} />
              </Form.Item>
            )}
          </Space>
          <Form.Item label={t('prop.help')} {...err('/help')}>
            <LabelInput id="prop-help" textarea value={f.help} onChange={(l) => set('help', l)} />
          </Form.Item>
          {!NO_DEFAULT.has(f.type) && f.formula === undefined && (
            <Form.Item label={t('prop.default')} {...err('/default')}>
              <DefaultValueInput field={f} onChange={(v) => set('default', v)} />
            </Form.Item>
          )}
        </>
      ),
    },
    OPTIONED.has(f.type) && {
      key: 'options', label: t('prop.options'),
      children: (
        <Form.Item {...err('/options')}>
          <OptionsEditor value={f.options ?? []} publishedKeys={publishedOptionKeys} onChange={(o) => onUpdate((x) => ({ ...x, options: o }), `${f.id}:options`)} />
          {f.type === 'tags' && (
            <div style={{ marginTop: 8 }}>
              <Switch size="small" checked={f.allowNewOptions !== false} onChange={(c) => set('allowNewOptions', c ? undefined : false)} /> {t('prop.allowNewOptions')}
            </div>
          )}
        </Form.Item>
      ),
    },
    f.type === 'relation' && {
      key: 'relation', label: t('prop.relation'),
      children: (
        <Form.Item label={t('prop.relationForm')} {...err('/relation')} extra={t('relationHelp')}>
          <Select
            id="prop-relation" showSearch optionFilterProp="label" value={f.relation?.form}
            options={forms.map((x) => ({ value: x.key, label: `${label(x.label, x.key)} (${x.key})` }))}
            onChange={(form) => onUpdate((x) => ({ ...x, relation: { form } }), `${f.id}:relation`)}
          />
        </Form.Item>
      ),
    },
    f.type === 'subtable' && {
      key: 'subtable', label: t('prop.subtable'),
      children: (
        <Form.Item {...err('/fields')}>
          <SubtableFieldsEditor value={f.fields ?? []} onChange={(fields) => onUpdate((x) => ({ ...x, fields }), `${f.id}:fields`)} />
        </Form.Item>
      ),
    },
    (TEXTUAL.has(f.type) || NUMERIC.has(f.type)) && {
      key: 'validation', label: t('prop.validation'),
      children: TEXTUAL.has(f.type) ? (
        <>
          <Space>
            <Form.Item label={t('prop.minLength')} {...err('/minLength')}>
              <InputNumber id="prop-minLength" min={0} value={f.minLength} onChange={(n) => set('minLength', n ?? undefined)} />
            </Form.Item>
            <Form.Item label={t('prop.maxLength')} {...err('/maxLength')}>
              <InputNumber id="prop-maxLength" min={0} value={f.maxLength} onChange={(n) => set('maxLength', n ?? undefined)} />
            </Form.Item>
          </Space>
          <Form.Item label={t('prop.pattern')} extra={t('patternHelp')} {...err('/pattern')}>
            <Input id="prop-pattern" value={f.pattern ?? ''} style={{ fontFamily: 'monospace' }} onChange={(e) => set('pattern', e.target.value || undefined)} />
          </Form.Item>
          {f.pattern && (
            <Form.Item label={t('prop.patternMessage')}>
              <LabelInput id="prop-patternMessage" value={f.patternMessage} onChange={(l) => set('patternMessage', l)} />
            </Form.Item>
          )}
        </>
      ) : f.type === 'date' || f.type === 'datetime' ? (
        <Typography.Text type="secondary">{t('dateValidationHint')}</Typography.Text>
      ) : (
        <Space>
          <Form.Item label={t('prop.min')} {...err('/min')}>
            <InputNumber id="prop-min" value={f.min} onChange={(n) => set('min', n ?? undefined)} />
          </Form.Item>
          <Form.Item label={t('prop.max')} {...err('/max')}>
            <InputNumber id="prop-max" value={f.max} onChange={(n) => set('max', n ?? undefined)} />
          </Form.Item>
        </Space>
      ),
    },
    {
      key: 'layout', label: t('prop.layout'),
      children: (
        <>
          <Form.Item label={t('prop.span')} {...err('/ui')}>
            <Segmented
              value={f.ui?.span ?? 24}
              options={SPANS.map((s) => ({ value: s, label: t(`span.${s}`) }))}
              onChange={(s) => onUpdate((x) => withUi(x, 'span', s === 24 ? undefined : s), `${f.id}:span`)}
              data-testid="prop-span"
            />
          </Form.Item>
          <Form.Item label={t('prop.section')} extra={t('sectionHelp')}>
            <AutoComplete
              id="prop-section" value={f.ui?.section ?? ''} options={sections.map((s) => ({ value: s }))} allowClear
              onChange={(s: string) => onUpdate((x) => withUi(x, 'section', s || undefined), `${f.id}:section`)}
            />
          </Form.Item>
        </>
      ),
    },
    {
      key: 'rules', label: <span>{t('prop.rules')}{f.rules && <Tag color="blue" style={{ marginInlineStart: 6 }}>{Object.keys(f.rules).length}</Tag>}</span>,
      children: (
        <div {...{ 'data-testid': 'rules-panel' }}>
          {err('/rules').help && <Alert type="error" showIcon title={err('/rules').help} style={{ marginBottom: 8 }} />}
          {(['visible', 'required', 'readOnly'] as const).map((kind) => (
            <div key={`${f.id}-${kind}`} style={{ marginBottom: 8 }}>
              <Typography.Text strong>{t(`rule.${kind}`)}</Typography.Text>
              <RuleBuilder value={f.rules?.[kind]} fields={others} testId={`rule-${kind}`} onChange={(v) => onUpdate((x) => withRule(x, kind, v), `${f.id}:rule:${kind}`)} />
            </div>
          ))}
        </div>
      ),
    },
    !['subtable', 'autonumber', 'attachment', 'image', 'signature'].includes(f.type) && {
      key: 'formula', label: <span>{t('prop.formula')}{f.formula !== undefined && <Tag color="purple" style={{ marginInlineStart: 6 }}>fx</Tag>}</span>,
      children: (
        <>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('formulaHelp')}</Typography.Paragraph>
          {err('/formula').help && <Alert type="error" showIcon title={err('/formula').help} style={{ marginBottom: 8 }} />}
          <FormulaEditor key={f.id} value={f.formula} fields={others} testId="formula" onChange={(v) => set('formula', v)} />
        </>
      ),
    },
  ].filter(Boolean) as Array<{ key: string; label: React.ReactNode; children: React.ReactNode }>;

  return (
    <Form layout="vertical" size="small" data-testid="field-properties" component="div">
      {otherErrors.length > 0 && <Alert type="error" showIcon style={{ marginBottom: 8 }} title={otherErrors.map((e) => `${e.path ? e.path + ': ' : ''}${e.message}`).join('；')} />}
      <Collapse size="small" defaultActiveKey={['basic', 'options', 'relation', 'subtable']} items={items} />
      <Button danger block icon={<DeleteOutlined />} style={{ marginTop: 12 }} onClick={() => onDelete(f.id)} data-testid="prop-delete">{t('deleteField')}</Button>
    </Form>
  );
});
