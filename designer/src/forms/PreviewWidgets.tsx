/**
 * The preview's widgets for the engine's custom widget names (CUSTOM_WIDGETS in
 * engine/src/meta/json-schema.ts). Relation, people and file pickers need live records, so the
 * preview stands in with simple inputs of the same value shape.
 */
import { DatePicker, InputNumber, Select, Typography } from 'antd';
import dayjs from 'dayjs';
import type { WidgetProps } from '@rjsf/utils';
import i18n from '../i18n';

const num = (v: number | string | null) => (v === null || v === '' ? undefined : Number(v));

function MoneyWidget(p: WidgetProps) {
  return <InputNumber id={p.id} value={p.value ?? null} precision={2} prefix="¥" disabled={p.disabled || p.readonly} style={{ width: '100%' }} onChange={(v) => p.onChange(num(v))} />;
}

function TagsWidget(p: WidgetProps) {
  const opts = ((p.options as { options?: Array<{ key: string; label: string }> }).options ?? []).map((o) => ({ value: o.key, label: o.label }));
  const allowNew = (p.options as { allowNew?: boolean }).allowNew !== false;
  return <Select id={p.id} mode={allowNew ? 'tags' : 'multiple'} value={p.value ?? []} options={opts} disabled={p.disabled || p.readonly} style={{ width: '100%' }} onChange={(v: string[]) => p.onChange(v.length ? v : undefined)} />;
}

function IdWidget(p: WidgetProps) {
  return <InputNumber id={p.id} placeholder="#id" min={1} value={typeof p.value === 'number' ? p.value : null} disabled={p.disabled || p.readonly} style={{ width: '100%' }} onChange={(v) => p.onChange(num(v))} />;
}

function StandInWidget(p: WidgetProps) {
  return <Typography.Text type="secondary" id={p.id}>{i18n.t('previewStandIn')}</Typography.Text>;
}

function DateTimeWidget(p: WidgetProps) {
  return <DatePicker id={p.id} showTime value={p.value ? dayjs(p.value) : null} disabled={p.disabled || p.readonly} style={{ width: '100%' }} onChange={(d) => p.onChange(d ? d.toDate().toISOString() : undefined)} />;
}

function DateWidget(p: WidgetProps) {
  return <DatePicker id={p.id} value={p.value ? dayjs(p.value, 'YYYY-MM-DD') : null} disabled={p.disabled || p.readonly} style={{ width: '100%' }} onChange={(d) => p.onChange(d ? d.format('YYYY-MM-DD') : undefined)} />;
}

export const PREVIEW_WIDGETS = {
  money: MoneyWidget,
  tags: TagsWidget,
  relation: IdWidget,
  user: IdWidget,
  department: IdWidget,
  attachment: StandInWidget,
  image: StandInWidget,
  signature: StandInWidget,
  date: DateWidget,
  datetime: DateTimeWidget,
};
