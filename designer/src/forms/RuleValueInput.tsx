import { Input, InputNumber, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import type { FieldDef } from './model';

const NUMERIC = new Set(['number', 'money', 'percent']);
const OPTIONS = new Set(['select', 'multiselect', 'tags']);

/** The value side of a rule row, shaped by the compared field (options, yes/no, numbers, text). */
export function RuleValueInput({ field, value, list, onChange, testId }: {
  field: FieldDef | undefined; value: unknown; list: boolean; onChange: (v: unknown) => void; testId: string;
}) {
  const { t } = useTranslation();
  if (field && OPTIONS.has(field.type)) {
    const options = (field.options ?? []).map((o) => ({ value: o.key, label: label(o.label, o.key) }));
    return list || field.type !== 'select'
      ? <Select mode={list ? 'multiple' : undefined} style={{ minWidth: 120, flex: 1 }} options={options} value={value as any} onChange={onChange} data-testid={testId} />
      : <Select style={{ minWidth: 120, flex: 1 }} options={options} value={value as any} onChange={onChange} data-testid={testId} />;
  }
  if (field?.type === 'boolean') {
    return <Select style={{ minWidth: 90, flex: 1 }} value={value as any} onChange={onChange} data-testid={testId} options={[{ value: true, label: t('yes') }, { value: false, label: t('no') }]} />;
  }
  if (list) {
    return <Select mode="tags" style={{ minWidth: 120, flex: 1 }} value={Array.isArray(value) ? (value as string[]) : []} onChange={onChange} data-testid={testId} />;
  }
  if (field && NUMERIC.has(field.type)) {
    return <InputNumber style={{ flex: 1 }} value={typeof value === 'number' ? value : null} onChange={(v) => onChange(v ?? null)} data-testid={testId} />;
  }
  return <Input style={{ flex: 1 }} value={value == null ? '' : String(value)} placeholder={field?.type === 'date' ? 'YYYY-MM-DD' : undefined} onChange={(e) => onChange(e.target.value)} data-testid={testId} />;
}
