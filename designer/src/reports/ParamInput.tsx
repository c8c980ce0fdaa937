/** A value for a report param or a dashboard filter, by its type (what the run endpoints take). */
import { DatePicker, Input, InputNumber, Select } from 'antd';
import dayjs from 'dayjs';
import { label } from '../i18n';

export function ParamInput({ type, options, value, onChange, testId, status }: {
  type: string; options?: Array<{ key: string; label: unknown }>; value: any; onChange: (v: unknown) => void; testId: string; status?: 'error';
}) {
  switch (type) {
    case 'date_range':
      return (
        <DatePicker.RangePicker
          size="small" data-testid={testId} status={status}
          value={value?.from && value?.to ? [dayjs(value.from), dayjs(value.to)] : null}
          onChange={(r) => onChange(r && r[0] && r[1] ? { from: r[0].format('YYYY-MM-DD'), to: r[1].format('YYYY-MM-DD') } : undefined)}
        />
      );
    case 'date':
      return <DatePicker size="small" data-testid={testId} status={status} value={value ? dayjs(value) : null} onChange={(d) => onChange(d ? d.format('YYYY-MM-DD') : undefined)} />;
    case 'select':
      return (
        <Select
          size="small" allowClear style={{ minWidth: 140 }} data-testid={testId} status={status} value={value ?? undefined}
          options={(options ?? []).map((o) => ({ value: o.key, label: label(o.label, o.key) }))} onChange={(v) => onChange(v ?? undefined)}
        />
      );
    case 'number': case 'department': case 'user':
      return <InputNumber size="small" data-testid={testId} status={status} value={value ?? null} onChange={(v) => onChange(v ?? undefined)} />;
    default:
      return <Input size="small" style={{ width: 160 }} data-testid={testId} status={status} value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)} />;
  }
}
