/**
 * The workflow's own facts and its trigger: name, module, description, enabled, the record lock
 * and bulk switches; the trigger type (the registered ones), its form, its settings (rendered
 * from the trigger type's JSON Schema) and its condition (the rule builder over the form's fields).
 */
import { memo } from 'react';
import { Alert, Form, Input, Select, Switch, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { label, msgText } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { RuleBuilder } from '../forms/RuleBuilder';
import type { FieldDef } from '../forms/model';
import type { DocumentSummary } from '../pages/Forms/index';
import type { TriggerDef, TriggerTypeFacts, WorkflowDef } from './model';
import { SchemaForm } from './SchemaForm';
import './words';

export const WorkflowSettings = memo(function WorkflowSettings({ doc, triggers, forms, fields, errors, onChange }: {
  doc: WorkflowDef; triggers: TriggerTypeFacts[]; forms: DocumentSummary[]; fields: FieldDef[]; errors: string[];
  onChange: (update: (d: WorkflowDef) => WorkflowDef, tag: string) => void;
}) {
  const { t } = useTranslation();
  const trigger = doc.trigger;
  const info = triggers.find((x) => x.type === trigger.type);
  const setTrigger = (patch: Partial<TriggerDef>, tag: string) => onChange((d) => {
    const next: TriggerDef = { ...d.trigger, ...patch };
    for (const k of Object.keys(next) as Array<keyof TriggerDef>) if (next[k] === undefined || next[k] === null) delete next[k];
    return { ...d, trigger: next };
  }, `trigger:${tag}`);
  const set = <K extends keyof WorkflowDef>(k: K, v: WorkflowDef[K] | undefined) => onChange((d) => {
    const out = { ...d };
    if (v === undefined || v === '') delete out[k];
    else out[k] = v;
    return out;
  }, `wf:${String(k)}`);
  const setSetting = (k: 'lockRecord' | 'skipBulk', v: boolean) => onChange((d) => ({ ...d, settings: { ...(d.settings ?? {}), [k]: v } }), `wf:settings:${k}`);
  return (
    <div data-testid="wf-settings">
      {errors.length > 0 && <Alert type="error" showIcon style={{ marginBottom: 12 }} data-testid="wf-workflow-errors" title={<div>{errors.map((e, i) => <div key={i}>{e}</div>)}</div>} />}
      <Form layout="vertical" size="small" component="div">
        <Form.Item label={t('workflows.key')}><Typography.Text code>{doc.key}</Typography.Text></Form.Item>
        <Form.Item label={t('workflows.workflowLabel')} required>
          <LabelInput id="wf-label" value={doc.label} onChange={(l) => onChange((d) => ({ ...d, label: l ?? '' }), 'wf:label')} />
        </Form.Item>
        <Form.Item label={t('workflows.module')}>
          <Input id="wf-module" value={doc.module ?? ''} maxLength={64} onChange={(e) => set('module', e.target.value)} />
        </Form.Item>
        <Form.Item label={t('workflows.description')}>
          <LabelInput id="wf-description" textarea value={doc.description} onChange={(l) => set('description', l)} />
        </Form.Item>
        <Form.Item label={t('workflows.enabled')}>
          <Switch checked={doc.enabled !== false} onChange={(v) => set('enabled', v ? undefined : false)} data-testid="wf-enabled" />
        </Form.Item>
        <Form.Item label={t('workflows.lockRecord')}>
          <Switch checked={doc.settings?.lockRecord !== false} onChange={(v) => setSetting('lockRecord', v)} />
        </Form.Item>
        <Form.Item label={t('workflows.skipBulk')}>
          <Switch checked={doc.settings?.skipBulk === true} onChange={(v) => setSetting('skipBulk', v)} />
        </Form.Item>
        <Typography.Title level={5}>{t('workflows.trigger')}</Typography.Title>
        <Form.Item label={t('workflows.triggerType')}>
          <Select
            id="wf-trigger-type" value={trigger.type} data-testid="wf-trigger-type"
            options={triggers.map((x) => ({ value: x.type, label: msgText(x.label, x.type) }))}
            onChange={(type: string) => setTrigger({ type, config: undefined }, 'type')}
          />
        </Form.Item>
        {(info?.needsForm || trigger.form) && (
          <Form.Item label={t('workflows.triggerForm')}>
            <Select
              id="wf-trigger-form" value={trigger.form} showSearch optionFilterProp="label" allowClear={!info?.needsForm}
              options={forms.filter((f) => f.revision != null).map((f) => ({ value: f.key, label: `${label(f.label, f.key)} (${f.key})` }))}
              onChange={(form: string | undefined) => setTrigger({ form }, 'form')}
            />
          </Form.Item>
        )}
      </Form>
      {info && (
        <>
          <Typography.Text type="secondary">{t('workflows.triggerSettings')}</Typography.Text>
          <SchemaForm key={trigger.type} schema={info.configSchema} value={trigger.config} onChange={(config) => setTrigger({ config }, 'config')} testId="wf-trigger-config" />
        </>
      )}
      {trigger.form && (
        <div style={{ marginTop: 8 }}>
          <Typography.Text type="secondary">{t('workflows.triggerCondition')}</Typography.Text>
          <RuleBuilder value={trigger.condition} onChange={(v) => setTrigger({ condition: v as never }, 'condition')} fields={fields} testId="wf-trigger-condition" />
        </div>
      )}
    </div>
  );
});
