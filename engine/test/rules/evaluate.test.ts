import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FieldDef, FormDef } from '../../src/meta/types.js';
import { computeValues, formState, ruleErrors, coerceComputed } from '../../src/rules/evaluate.js';
import { setRulesClock } from '../../src/rules/operations.js';
import { FormulaCycleError } from '../../src/rules/deps.js';

const v = (name: string) => ({ var: name });

const orderForm: FormDef = {
  key: 'order',
  label: { 'zh-CN': '订单', en: 'Order' },
  fields: [
    { id: 'f1', key: 'customer', type: 'text', label: { 'zh-CN': '客户', en: 'Customer' }, required: true },
    {
      id: 'f2', key: 'kind', type: 'select', label: 'Kind',
      options: [{ key: 'person', label: 'Person' }, { key: 'company', label: 'Company' }],
    },
    {
      id: 'f3', key: 'tax_id', type: 'text', label: { 'zh-CN': '税号', en: 'Tax ID' },
      rules: { visible: { '==': [v('kind'), 'company'] }, required: { '==': [v('kind'), 'company'] } },
      validate: [{ rule: { matches: [v('tax_id'), '^[0-9A-Z]{18}$'] }, message: { 'zh-CN': '税号格式不正确', en: 'Tax ID must be 18 characters' } }],
    },
    {
      id: 'f4', key: 'lines', type: 'subtable', label: { 'zh-CN': '明细', en: 'Lines' },
      fields: [
        { id: 'l1', key: 'item', type: 'text', label: { 'zh-CN': '项目', en: 'Item' }, required: true },
        { id: 'l2', key: 'price', type: 'money', label: 'Price' },
        { id: 'l3', key: 'qty', type: 'number', label: 'Qty', validate: [{ rule: { '>': [v('qty'), 0] }, message: 'Qty must be positive' }] },
        { id: 'l4', key: 'amount', type: 'money', label: 'Amount', formula: { '*': [v('price'), v('qty')] } },
        { id: 'l5', key: 'gone', type: 'text', label: 'Gone', required: true, deleted: true },
        {
          id: 'l6', key: 'reason', type: 'text', label: 'Reason',
          rules: { visible: { '<': [v('price'), 0] }, required: { '<': [v('price'), 0] } },
        },
      ],
    },
    // defined before what it reads: formulaOrder sorts it out
    { id: 'f7', key: 'total', type: 'money', label: 'Total', formula: { '-': [v('subtotal'), { if: [v('discount'), v('discount'), 0] }] } },
    { id: 'f5', key: 'subtotal', type: 'money', label: 'Subtotal', formula: { sum_rows: [v('lines'), 'amount'] } },
    { id: 'f6', key: 'discount', type: 'money', label: { 'zh-CN': '折扣', en: 'Discount' } },
    { id: 'f8', key: 'days_open', type: 'number', label: 'Days open', formula: { date_diff: [{ today: [] }, v('opened'), 'day'] }, stored: false },
    { id: 'f9', key: 'opened', type: 'date', label: 'Opened' },
    { id: 'f10', key: 'no', type: 'autonumber', label: 'No.', autonumber: { pattern: 'SO{YYYY}{####}' } },
    { id: 'f11', key: 'old', type: 'text', label: 'Old', deleted: true, required: true, formula: { cat: ['x'] } },
    { id: 'f12', key: 'locked', type: 'boolean', label: 'Locked' },
    { id: 'f13', key: 'note', type: 'text', label: 'Note', rules: { readOnly: v('locked') } },
    { id: 'f14', key: 'title', type: 'text', label: 'Title', formula: { cat: [v('customer'), ' / ', v('kind')] } },
    { id: 'f15', key: 'broken', type: 'text', label: 'Broken', rules: { visible: { no_such_op: [] }, required: { no_such_op: [] } } },
    { id: 'f16', key: 'due', type: 'date', label: 'Due', formula: { date_add: [v('opened'), 1, 'month'] } },
  ],
  validate: [
    {
      rule: { or: [{ '==': [v('discount'), null] }, { '<=': [v('discount'), v('subtotal')] }] },
      message: { 'zh-CN': '折扣不能超过小计', en: 'Discount cannot exceed the subtotal' },
      fields: ['discount'],
    },
    { rule: { '!=': [v('customer'), 'blocked'] }, message: 'This customer is blocked' },
    { rule: { '==': [v('kind'), 'company'] }, message: 'only about the tax id', fields: ['tax_id'] },
    { rule: { bad_op: [] }, message: 'Broken form rule' },
  ],
};

