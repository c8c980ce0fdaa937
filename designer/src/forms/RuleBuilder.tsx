import { useMemo, useState } from 'react';
import { Alert, Button, Segmented, Select, Tabs } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import { JsonLogicEditor } from './JsonLogicEditor';
import { buildRule, parseRule, RULE_OPS, UNARY_OPS, type FieldDef, type RuleOp, type RuleRow, type VisualRule } from './model';
import { RuleValueInput } from './RuleValueInput';

/**
 * A condition as rows (field, operator, value) joined by and/or, written as json-logic; a JSON
 * tab for what the rows cannot say. A rule the rows cannot show opens on the JSON tab.
 */
export function RuleBuilder({ value, onChange, fields, testId }: {
  value: unknown; onChange: (v: unknown) => void; fields: FieldDef[]; testId: string;
}) {
  const { t } = useTranslation();
  const visual = useMemo(() => parseRule(value), [value]);
  const [tab, setTab] = useState<'visual' | 'json'>(visual ? 'visual' : 'json');
  // Rows being filled in (no field chosen yet) live here until they make a rule.
  const [draft, setDraft] = useState<VisualRule | null>(null);
  const shown: VisualRule = draft ?? visual ?? { combinator: 'and', rows: [] };
  const byKey = useMemo(() => new Map(fields.map((f) => [f.key, f])), [fields]);
  const keys = useMemo(() => new Set(fields.map((f) => f.key)), [fields]);

  const update = (next: VisualRule) => {
    const complete = next.rows.every((r) => r.field);
    setDraft(complete ? null : next);
    onChange(buildRule(next));
  };
  const setRow = (i: number, patch: Partial<RuleRow>) => update({ ...shown, rows: shown.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });

  const rowsView = (
    <div data-testid={`${testId}-rows`}>
      {!visual && <Alert type="info" showIcon title={t('logic.tooComplex')} style={{ marginBottom: 6 }} />}
      {visual && (
        <>
          {shown.rows.length > 1 && (
            <Segmented
              size="small" style={{ marginBottom: 6 }} value={shown.combinator}
              options={[{ value: 'and', label: t('logic.and') }, { value: 'or', label: t('logic.or') }]}
              onChange={(c) => update({ ...shown, combinator: c as 'and' | 'or' })}
            />
          )}
          {shown.rows.map((r, i) => (
            <div className="fwd-rule-row" key={i}>
              <Select
                showSearch optionFilterProp="label" placeholder={t('logic.field')} style={{ width: 120 }} value={r.field || undefined} data-testid={`${testId}-field-${i}`}
                options={fields.map((f) => ({ value: f.key, label: label(f.label, f.key) }))}
                onChange={(k) => setRow(i, { field: k, value: undefined })}
              />
              <Select
                style={{ width: 100 }} value={r.op} data-testid={`${testId}-op-${i}`} popupMatchSelectWidth={false}
                options={RULE_OPS.map((op) => ({ value: op, label: t(`logic.ops.${op}`) }))}
                onChange={(op: RuleOp) => setRow(i, { op, value: op === 'in' ? [] : UNARY_OPS.has(op) ? undefined : r.value })}
              />
              {!UNARY_OPS.has(r.op) && (
                <RuleValueInput field={byKey.get(r.field)} list={r.op === 'in'} value={r.value} onChange={(v) => setRow(i, { value: v })} testId={`${testId}-value-${i}`} />
              )}
              <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('delete')} onClick={() => update({ ...shown, rows: shown.rows.filter((_, j) => j !== i) })} />
            </div>
          ))}
          <Button size="small" icon={<PlusOutlined />} data-testid={`${testId}-add`} onClick={() => update({ ...shown, rows: [...shown.rows, { field: '', op: '==' }] })}>
            {t('logic.addCondition')}
          </Button>
        </>
      )}
    </div>
  );
  return (
    <Tabs
      size="small"
      activeKey={tab}
      onChange={(k) => setTab(k as 'visual' | 'json')}
      items={[
        { key: 'visual', label: t('logic.visual'), children: rowsView },
        { key: 'json', label: 'JSON', children: <JsonLogicEditor value={value} onChange={(v) => { setDraft(null); onChange(v); }} fieldKeys={keys} testId={`${testId}-json`} /> },
      ]}
    />
  );
}
