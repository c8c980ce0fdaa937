/** The dashboard's global filters (a date range, a department, a user, a select), mapped onto widgets' report params. */
import { Button, Form, Input, Select } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { OptionsEditor } from '../forms/OptionsEditor';
import { withOptional } from './DimensionsEditor';
import { ItemBox, listOps } from './ItemBox';
import { JsonInput } from './JsonInput';
import { errorsUnder, FILTER_TYPES, itemStatus, uniqueKey, type DashboardFilterDef, type Errors } from './model';

const NO_KEYS = new Set<string>();

export function FiltersEditor({ filters, errors, onChange }: { filters: DashboardFilterDef[]; errors: Errors; onChange: (f: DashboardFilterDef[]) => void }) {
  const { t } = useTranslation();
  const ops = listOps(filters, onChange);
  return (
    <div data-testid="filters">
      {filters.map((f, i) => {
        const at = `/filters/${i}`;
        return (
          <ItemBox
            key={i} testId={`filter-${i}`} title={`${label(f.label, f.key)} · ${t(`reports.filterTypes.${f.type}`)}`} error={errorsUnder(errors, at).length > 0}
            onUp={i > 0 ? () => ops.move(i, -1) : undefined} onDown={i < filters.length - 1 ? () => ops.move(i, 1) : undefined} onRemove={() => ops.remove(i)}
          >
            <Form layout="vertical" size="small" component="div">
              <div className="fwr-row">
                <Form.Item label={t('reports.key')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/key`)}>
                  <Input value={f.key} data-testid={`filter-${i}-key`} onChange={(e) => ops.update(i, { key: e.target.value })} />
                </Form.Item>
                <Form.Item label={t('prop.type')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/type`)}>
                  <Select
                    value={f.type} options={FILTER_TYPES.map((x) => ({ value: x, label: t(`reports.filterTypes.${x}`) }))}
                    onChange={(type) => {
                      const { default: _d, options: _o, ...rest } = f;
                      ops.replace(i, { ...rest, type, ...(type === 'select' ? { options: [{ key: 'option_1', label: { 'zh-CN': '选项1', en: 'Option 1' } }] } : {}) });
                    }}
                  />
                </Form.Item>
              </div>
              <Form.Item label={t('reports.label')} {...itemStatus(errors, `${at}/label`)}>
                <LabelInput id={`filter-${i}-label`} value={f.label} onChange={(l) => ops.replace(i, withOptional(f, 'label', l))} />
              </Form.Item>
              <Form.Item label={t('reports.default')} {...itemStatus(errors, `${at}/default`)}>
                <JsonInput value={f.default} testId={`filter-${i}-default`} onChange={(v) => ops.replace(i, withOptional(f, 'default', v))} />
              </Form.Item>
              {f.type === 'select' && (
                <Form.Item label={t('reports.options')} {...itemStatus(errors, `${at}/options`)}>
                  <OptionsEditor value={f.options ?? []} publishedKeys={NO_KEYS} onChange={(o) => ops.replace(i, withOptional(f, 'options', o.length ? o : undefined))} />
                </Form.Item>
              )}
            </Form>
          </ItemBox>
        );
      })}
      <Button
        size="small" icon={<PlusOutlined />} data-testid="add-filter"
        onClick={() => ops.add({
          key: uniqueKey('period', new Set(filters.map((x) => x.key))), type: 'date_range', label: { 'zh-CN': '期间', en: 'Period' },
          default: { from: { date_add: [{ today: [] }, -365, 'day'] }, to: { today: [] } },
        })}
      >
        {t('reports.addFilter')}
      </Button>
    </div>
  );
}