const goodOrder = () => ({
  customer: 'ACME',
  kind: 'person',
  lines: [
    { item: 'Wheel', price: 19.99, qty: 3 },
    { item: 'Oil', price: 0.1, qty: 3 },
  ],
  opened: '2024-05-01',
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const x of Object.values(o)) deepFreeze(x);
  }
  return o;
}

beforeEach(() => setRulesClock(() => new Date('2024-05-11T02:00:00Z')));
afterEach(() => setRulesClock(null));

describe('computeValues', () => {
  it('computes row formulas, then top-level formulas in dependency order', () => {
    const out = computeValues(orderForm, deepFreeze(goodOrder()) as Record<string, unknown>);
    const lines = out.lines as Array<Record<string, unknown>>;
    expect(lines[0]!.amount).toBe(59.97);
    expect(lines[1]!.amount).toBe(0.3); // 0.1 * 3 = 0.30000000000000004 before rounding
    expect(out.subtotal).toBe(60.27);
    expect(out.total).toBe(60.27);
    expect(out.title).toBe('ACME / person');
    expect(out.due).toBe('2024-06-01');
    expect('days_open' in out).toBe(false); // virtual
    expect(out.old).toBeUndefined(); // deleted field not computed
  });

  it('includes virtual formulas on request', () => {
    const out = computeValues(orderForm, goodOrder(), { includeVirtual: true });
    expect(out.days_open).toBe(10);
  });

  it('overwrites client values for formula fields and never mutates the input', () => {
    const input = deepFreeze({ ...goodOrder(), subtotal: 999, total: 1, days_open: 5, lines: [{ item: 'x', price: 2, qty: 2, amount: 100 }] });
    const out = computeValues(orderForm, input as Record<string, unknown>);
    expect(out.subtotal).toBe(4);
    expect((out.lines as any[])[0].amount).toBe(4);
    expect('days_open' in out).toBe(false);
    expect(input.subtotal).toBe(999);
    expect(input.lines[0]!.amount).toBe(100);
    expect(out).not.toBe(input);
  });

  it('discount reduces the total; money rounds half away from zero', () => {
    const out = computeValues(orderForm, { ...goodOrder(), discount: 0.27, lines: [{ item: 'a', price: 1.005, qty: 1 }] });
    expect((out.lines as any[])[0].amount).toBe(1.01);
    expect(out.subtotal).toBe(1.01);
    expect(out.total).toBe(0.74);
  });

  it('missing inputs give null, never NaN', () => {
    const out = computeValues(orderForm, { lines: [{ item: 'x', price: null, qty: 2 }], opened: null });
    expect((out.lines as any[])[0].amount).toBe(null); // json-logic's * gives NaN for null → null
    expect(out.due).toBe(null);
    const out2 = computeValues(orderForm, { lines: null });
    expect(out2.subtotal).toBe(0);
    expect(out2.lines).toBe(null);
  });

  it('coerces results by type', () => {
    const f = (type: FieldDef['type'], extra: Partial<FieldDef> = {}) => ({ id: 'x', key: 'x', label: 'x', type, ...extra }) as FieldDef;
    expect(coerceComputed(f('money'), 1.005)).toBe(1.01);
    expect(coerceComputed(f('money'), '2.5')).toBe(2.5);
    expect(coerceComputed(f('money'), NaN)).toBe(null);
    expect(coerceComputed(f('number'), 1 / 0)).toBe(null);
    expect(coerceComputed(f('number', { precision: 1 }), 2.25)).toBe(2.3);
    expect(coerceComputed(f('number'), 2.25)).toBe(2.25);
    expect(coerceComputed(f('percent'), '0.5')).toBe(0.5);
    expect(coerceComputed(f('date'), '2024-05-01')).toBe('2024-05-01');
    expect(coerceComputed(f('date'), '2024-05-01T16:00:00.000Z')).toBe('2024-05-02');
    expect(coerceComputed(f('date'), 'soon')).toBe(null);
    expect(coerceComputed(f('datetime'), '2024-05-01T08:00:00+08:00')).toBe('2024-05-01T00:00:00.000Z');
    expect(coerceComputed(f('text'), 12)).toBe('12');
    expect(coerceComputed(f('text'), { a: 1 })).toBe(null);
    expect(coerceComputed(f('boolean'), 'x')).toBe(true);
    expect(coerceComputed(f('boolean'), 0)).toBe(false);
    expect(coerceComputed(f('tags'), ['a', 1, 'b'])).toEqual(['a', 'b']);
    expect(coerceComputed(f('relation'), 3.5)).toBe(null);
    expect(coerceComputed(f('text'), undefined)).toBe(null);
  });

  it('a formula that throws gives null', () => {
    const form: FormDef = { key: 'x', label: 'x', fields: [{ id: 'a', key: 'a', type: 'number', label: 'A', formula: { nope: [] } }] };
    expect(computeValues(form, { a: 5 }).a).toBe(null);
  });

  it('a formula cycle is an error', () => {
    const form: FormDef = {
      key: 'x', label: 'x',
      fields: [
        { id: 'a', key: 'a', type: 'number', label: 'A', formula: { '+': [v('b'), 1] } },
        { id: 'b', key: 'b', type: 'number', label: 'B', formula: { '+': [v('a'), 1] } },
      ],
    };
    expect(() => computeValues(form, {})).toThrow(FormulaCycleError);
  });

  it('a stored formula may read a virtual one', () => {
    const form: FormDef = {
      key: 'x', label: 'x',
      fields: [
        { id: 'a', key: 'a', type: 'number', label: 'A', formula: { '*': [v('n'), 2] }, stored: false },
        { id: 'b', key: 'b', type: 'number', label: 'B', formula: { '+': [v('a'), 1] } },
        { id: 'n', key: 'n', type: 'number', label: 'N' },
      ],
    };
    expect(computeValues(form, { n: 5 })).toEqual({ n: 5, b: 11 });
    expect(computeValues(form, { n: 5 }, { includeVirtual: true })).toEqual({ n: 5, a: 10, b: 11 });
  });
});

