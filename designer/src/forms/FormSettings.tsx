import { memo } from 'react';
import { Form, Input, Select, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import { LabelInput } from './LabelInput';
import { liveOf, type FormDef } from './model';

/** The form's own facts: its name, module, description and title field. The key never changes. */
export const FormSettings = memo(function FormSettings({ doc, errors, onChange }: {
  doc: FormDef; errors: Array<{ path: string; message: string }>; onChange: (update: (d: FormDef) => FormDef, tag: string) => void;
}) {
  const { t } = useTranslation();
  const err = (p: string) => {
    const l = errors.filter((e) => e.path === p || e.path.startsWith(p + '/'));
    return l.length ? { validateStatus: 'error' as const, help: l.map((e) => e.message).join('；') } : {};
  };
  const set = <K extends keyof FormDef>(k: K, v: FormDef[K] | undefined) => onChange((d) => {
    const out = { ...d };
    if (v === undefined || v === '') delete out[k];
    else out[k] = v;
    return out;
  }, `form:${String(k)}`);
  return (
    <Form layout="vertical" size="small" component="div" data-testid="form-settings">
      <Form.Item label={t('forms.key')} extra={t('formKeyFixed')}><Typography.Text code>{doc.key}</Typography.Text></Form.Item>
      <Form.Item label={t('labelZhEn')} required {...err('/label')}>
        <LabelInput id="form-label" value={doc.label} onChange={(l) => onChange((d) => ({ ...d, label: l ?? '' }), 'form:label')} />
      </Form.Item>
      <Form.Item label={t('forms.module')} {...err('/module')}>
        <Input id="form-module" value={doc.module ?? ''} maxLength={64} onChange={(e) => set('module', e.target.value)} />
      </Form.Item>
      <Form.Item label={t('forms.description')} {...err('/description')}>
        <LabelInput id="form-description" textarea value={doc.description} onChange={(l) => set('description', l)} />
      </Form.Item>
      <Form.Item label={t('forms.titleField')} extra={t('titleFieldHelp')} {...err('/titleField')}>
        <Select
          allowClear id="form-titleField" value={doc.titleField}
          options={liveOf(doc).filter((f) => f.type !== 'subtable').map((f) => ({ value: f.key, label: label(f.label, f.key) }))}
          onChange={(k) => set('titleField', k ?? undefined)}
        />
      </Form.Item>
    </Form>
  );
});
