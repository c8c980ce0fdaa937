import { Input, InputNumber, Select, Switch, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import type { FieldDef } from './model';

/** A literal default shaped by the field type; a `{"$rule": …}` default is shown, not edited here. */
export function DefaultValueInput({ field, onChange }: { field: FieldDef; onChange: (v: unknown) => void }) {
  const { t } = useTranslation();
  const v = field.default;
  if (v && typeof v === 'object' && !Array.isArray(v) && '$rule' in (v as object)) {
    return <Typography.Text code>{JSON.stringify(v)}</Typography.Text>;
  }
  const id = 'prop-default';
  switch (field.type) {
    case 'number':
    case 'money':
    case 'percent':
      return <InputNumber id={id} style={{ width: '100%' }} value={typeof v === 'number' ? v : null} onChange={(n) => onChange(n ?? undefined)} />;
    case 'boolean':
      return <Switch id={id} checked={v === true} onChange={(c) => onChange(c ? true : undefined)} />;
    case 'select':
      return <Select id={id} allowClear style={{ width: '100%' }} value={v as string | undefined} onChange={(k) => onChange(k ?? undefined)} options={(field.options ?? []).map((o) => ({ value: o.key, label: label(o.label, o.key) }))} />;
    case 'multiselect':
    case 'tags':
      return <Select id={id} mode="multiple" allowClear style={{ width: '100%' }} value={Array.isArray(v) ? (v as string[]) : []} onChange={(k: string[]) => onChange(k.length ? k : undefined)} options={(field.options ?? []).map((o) => ({ value: o.key, label: label(o.label, o.key) }))} />;
    case 'text':
    case 'textarea':
    case 'phone':
    case 'email':
    case 'url':
    case 'date':
    case 'datetime':
      return <Input id={id} value={typeof v === 'string' ? v : ''} placeholder={field.type === 'date' ? 'YYYY-MM-DD' : field.type === 'datetime' ? 'YYYY-MM-DDTHH:mm:ssZ' : undefined} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />;
    default:
      return <Typography.Text type="secondary">{t('noDefault')}</Typography.Text>;
  }
}