describe('formState', () => {
  it('visible / required / readOnly rules and static required', () => {
    const s = formState(orderForm, { ...goodOrder(), kind: 'person' });
    expect(s.hidden.has('tax_id')).toBe(true);
    expect(s.required.has('tax_id')).toBe(false);
    expect(s.required.has('customer')).toBe(true);
    const c = formState(orderForm, { ...goodOrder(), kind: 'company' });
    expect(c.hidden.has('tax_id')).toBe(false);
    expect(c.required.has('tax_id')).toBe(true);
  });

  it('formula, autonumber and rule-driven fields are read-only', () => {
    const s = formState(orderForm, { locked: true });
    for (const k of ['subtotal', 'total', 'days_open', 'no', 'title', 'note']) expect(s.readOnly.has(k)).toBe(true);
    expect(s.readOnly.has('customer')).toBe(false);
    expect(formState(orderForm, { locked: false }).readOnly.has('note')).toBe(false);
    expect(s.required.has('subtotal')).toBe(false);
  });

  it('row fields are keyed subtable.row.field, rules evaluated on the row', () => {
    const s = formState(orderForm, { lines: [{ item: 'a', price: 5 }, { item: 'b', price: -5 }] });
    expect(s.hidden.has('lines.0.reason')).toBe(true);
    expect(s.hidden.has('lines.1.reason')).toBe(false);
    expect(s.required.has('lines.1.reason')).toBe(true);
    expect(s.required.has('lines.0.item')).toBe(true);
    expect(s.readOnly.has('lines.0.amount')).toBe(true);
    expect([...s.required].some((k) => k.endsWith('.gone'))).toBe(false);
  });

  it('deleted fields are ignored; a throwing rule leaves the field visible and optional', () => {
    const s = formState(orderForm, {});
    expect(s.required.has('old')).toBe(false);
    expect(s.readOnly.has('old')).toBe(false);
    expect(s.hidden.has('broken')).toBe(false);
    expect(s.required.has('broken')).toBe(false);
  });
});

