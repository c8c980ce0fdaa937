import { Select } from 'antd';
import type { PathOption } from './model';

/** Pick a field path of the report's source (its fields, subtable row fields, one step through relations, system keys). */
export function FieldPathSelect({ paths, value, onChange, testId, status, placeholder, allowClear, filter, style }: {
  paths: PathOption[]; value: string | undefined; onChange: (path: string | undefined) => void; testId: string;
  status?: 'error'; placeholder?: string; allowClear?: boolean; filter?: (p: PathOption) => boolean; style?: React.CSSProperties;
}) {
  const shown = filter ? paths.filter(filter) : paths;
  const known = shown.some((p) => p.path === value);
  return (
    <Select
      showSearch optionFilterProp="label" value={value || undefined} status={status} placeholder={placeholder} allowClear={allowClear}
      style={{ width: '100%', ...style }} data-testid={testId} popupMatchSelectWidth={false}
      options={[
        ...shown.map((p) => ({ value: p.path, label: `${p.text} (${p.path})` })),
        ...(value && !known ? [{ value, label: value }] : []),
      ]}
      onChange={(v) => onChange(v ?? undefined)}
    />
  );
}
