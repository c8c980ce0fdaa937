/** The report's name, description, module, category, source form and the roles that may run it. */
import { AutoComplete, Form, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { withOptional } from './DimensionsEditor';
import { CATEGORIES, itemStatus, type Errors, type ReportDef } from './model';

export function SettingsEditor({ doc, errors, forms, modules, roles, onChange }: {
  doc: ReportDef; errors: Errors; forms: Array<{ key: string; label: unknown }>; modules: string[]; roles: Array<{ key: string; label: unknown }> | null;
  onChange: (d: ReportDef) => void;
}) {
  const { t } = useTranslation();
  return (
    <Form layout="vertical" size="small" component="div" data-testid="settings">
      <Form.Item label={t('reports.label')} {...itemStatus(errors, '/label')}>
        <LabelInput id="report-label" value={doc.label} onChange={(l) => onChange({ ...doc, label: l ?? '' })} status={itemStatus(errors, '/label').help ? 'error' : undefined} />
      </Form.Item>
      <Form.Item label={t('reports.source')} {...itemStatus(errors, '/source')}>
        <Select
          showSearch optionFilterProp="label" value={doc.source} data-testid="report-source"
          options={forms.map((f) => ({ value: f.key, label: `${label(f.label, f.key)} (${f.key})` }))}
          onChange={(s: string) => onChange({ ...doc, source: s })}
        />
      </Form.Item>
      <div className="fwr-row">
        <Form.Item label={t('reports.category')} style={{ flex: 1 }} {...itemStatus(errors, '/category')}>
          <Select value={doc.category} options={CATEGORIES.map((c) => ({ value: c, label: t(`reports.categories.${c}`) }))} onChange={(c) => onChange({ ...doc, category: c })} />
        </Form.Item>
        <Form.Item label={t('reports.module')} style={{ flex: 1 }} {...itemStatus(errors, '/module')}>
          <AutoComplete value={doc.module ?? ''} options={modules.map((m) => ({ value: m }))} filterOption onChange={(m: string) => onChange(withOptional(doc, 'module', m || undefined))} />
        </Form.Item>
      </div>
      <Form.Item label={t('reports.description')} {...itemStatus(errors, '/description')}>
        <LabelInput id="report-description" textarea value={doc.description} onChange={(d) => onChange(withOptional(doc, 'description', d))} />
      </Form.Item>
      <Form.Item label={t('reports.roles')} {...itemStatus(errors, '/roles')}>
        <Select
          mode={roles ? 'multiple' : 'tags'} allowClear value={doc.roles ?? []}
          options={(roles ?? []).map((r) => ({ value: r.key, label: `${label(r.label, r.key)} (${r.key})` }))}
          onChange={(r: string[]) => onChange(withOptional(doc, 'roles', r.length ? r : undefined))}
        />
      </Form.Item>
    </Form>
  );
}