describe('ruleErrors', () => {
  it('a good record has none', () => {
    const rec = computeValues(orderForm, goodOrder());
    expect(ruleErrors(orderForm, rec)).toEqual({ _form: [{ 'zh-CN': 'Broken form rule', en: 'Broken form rule' }] });
  });

  it('required fields, with the label in the message', () => {
    const errs = ruleErrors(orderForm, { customer: '  ', lines: [] });
    expect(errs.customer).toBeUndefined(); // whitespace is a value
    const e2 = ruleErrors(orderForm, { customer: '' });
    expect(e2.customer).toEqual([{ 'zh-CN': '请填写「客户」', en: 'Customer is required' }]);
    expect(ruleErrors(orderForm, { customer: null }).customer).toHaveLength(1);
    expect(ruleErrors(orderForm, {}).customer).toHaveLength(1);
    expect(ruleErrors(orderForm, {}).old).toBeUndefined(); // deleted
  });

  it('validate rules give their messages; hidden fields are skipped', () => {
    const company = { ...goodOrder(), kind: 'company', tax_id: 'short' };
    expect(ruleErrors(orderForm, company).tax_id).toEqual([{ 'zh-CN': '税号格式不正确', en: 'Tax ID must be 18 characters' }]);
    expect(ruleErrors(orderForm, { ...company, tax_id: '91110000600037341L' }).tax_id).toBeUndefined();
    expect(ruleErrors(orderForm, { ...company, tax_id: '' }).tax_id).toEqual([{ 'zh-CN': '请填写「税号」', en: 'Tax ID is required' }]);
    // a person: tax_id hidden, so neither its rules nor the form rule attached only to it apply
    expect(ruleErrors(orderForm, { ...goodOrder(), tax_id: 'short' }).tax_id).toBeUndefined();
  });

  it('form-level rules attach to their fields or to _form', () => {
    const rec = computeValues(orderForm, { ...goodOrder(), discount: 100, customer: 'blocked' });
    const errs = ruleErrors(orderForm, rec);
    expect(errs.discount).toEqual([{ 'zh-CN': '折扣不能超过小计', en: 'Discount cannot exceed the subtotal' }]);
    expect(errs._form).toEqual([
      { 'zh-CN': 'This customer is blocked', en: 'This customer is blocked' },
      { 'zh-CN': 'Broken form rule', en: 'Broken form rule' }, // a throwing rule is a failure, not an exception
    ]);
    expect(ruleErrors(orderForm, computeValues(orderForm, { ...goodOrder(), discount: 60 })).discount).toBeUndefined();
  });

  it('subtable rows report under subtable.row.field', () => {
    const errs = ruleErrors(orderForm, { ...goodOrder(), lines: [{ item: 'a', qty: 1 }, { item: '', qty: 0, price: -1 }, 'junk'] });
    expect(errs['lines.1.item']).toEqual([{ 'zh-CN': '请填写「项目」', en: 'Item is required' }]);
    expect(errs['lines.1.qty']).toEqual([{ 'zh-CN': 'Qty must be positive', en: 'Qty must be positive' }]);
    expect(errs['lines.1.reason']).toHaveLength(1); // visible and required on this row only
    expect(errs['lines.0.reason']).toBeUndefined();
    expect(errs['lines.0.qty']).toBeUndefined();
    expect(errs['lines.2.item']).toHaveLength(1); // a non-object row has no values
    expect(Object.keys(errs).some((k) => k.endsWith('.gone'))).toBe(false);
  });

  it('only checks the keys asked for', () => {
    const rec = { customer: '', discount: 100, subtotal: 1, lines: [{ item: '' }] };
    expect(Object.keys(ruleErrors(orderForm, rec, { only: new Set(['discount']) }))).toEqual(['discount']);
    expect(Object.keys(ruleErrors(orderForm, rec, { only: new Set(['lines']) }))).toEqual(['lines.0.item']);
    expect(Object.keys(ruleErrors(orderForm, rec, { only: new Set(['_form']) }))).toEqual(['_form']);
  });

  it('a throwing field rule is reported with its message', () => {
    const form: FormDef = {
      key: 'x', label: 'x',
      fields: [{ id: 'a', key: 'a', type: 'text', label: 'A', validate: [{ rule: { nope: [] }, message: { 'zh-CN': '坏规则', en: 'Bad rule' } }] }],
    };
    expect(ruleErrors(form, { a: 'x' })).toEqual({ a: [{ 'zh-CN': '坏规则', en: 'Bad rule' }] });
    expect(ruleErrors(form, { a: '' })).toEqual({}); // blank and optional: rules do not run
  });
});
