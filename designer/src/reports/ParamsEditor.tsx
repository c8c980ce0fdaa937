/** The report's params: what a caller or a dashboard filter passes (a date range, a department…), optionally filtering a field. */
import { Button, Form, Input, Select, Switch } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { OptionsEditor } from '../forms/OptionsEditor';
import { FieldPathSelect } from './FieldPathSelect';
import { ItemBox, listOps } from './ItemBox';
import { withOptional } from './DimensionsEditor';
import { JsonInput } from './JsonInput';
import { errorsUnder, isDateType, itemStatus, PARAM_TYPES, uniqueKey, type Errors, type PathOption, type ReportParamDef } from './model';

const NO_KEYS = new Set<string>();

export function ParamsEditor({ params, paths, errors, onChange }: {
  params: ReportParamDef[]; paths: PathOption[]; errors: Errors; onChange: (p: ReportParamDef[]) => void;
}) {
  const { t } = useTranslation();
  const ops = listOps(params, onChange);
  return (
    <div data-testid="params">
      {params.map((p, i) => {
        const at = `/params/${i}`;
        return (
          <ItemBox
            key={i} testId={`param-${i}`} title={`${label(p.label, p.key)} · ${t(`reports.paramTypes.${p.type}`)}`} error={errorsUnder(errors, at).length > 0}
            onUp={i > 0 ? () => ops.move(i, -1) : undefined} onDown={i < params.length - 1 ? () => ops.move(i, 1) : undefined} onRemove={() => ops.remove(i)}
          >
            <Form layout="vertical" size="small" component="div">
              <div className="fwr-row">
                <Form.Item label={t('reports.key')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/key`)}>
                  <Input value={p.key} data-testid={`param-${i}-key`} onChange={(e) => ops.update(i, { key: e.target.value })} />
                </Form.Item>
                <Form.Item label={t('prop.type')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/type`)}>
                  <Select
                    value={p.type} popupMatchSelectWidth={false} options={PARAM_TYPES.map((x) => ({ value: x, label: t(`reports.paramTypes.${x}`) }))}
                    onChange={(type) => {
                      const { default: _d, options: _o, ...rest } = p;
                      ops.replace(i, { ...rest, type, ...(type === 'select' && !p.field ? { options: [{ key: 'option_1', label: { 'zh-CN': '选项1', en: 'Option 1' } }] } : {}) });
                    }}
                  />
                </Form.Item>
              </div>
              <Form.Item label={t('reports.paramField')} {...itemStatus(errors, `${at}/field`)}>
                <FieldPathSelect
                  paths={paths} value={p.field} allowClear testId={`param-${i}-field`}
                  filter={p.type === 'date_range' || p.type === 'date' ? (x) => isDateType(x.type) : p.type === 'department' ? (x) => x.type === 'department' : p.type === 'user' ? (x) => x.type === 'user' : undefined}
                  onChange={(f) => ops.replace(i, withOptional(p, 'field', f))}
                />
              </Form.Item>
              <Form.Item label={t('reports.label')} {...itemStatus(errors, `${at}/label`)}>
                <LabelInput id={`param-${i}-label`} value={p.label} onChange={(l) => ops.replace(i, withOptional(p, 'label', l))} />
              </Form.Item>
              <div className="fwr-row">
                <Form.Item label={t('reports.required')} {...itemStatus(errors, `${at}/required`)}>
                  <Switch size="small" checked={!!p.required} onChange={(c) => ops.replace(i, withOptional(p, 'required', c || undefined))} />
                </Form.Item>
                <Form.Item label={t('reports.default')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/default`)}>
                  <JsonInput value={p.default} testId={`param-${i}-default`} onChange={(v) => ops.replace(i, withOptional(p, 'default', v))} />
                </Form.Item>
              </div>
              {p.type === 'select' && (
                <Form.Item label={t('reports.options')} {...itemStatus(errors, `${at}/options`)}>
                  <OptionsEditor value={p.options ?? []} publishedKeys={NO_KEYS} onChange={(o) => ops.replace(i, withOptional(p, 'options', o.length ? o : undefined))} />
                </Form.Item>
              )}
            </Form>
          </ItemBox>
        );
      })}
      <Button size="small" icon={<PlusOutlined />} data-testid="add-param" onClick={() => ops.add({ key: uniqueKey('period', new Set(params.map((x) => x.key))), type: 'date_range' })}>
        {t('reports.addParam')}
      </Button>
    </div>
  );
}
