import { Button, ColorPicker, Input, Space, Tooltip } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { OptionDef } from '../../../engine/src/meta/types';
import { uniqueKey, validKey } from './model';

/**
 * A select's options: key (what records store — locked once the form is published with it),
 * zh-CN and English labels, a colour.
 */
export function OptionsEditor({ value, onChange, publishedKeys }: {
  value: OptionDef[]; onChange: (o: OptionDef[]) => void; publishedKeys: Set<string>;
}) {
  const { t } = useTranslation();
  const set = (i: number, patch: Partial<OptionDef>) => onChange(value.map((o, j) => (j === i ? clean({ ...o, ...patch }) : o)));
  const move = (i: number, d: number) => {
    const next = [...value];
    const [o] = next.splice(i, 1);
    next.splice(i + d, 0, o!);
    onChange(next);
  };
  const keys = value.map((o) => o.key);
  return (
    <div data-testid="options-editor">
      {value.map((o, i) => {
        const l = typeof o.label === 'string' ? { 'zh-CN': o.label } : o.label;
        const dup = keys.indexOf(o.key) !== i;
        const locked = publishedKeys.has(o.key);
        return (
          <div key={i} style={{ borderBottom: '1px dashed #eee', paddingBottom: 6, marginBottom: 6 }}>
            <Space.Compact style={{ width: '100%' }}>
              <Input placeholder="中文" value={l['zh-CN'] ?? ''} data-testid={`option-${i}-zh`} onChange={(e) => set(i, { label: { ...l, 'zh-CN': e.target.value } })} />
              <Input placeholder="English" value={l.en ?? ''} data-testid={`option-${i}-en`} onChange={(e) => set(i, { label: { ...l, en: e.target.value } })} />
            </Space.Compact>
            <Space size={4} style={{ marginTop: 4 }}>
              <Tooltip title={locked ? t('optionKeyLocked') : t('optionKeyHelp')}>
                <Input
                  size="small" style={{ width: 130 }} value={o.key} disabled={locked} data-testid={`option-${i}-key`}
                  status={!validKey(o.key) || dup ? 'error' : undefined}
                  onChange={(e) => set(i, { key: e.target.value.trim() })}
                />
              </Tooltip>
              <ColorPicker size="small" allowClear value={o.color} onChange={(c) => set(i, { color: c.toHexString() })} onClear={() => set(i, { color: undefined })} />
              <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(i, -1)} aria-label={t('moveUp')} />
              <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={i === value.length - 1} onClick={() => move(i, 1)} aria-label={t('moveDown')} />
              <Tooltip title={locked ? t('optionRemovePublished') : undefined}>
                <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => onChange(value.filter((_, j) => j !== i))} aria-label={t('delete')} />
              </Tooltip>
            </Space>
          </div>
        );
      })}
      <Button
        size="small" icon={<PlusOutlined />} data-testid="option-add"
        onClick={() => {
          const n = value.length + 1;
          onChange([...value, { key: uniqueKey(`option_${n}`, new Set(keys)), label: { 'zh-CN': t('optionN', { n, lng: 'zh-CN' }), en: t('optionN', { n, lng: 'en' }) } }]);
        }}
      >
        {t('addOption')}
      </Button>
    </div>
  );
}

function clean(o: OptionDef): OptionDef {
  const out = { ...o };
  if (out.color === undefined) delete out.color;
  if (typeof out.label === 'object') {
    const l = { ...out.label };
    if (!l.en) delete l.en;
    out.label = l;
  }
  return out;
}
