/** The report's measures: count, count_distinct, sum, avg, min, max (optionally over matching rows only), ratio, expr. */
import { Button, Form, Input, InputNumber, Select } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { RuleBuilder } from '../forms/RuleBuilder';
import { FieldPathSelect } from './FieldPathSelect';
import { ItemBox, listOps } from './ItemBox';
import { withOptional } from './DimensionsEditor';
import { JsonInput } from './JsonInput';
import {
  errorsUnder, FORMATS, isNumberType, itemStatus, MEASURE_OPS, uniqueKey,
  type Errors, type FieldDef, type PathOption, type ReportMeasure,
} from './model';

const NEEDS_FIELD = new Set(['count_distinct', 'sum', 'avg', 'min', 'max']);
const NUMERIC_ONLY = new Set(['sum', 'avg']);

export function MeasuresEditor({ measures, paths, fields, taken, errors, onChange }: {
  measures: ReportMeasure[]; paths: PathOption[]; fields: FieldDef[]; taken: Set<string>; errors: Errors; onChange: (m: ReportMeasure[]) => void;
}) {
  const { t } = useTranslation();
  const ops = listOps(measures, onChange);
  const setOp = (i: number, op: ReportMeasure['op']) => {
    const m = measures[i]!;
    const base: ReportMeasure = { key: m.key, op, ...(m.label !== undefined ? { label: m.label } : {}), ...(m.format ? { format: m.format } : {}), ...(m.precision !== undefined ? { precision: m.precision } : {}) };
    if (NEEDS_FIELD.has(op)) base.field = m.field ?? (NUMERIC_ONLY.has(op) ? paths.find((p) => isNumberType(p.type))?.path : paths[0]?.path);
    if ((op === 'count' || NEEDS_FIELD.has(op)) && m.filter !== undefined) base.filter = m.filter;
    if (op === 'ratio') {
      const others = measures.filter((x) => x.key !== m.key).map((x) => x.key);
      base.of = [others[0] ?? '', others[1] ?? others[0] ?? ''];
      base.format = 'percent';
    }
    if (op === 'expr') base.expr = { '+': [{ measure: measures.find((x) => x.key !== m.key)?.key ?? '' }, 0] };
    ops.replace(i, base);
  };
  return (
    <div data-testid="measures">
      {measures.map((m, i) => {
        const at = `/measures/${i}`;
        const others = measures.filter((x) => x.key !== m.key).map((x) => ({ value: x.key, label: `${label(x.label, x.key)} (${x.key})` }));
        return (
          <ItemBox
            key={i} testId={`measure-${i}`} title={`${label(m.label, m.key)} · ${t(`reports.ops.${m.op}`)}`} error={errorsUnder(errors, at).length > 0}
            onUp={i > 0 ? () => ops.move(i, -1) : undefined} onDown={i < measures.length - 1 ? () => ops.move(i, 1) : undefined} onRemove={() => ops.remove(i)}
          >
            <Form layout="vertical" size="small" component="div">
              <div className="fwr-row">
                <Form.Item label={t('reports.op')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/op`)}>
                  <Select value={m.op} data-testid={`measure-${i}-op`} options={MEASURE_OPS.map((o) => ({ value: o, label: t(`reports.ops.${o}`) }))} onChange={(o) => setOp(i, o)} />
                </Form.Item>
                <Form.Item label={t('reports.key')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/key`)}>
                  <Input value={m.key} data-testid={`measure-${i}-key`} onChange={(e) => ops.update(i, { key: e.target.value })} />
                </Form.Item>
              </div>
              {(NEEDS_FIELD.has(m.op) || m.field) && (
                <Form.Item label={t('reports.field')} {...itemStatus(errors, `${at}/field`)}>
                  <FieldPathSelect
                    paths={paths} value={m.field} testId={`measure-${i}-field`} allowClear={m.op === 'count'}
                    filter={NUMERIC_ONLY.has(m.op) ? (p) => isNumberType(p.type) : undefined}
                    onChange={(f) => ops.replace(i, withOptional(m, 'field', f))}
                  />
                </Form.Item>
              )}
              {m.op === 'ratio' && (
                <Form.Item label={t('reports.of')} {...itemStatus(errors, `${at}/of`)}>
                  <div className="fwr-row">
                    {[0, 1].map((j) => (
                      <Select
                        key={j} style={{ flex: 1 }} value={m.of?.[j] || undefined} options={others} data-testid={`measure-${i}-of-${j}`}
                        status={errorsUnder(errors, `${at}/of/${j}`).length ? 'error' : undefined}
                        onChange={(k: string) => {
                          const of: [string, string] = [...(m.of ?? ['', ''])] as [string, string];
                          of[j] = k;
                          ops.update(i, { of });
                        }}
                      />
                    ))}
                  </div>
                </Form.Item>
              )}
              {m.op === 'expr' && (
                <Form.Item label={t('reports.expr')} {...itemStatus(errors, `${at}/expr`)}>
                  <JsonInput value={m.expr} testId={`measure-${i}-expr`} onChange={(v) => ops.replace(i, withOptional(m, 'expr', v as ReportMeasure['expr']))} />
                </Form.Item>
              )}
              <Form.Item label={t('reports.label')} {...itemStatus(errors, `${at}/label`)}>
                <LabelInput id={`measure-${i}-label`} value={m.label} onChange={(l) => ops.replace(i, withOptional(m, 'label', l))} />
              </Form.Item>
              <div className="fwr-row">
                <Form.Item label={t('reports.format')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/format`)}>
                  <Select allowClear value={m.format} options={FORMATS.map((f) => ({ value: f, label: t(`reports.formats.${f}`) }))} onChange={(f) => ops.replace(i, withOptional(m, 'format', f ?? undefined))} />
                </Form.Item>
                <Form.Item label={t('reports.precision')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/precision`)}>
                  <InputNumber min={0} max={8} style={{ width: '100%' }} value={m.precision ?? null} onChange={(p) => ops.replace(i, withOptional(m, 'precision', p ?? undefined))} />
                </Form.Item>
              </div>
              {m.op !== 'ratio' && m.op !== 'expr' && (
                <Form.Item label={t('reports.onlyRows')} {...itemStatus(errors, `${at}/filter`)}>
                  <RuleBuilder value={m.filter} fields={fields} testId={`measure-${i}-filter`} onChange={(v) => ops.replace(i, withOptional(m, 'filter', v as ReportMeasure['filter']))} />
                </Form.Item>
              )}
            </Form>
          </ItemBox>
        );
      })}
      <Button
        size="small" icon={<PlusOutlined />} data-testid="add-measure"
        onClick={() => ops.add({ key: uniqueKey('count', taken), op: 'count', label: { 'zh-CN': '数量', en: 'Count' } })}
      >
        {t('reports.addMeasure')}
      </Button>
    </div>
  );
}
