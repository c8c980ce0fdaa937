import { Button, Dropdown, Input, Select, Space, Switch, Tooltip } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { FIELD_TYPES } from '../../../engine/src/meta/types';
import { LabelInput } from './LabelInput';
import { isPublished, newRowField, validKey, type FieldDef, type FieldType } from './model';

/** A row cannot hold a subtable or an autonumber (the engine's row metaschema). */
const ROW_TYPES = FIELD_TYPES.filter((t) => t !== 'subtable' && t !== 'autonumber');

/** A subtable's row fields: label, key, type (until published), required; add, reorder, remove. */
export function SubtableFieldsEditor({ value, onChange }: { value: FieldDef[]; onChange: (f: FieldDef[]) => void }) {
  const { t } = useTranslation();
  const live = value.filter((f) => !f.deleted);
  const set = (id: string, patch: Partial<FieldDef>) => onChange(value.map((f) => (f.id === id ? { ...f, ...patch } : f)));
  const move = (id: string, d: number) => {
    const i = value.findIndex((f) => f.id === id);
    const next = [...value];
    const [f] = next.splice(i, 1);
    next.splice(Math.max(0, Math.min(next.length, i + d)), 0, f!);
    onChange(next);
  };
  const remove = (f: FieldDef) => onChange(isPublished(f) ? value.map((x) => (x.id === f.id ? { ...x, deleted: true } : x)) : value.filter((x) => x.id !== f.id));
  return (
    <div data-testid="subtable-editor">
      {live.map((f, i) => (
        <div key={f.id} style={{ border: '1px solid #eee', borderRadius: 6, padding: 6, marginBottom: 6 }}>
          <LabelInput id={`row-${i}-label`} value={f.label} onChange={(l) => set(f.id, { label: l ?? '' })} />
          <Space size={4} wrap style={{ marginTop: 4 }}>
            <Tooltip title={isPublished(f) ? t('keyLocked') : undefined}>
              <Input size="small" style={{ width: 110 }} value={f.key} disabled={isPublished(f)} status={validKey(f.key) ? undefined : 'error'} onChange={(e) => set(f.id, { key: e.target.value.trim() })} />
            </Tooltip>
            <Select
              size="small" style={{ width: 110 }} value={f.type} disabled={isPublished(f)} popupMatchSelectWidth={false}
              options={ROW_TYPES.map((x) => ({ value: x, label: t(`type.${x}`) }))}
              onChange={(type: FieldType) => { const nf = newRowField(type, value); set(f.id, { type, options: nf.options, relation: nf.relation }); }}
            />
            <Switch size="small" checked={f.required === true} onChange={(c) => set(f.id, { required: c || undefined })} /> {t('prop.required')}
            <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(f.id, -1)} aria-label={t('moveUp')} />
            <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={i === live.length - 1} onClick={() => move(f.id, 1)} aria-label={t('moveDown')} />
            <Button size="small" type="text" danger icon={<DeleteOutlined />} disabled={live.length <= 1} onClick={() => remove(f)} aria-label={t('delete')} />
          </Space>
        </div>
      ))}
      <Dropdown menu={{ items: ROW_TYPES.map((x) => ({ key: x, label: t(`type.${x}`) })), onClick: ({ key }) => onChange([...value, newRowField(key as FieldType, value)]) }}>
        <Button size="small" icon={<PlusOutlined />}>{t('addRowField')}</Button>
      </Dropdown>
    </div>
  );
}
