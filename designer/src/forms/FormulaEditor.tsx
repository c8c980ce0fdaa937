import { useMemo, useState } from 'react';
import { Alert, Button, InputNumber, Select, Tabs } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import { JsonLogicEditor } from './JsonLogicEditor';
import { buildFormula, parseFormula, type FieldDef, type FormulaOp, type FormulaTerm } from './model';

const OPS: FormulaOp[] = ['+', '-', '*', '/'];

/**
 * A computed value: terms (a field or a number) joined by + − × ÷ from left to right, written
 * as json-logic; the JSON tab for anything else (if, round, date_diff, sum_rows…).
 */
export function FormulaEditor({ value, onChange, fields, testId }: {
  value: unknown; onChange: (v: unknown) => void; fields: FieldDef[]; testId: string;
}) {
  const { t } = useTranslation();
  const parsed = useMemo(() => parseFormula(value), [value]);
  const [tab, setTab] = useState<'visual' | 'json'>(parsed ? 'visual' : 'json');
  const [draft, setDraft] = useState<FormulaTerm[] | null>(null);
  const terms = draft ?? parsed ?? [];
  const keys = useMemo(() => new Set(fields.map((f) => f.key)), [fields]);
  const update = (next: FormulaTerm[]) => {
    setDraft(next.every((x) => x.field || typeof x.number === 'number') ? null : next);
    onChange(buildFormula(next));
  };
  const set = (i: number, patch: Partial<FormulaTerm>) => update(terms.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const visual = !parsed ? <Alert type="info" showIcon title={t('logic.tooComplex')} /> : (
    <div>
      {terms.map((x, i) => (
        <div className="fwd-rule-row" key={i}>
          {i > 0
            ? <Select style={{ width: 60 }} value={x.op} options={OPS.map((o) => ({ value: o, label: o }))} onChange={(op) => set(i, { op })} />
            : <span style={{ width: 60, textAlign: 'center' }}>=</span>}
          <Select
            allowClear showSearch optionFilterProp="label" placeholder={t('logic.field')} style={{ flex: 1 }} value={x.field}
            options={fields.map((f) => ({ value: f.key, label: label(f.label, f.key) }))}
            onChange={(k) => set(i, { field: k, number: undefined })}
            data-testid={`${testId}-field-${i}`}
          />
          {!x.field && <InputNumber style={{ width: 90 }} placeholder={t('logic.number')} value={x.number} onChange={(n) => set(i, { number: n ?? undefined })} />}
          <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('delete')} onClick={() => update(terms.filter((_, j) => j !== i))} />
        </div>
      ))}
      <Button size="small" icon={<PlusOutlined />} onClick={() => update([...terms, { op: '+' }])} data-testid={`${testId}-add`}>{t('logic.addTerm')}</Button>
    </div>
  );
  return (
    <Tabs
      size="small" activeKey={tab} onChange={(k) => setTab(k as 'visual' | 'json')}
      items={[
        { key: 'visual', label: t('logic.visual'), children: visual },
        { key: 'json', label: 'JSON', children: <JsonLogicEditor value={value} onChange={(v) => { setDraft(null); onChange(v); }} fieldKeys={keys} testId={`${testId}-json`} /> },
      ]}
    />
  );
}
