import { describe, expect, it } from 'vitest';
import {
  FIELD_TYPES, assertKeyMatches, validateDocument, validateFormDef, type FieldDef, type FormDef,
} from '../../src/meta/index.js';
import { AppError } from '../../src/errors.js';
import { fullForm } from './form-fixture.js';

type Errors = Record<string, { 'zh-CN': string; en: string }[]>;

/** The `fields` of the validation error `fn` throws (fails when it does not throw one). */
function errorsOf(fn: () => unknown): Errors {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('validation');
    const fields = (e as AppError).fields!;
    for (const list of Object.values(fields)) {
      for (const m of list) {
        expect(m['zh-CN']).toBeTruthy();
        expect(m.en).toBeTruthy();
      }
    }
    return fields as Errors;
  }
  throw new Error('expected a validation error');
}

const formErrors = (doc: unknown) => errorsOf(() => validateFormDef(doc));

/** A copy of the full form with `edit` applied. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the variants break the types on purpose
function variant(edit: (f: any) => void): FormDef {
  const f = structuredClone(fullForm());
  edit(f);
  return f;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const field = (f: FormDef, key: string): any => f.fields.find((x: FieldDef) => x.key === key)!;
const idx = (key: string) => fullForm().fields.findIndex((x) => x.key === key);

/** Expect an error at `path` whose English text contains `en` and Chinese text contains `zh`. */
function expectError(errors: Errors, path: string, en: string | RegExp, zh?: string | RegExp) {
  expect(Object.keys(errors), JSON.stringify(errors)).toContain(path);
  const list = errors[path]!;
  expect(list.some((m) => (typeof en === 'string' ? m.en.includes(en) : en.test(m.en))), JSON.stringify(list)).toBe(true);
  if (zh) expect(list.some((m) => (typeof zh === 'string' ? m['zh-CN'].includes(zh) : zh.test(m['zh-CN']))), JSON.stringify(list)).toBe(true);
}

describe('validateFormDef: a sound form', () => {
  it('accepts a form with every field type', () => {
    const form = fullForm();
    const types = new Set(form.fields.flatMap((f) => [f.type, ...(f.fields ?? []).map((s) => s.type)]));
    expect([...FIELD_TYPES].filter((t) => !types.has(t))).toEqual([]);
    expect(validateFormDef(form)).toBe(form);
  });

  it('accepts a minimal form, fields without ids, and labels in one language', () => {
    expect(() => validateFormDef({ key: 'a', label: 'A', fields: [] })).not.toThrow();
    expect(() => validateFormDef({ key: 'a', label: { en: 'A' }, fields: [{ key: 'x', type: 'text', label: { 'zh-CN': '某' } }] })).not.toThrow();
  });

  it('accepts tags without options, and autonumber patterns with only a counter', () => {
    expect(() =>
      validateFormDef({
        key: 'a', label: 'A',
        fields: [
          { key: 't', type: 'tags', label: 'T' },
          { key: 'n', type: 'autonumber', label: 'N', autonumber: { pattern: '{############}' } },
          { key: 'm', type: 'autonumber', label: 'M', autonumber: { pattern: 'A_b-c/{YY}{DD}{#}', reset: 'never' } },
        ],
      }),
    ).not.toThrow();
  });
});

describe('validateFormDef: the metaschema, by JSON path', () => {
  const cases: Array<[string, (f: any) => void, string, string | RegExp, string | RegExp]> = [
    ['form key required', (f) => delete f.key, '/key', "'key' is required", '缺少必填属性'],
    ['form key pattern', (f) => (f.key = 'Service'), '/key', 'lowercase letter', '小写字母'],
    ['form key too long', (f) => (f.key = 'a'.repeat(49)), '/key', 'at most 48', '48'],
    ['form label required', (f) => delete f.label, '/label', "'label' is required", '缺少'],
    ['fields required', (f) => delete f.fields, '/fields', "'fields' is required", '缺少'],
    ['fields must be an array', (f) => (f.fields = {}), '/fields', 'must be an array', '数组'],
    ['unknown form property', (f) => (f.colour = 'red'), '/colour', "unknown property 'colour'", "不允许的属性 'colour'"],
    ['empty string label', (f) => (f.label = ''), '/label', 'must not be empty', '不能为空'],
    ['label too long', (f) => (f.label = 'x'.repeat(201)), '/label', 'at most 200 characters', '200'],
    ['label of the wrong type', (f) => (f.label = 5), '/label', "'zh-CN' and/or 'en'", 'zh-CN'],
    ['empty label object', (f) => (f.label = {}), '/label', "needs 'zh-CN' and/or 'en'", '至少填写'],
    ['label object with another language', (f) => (f.label = { fr: 'x' }), '/label/fr', "unknown property 'fr'", 'fr'],
    ['label object member not a string', (f) => (f.label = { en: 3 }), '/label/en', 'must be a string', '文本'],
    ['module not a string', (f) => (f.module = 3), '/module', 'must be a string', '文本'],
    ['titleField pattern', (f) => (f.titleField = 'Bad Key'), '/titleField', 'lowercase', '小写'],
    ['ext not an object', (f) => (f.ext = [1]), '/ext', 'must be an object', '对象'],
    ['field not an object', (f) => (f.fields[0] = 'x'), '/fields/0', 'must be an object', '对象'],
    ['field key required', (f) => delete field(f, 'title').key, `/fields/${idx('title')}/key`, "'key' is required", '缺少'],
    ['field key pattern', (f) => (field(f, 'title').key = '1title'), `/fields/${idx('title')}/key`, 'lowercase letter', '小写字母'],
    ['field type unknown', (f) => (field(f, 'title').type = 'string'), `/fields/${idx('title')}/type`, '"string" is not one of: text', '不是允许的值'],
    ['field type required', (f) => delete field(f, 'title').type, `/fields/${idx('title')}/type`, "'type' is required", '缺少'],
    ['field label required', (f) => delete field(f, 'title').label, `/fields/${idx('title')}/label`, "'label' is required", '缺少'],
    ['unknown field property', (f) => (field(f, 'title').colour = 1), `/fields/${idx('title')}/colour`, "unknown property 'colour'", 'colour'],
    ['field id pattern', (f) => (field(f, 'title').id = 'a b'), `/fields/${idx('title')}/id`, 'letters, digits', '字母'],
    ['required not boolean', (f) => (field(f, 'title').required = 'yes'), `/fields/${idx('title')}/required`, 'must be a boolean', '布尔'],
    ['maxLength negative', (f) => (field(f, 'title').maxLength = -1), `/fields/${idx('title')}/maxLength`, 'at least 0', '不能小于 0'],
    ['precision not integer', (f) => (field(f, 'mileage').precision = 1.5), `/fields/${idx('mileage')}/precision`, 'must be an integer', '整数'],
    ['ui.span out of range', (f) => (field(f, 'title').ui.span = 30), `/fields/${idx('title')}/ui/span`, 'at most 24', '24'],
    ['ui not an object', (f) => (field(f, 'title').ui = 'wide'), `/fields/${idx('title')}/ui`, 'must be an object', '对象'],
    ['select without options', (f) => delete field(f, 'status').options, `/fields/${idx('status')}/options`, "'options' is required", '缺少'],
    ['select with no options', (f) => (field(f, 'status').options = []), `/fields/${idx('status')}/options`, 'needs at least one option', '至少需要一个选项'],
    ['multiselect with no options', (f) => (field(f, 'services').options = []), `/fields/${idx('services')}/options`, 'needs at least one option', '选项'],
    ['option key pattern', (f) => (field(f, 'status').options[1].key = 'Done'), `/fields/${idx('status')}/options/1/key`, 'lowercase letter', '小写字母'],
    ['option label missing', (f) => delete field(f, 'status').options[0].label, `/fields/${idx('status')}/options/0/label`, "'label' is required", '缺少'],
    ['option unknown property', (f) => (field(f, 'status').options[0].value = 1), `/fields/${idx('status')}/options/0/value`, "unknown property 'value'", 'value'],
    ['options on a text field', (f) => (field(f, 'title').options = [{ key: 'a', label: 'A' }]), `/fields/${idx('title')}/options`, "'options' is not allowed on a text field", 'text'],
    ['allowNewOptions on a select', (f) => (field(f, 'status').allowNewOptions = true), `/fields/${idx('status')}/allowNewOptions`, 'not allowed on a select field', 'select'],
    ['relation without relation', (f) => delete field(f, 'customer').relation, `/fields/${idx('customer')}/relation`, "'relation' is required", '缺少'],
    ['relation without form', (f) => delete field(f, 'customer').relation.form, `/fields/${idx('customer')}/relation/form`, "'form' is required", '缺少'],
    ['relation on a number', (f) => (field(f, 'mileage').relation = { form: 'x' }), `/fields/${idx('mileage')}/relation`, 'not allowed on a number field', 'number'],
    ['subtable without fields', (f) => delete field(f, 'items').fields, `/fields/${idx('items')}/fields`, "'fields' is required", '缺少'],
    ['subtable with no fields', (f) => (field(f, 'items').fields = []), `/fields/${idx('items')}/fields`, 'needs at least one field', '至少需要一个字段'],
    ['fields on a text field', (f) => (field(f, 'title').fields = [{ key: 'a', type: 'text', label: 'A' }]), `/fields/${idx('title')}/fields`, "'fields' is not allowed on a text field", 'text'],
    ['nested subtable', (f) => field(f, 'items').fields.push({ key: 'sub', type: 'subtable', label: 'S', fields: [{ key: 'x', type: 'text', label: 'X' }] }), `/fields/${idx('items')}/fields/5/type`, 'cannot hold a subtable', '子表'],
    ['nested subtable fields', (f) => field(f, 'items').fields.push({ key: 'sub', type: 'subtable', label: 'S', fields: [{ key: 'x', type: 'text', label: 'X' }] }), `/fields/${idx('items')}/fields/5/fields`, "row field cannot have 'fields'", '子表'],
    ['autonumber in a subtable', (f) => field(f, 'items').fields.push({ key: 'no', type: 'autonumber', label: 'N', autonumber: { pattern: '{###}' } }), `/fields/${idx('items')}/fields/5/type`, 'autonumber', '自动编号'],
    ['rollup in a subtable', (f) => (field(f, 'items').fields[1].rollup = { form: 'a', via: 'b', op: 'count' }), `/fields/${idx('items')}/fields/1/rollup`, "row field cannot have 'rollup'", 'rollup'],
    ['row field error path', (f) => (field(f, 'items').fields[1].type = 'nope'), `/fields/${idx('items')}/fields/1/type`, 'is not one of', '不是允许的值'],
    ['autonumber without autonumber', (f) => delete field(f, 'order_no').autonumber, `/fields/${idx('order_no')}/autonumber`, "'autonumber' is required", '缺少'],
    ['autonumber without pattern', (f) => (field(f, 'order_no').autonumber = {}), `/fields/${idx('order_no')}/autonumber/pattern`, "'pattern' is required", '缺少'],
    ['autonumber without counter', (f) => (field(f, 'order_no').autonumber.pattern = 'SO-{YYYY}'), `/fields/${idx('order_no')}/autonumber/pattern`, 'exactly one counter', '恰好一个'],
    ['autonumber with two counters', (f) => (field(f, 'order_no').autonumber.pattern = '{##}-{###}'), `/fields/${idx('order_no')}/autonumber/pattern`, 'exactly one counter', '恰好一个'],
    ['autonumber counter too long', (f) => (field(f, 'order_no').autonumber.pattern = '{#############}'), `/fields/${idx('order_no')}/autonumber/pattern`, '1–12', '1–12'],
    ['autonumber unknown token', (f) => (field(f, 'order_no').autonumber.pattern = '{HH}{###}'), `/fields/${idx('order_no')}/autonumber/pattern`, 'may contain only', '只能包含'],
    ['autonumber bad literal', (f) => (field(f, 'order_no').autonumber.pattern = 'SO {###}'), `/fields/${idx('order_no')}/autonumber/pattern`, 'may contain only', '只能包含'],
    ['autonumber reset enum', (f) => (field(f, 'order_no').autonumber.reset = 'week'), `/fields/${idx('order_no')}/autonumber/reset`, '"week" is not one of: never, year, month, day', '不是允许的值'],
    ['autonumber on a text field', (f) => (field(f, 'title').autonumber = { pattern: '{#}' }), `/fields/${idx('title')}/autonumber`, 'not allowed on a text field', 'text'],
    ['rollup op enum', (f) => (field(f, 'visits').rollup.op = 'median'), `/fields/${idx('visits')}/rollup/op`, 'is not one of: sum, count', '不是允许的值'],
    ['rollup sum needs field', (f) => (field(f, 'visits').rollup.op = 'sum'), `/fields/${idx('visits')}/rollup/field`, "'field' is required", '缺少'],
    ['rollup needs via', (f) => delete field(f, 'visits').rollup.via, `/fields/${idx('visits')}/rollup/via`, "'via' is required", '缺少'],
    ['rollup on a text field', (f) => (field(f, 'title').rollup = { form: 'a', via: 'b', op: 'count' }), `/fields/${idx('title')}/rollup`, 'not allowed on a text field', 'text'],
    ['multiple on a text field', (f) => (field(f, 'title').multiple = true), `/fields/${idx('title')}/multiple`, 'not allowed on a text field', 'text'],
    ['rules unknown property', (f) => (field(f, 'signature').rules.hidden = true), `/fields/${idx('signature')}/rules/hidden`, "unknown property 'hidden'", 'hidden'],
    ['validate rule without message', (f) => delete field(f, 'plate').validate[0].message, `/fields/${idx('plate')}/validate/0/message`, "'message' is required", '缺少'],
    ['form validate without rule', (f) => delete f.validate[0].rule, '/validate/0/rule', "'rule' is required", '缺少'],
    ['form validate fields pattern', (f) => (f.validate[0].fields = ['Bad']), '/validate/0/fields/0', 'lowercase', '小写'],
    [
      'formula too deep',
      (f) => {
        let e: unknown = 1;
        for (let i = 0; i < 20; i++) e = { '+': [e, 1] }; // 40 levels: objects and arrays both count
        field(f, 'net').formula = e;
      },
      `/fields/${idx('net')}/formula`, 'nested too deeply', '嵌套太深',
    ],
    [
      'formula too large',
      (f) => (field(f, 'net').formula = { '+': Array.from({ length: 6000 }, () => 1) }),
      `/fields/${idx('net')}/formula`, 'too large', '太大',
    ],
    [
      'rules too deep',
      (f) => {
        let e: unknown = true;
        for (let i = 0; i < 40; i++) e = [e];
        field(f, 'signature').rules.visible = e;
      },
      `/fields/${idx('signature')}/rules/visible`, 'nested too deeply', '嵌套太深',
    ],
  ];

  it.each(cases)('%s', (_name, edit, path, en, zh) => {
    expectError(formErrors(variant(edit)), path, en, zh);
  });

  it('reports several problems at once', () => {
    const errors = formErrors(
      variant((f) => {
        f.key = 'X';
        field(f, 'title').type = 'nope';
        field(f, 'status').options = [];
      }),
    );
    expect(Object.keys(errors).sort()).toEqual(['/fields/1/type', `/fields/${idx('status')}/options`, '/key'].sort());
  });

  it('translates a type mismatch of a non-object document', () => {
    expectError(formErrors('form'), '', 'must be an object', '对象');
    expectError(formErrors(null), '', 'must be an object', '对象');
  });
});

describe('validateFormDef: forbidden keys and size', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('rejects %s anywhere', (key) => {
    const top = JSON.parse(`{"key":"a","label":"A","fields":[],"${key}":{"polluted":true}}`);
    expectError(formErrors(top), `/${key}`, `'${key}' is not allowed as a property name`, '不允许使用');
    const deep = JSON.parse(
      `{"key":"a","label":"A","fields":[{"key":"x","type":"number","label":"X","formula":{"+":[1,{"${key}":1}]}}]}`,
    );
    expectError(formErrors(deep), `/fields/0/formula/+/1/${key}`, 'not allowed as a property name', key);
  });

  it('rejects a document nested too deeply before the schema runs', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    const errors = formErrors({ key: 'a', label: 'A', fields: [], ext: { deep } });
    expect(Object.keys(errors)).toHaveLength(1);
    expect(Object.values(errors)[0]![0]!.en).toContain('nested too deeply');
  });
});

describe('validateFormDef: semantic checks', () => {
  it('duplicate field keys, top level and in a subtable', () => {
    const errors = formErrors(
      variant((f) => {
        field(f, 'notes').key = 'title';
        field(f, 'items').fields[2].key = 'qty';
      }),
    );
    expectError(errors, `/fields/${idx('notes')}/key`, "duplicate field key 'title' (also at /fields/1)", '重复');
    expectError(errors, `/fields/${idx('items')}/fields/2/key`, "duplicate field key 'qty'", '重复');
  });

  it('a soft-deleted field may share a key with a live one', () => {
    expect(() => validateFormDef(variant((f) => (field(f, 'old_code').key = 'title')))).not.toThrow();
  });

  it('duplicate field ids, across subtables too', () => {
    const errors = formErrors(variant((f) => (field(f, 'items').fields[0].id = 'f02')));
    expectError(errors, `/fields/${idx('items')}/fields/0/id`, "duplicate field id 'f02'", '重复');
  });

  it('duplicate option keys', () => {
    const errors = formErrors(variant((f) => (field(f, 'services').options[1].key = 'oil')));
    expectError(errors, `/fields/${idx('services')}/options/1/key`, "duplicate option key 'oil'", '重复');
  });

  it('reserved key id', () => {
    expectError(formErrors(variant((f) => (field(f, 'title').key = 'id'))), `/fields/${idx('title')}/key`, 'reserved', '保留');
    expectError(formErrors(variant((f) => (field(f, 'items').fields[0].key = 'id'))), `/fields/${idx('items')}/fields/0/key`, 'reserved', '保留');
  });

  it('titleField names a live field that is not a subtable', () => {
    expectError(formErrors(variant((f) => (f.titleField = 'nope'))), '/titleField', "title field 'nope' does not exist", '不存在');
    expectError(formErrors(variant((f) => (f.titleField = 'old_code'))), '/titleField', 'does not exist', '不存在');
    expectError(formErrors(variant((f) => (f.titleField = 'items'))), '/titleField', 'subtable', '子表');
  });

  it('unknown variables in formulas, rules, validations and defaults', () => {
    const errors = formErrors(
      variant((f) => {
        field(f, 'net').formula = { '+': [{ var: 'total' }, { var: 'tax.rate' }] };
        field(f, 'signature').rules.visible = { '==': [{ var: 'stat' }, 'done'] };
        field(f, 'plate').validate[0].rule = { '!=': [{ var: ['plat', ''] }, 'X'] };
        field(f, 'advisor').default = { $rule: { var: 'owner' } };
        f.validate[0].rule = { missing: ['discount', 'discnt'] };
        f.validate[0].fields = ['discount', 'nope'];
        field(f, 'items').fields[3].formula = { '*': [{ var: 'qty' }, { var: 'price' }] };
        field(f, 'old_code').formula = { var: 'whatever' }; // deleted: not checked
      }),
    );
    expectError(errors, `/fields/${idx('net')}/formula`, "refers to unknown field 'tax'", "未知字段 'tax'");
    expectError(errors, `/fields/${idx('signature')}/rules/visible`, "unknown field 'stat'", '未知字段');
    expectError(errors, `/fields/${idx('plate')}/validate/0/rule`, "unknown field 'plat'", '未知字段');
    expectError(errors, `/fields/${idx('advisor')}/default/$rule`, "unknown field 'owner'", '未知字段');
    expectError(errors, '/validate/0/rule', "unknown field 'discnt'", '未知字段');
    expectError(errors, '/validate/0/fields/1', "unknown field 'nope'", '未知字段');
    expectError(errors, `/fields/${idx('items')}/fields/3/formula`, "unknown field 'price'", '未知字段');
    expect(Object.keys(errors).some((p) => p.startsWith(`/fields/${idx('old_code')}`))).toBe(false);
  });

  it('a rule may read id, $user, $parent; a row rule its own row keys only', () => {
    expect(() =>
      validateFormDef(variant((f) => (field(f, 'signature').rules.readOnly = { or: [{ var: 'id' }, { var: '$user.id' }, { var: '$parent.x' }] }))),
    ).not.toThrow();
    expectError(
      formErrors(variant((f) => (field(f, 'items').fields[3].formula = { '*': [{ var: 'qty' }, { var: 'discount' }] }))),
      `/fields/${idx('items')}/fields/3/formula`, "unknown field 'discount'", '未知字段',
    );
  });

  it('array operations over a subtable read the row keys', () => {
    expect(() =>
      validateFormDef(variant((f) => (field(f, 'net').formula = { all: [{ var: 'items' }, { '>': [{ var: 'qty' }, 0] }] }))),
    ).not.toThrow();
    expectError(
      formErrors(variant((f) => (field(f, 'net').formula = { some: [{ var: 'items' }, { '>': [{ var: 'qtty' }, 0] }] }))),
      `/fields/${idx('net')}/formula`, "unknown field 'qtty'", '未知字段',
    );
  });

  it('a formula cycle is reported at the first field of the cycle', () => {
    const errors = formErrors(
      variant((f) => {
        field(f, 'total').formula = { '+': [{ var: 'net' }, 1] };
      }),
    );
    const path = `/fields/${idx('total')}/formula`;
    expectError(errors, path, 'cycle: total → net → total', '循环引用：total → net → total');
  });

  it('a formula cycle in a subtable row', () => {
    const errors = formErrors(
      variant((f) => {
        field(f, 'items').fields[2].formula = { '/': [{ var: 'amount' }, { var: 'qty' }] };
      }),
    );
    expectError(errors, `/fields/${idx('items')}/fields/2/formula`, 'unit_price → amount → unit_price', '循环');
  });

  it('a formula reading itself is a cycle', () => {
    const errors = formErrors(variant((f) => (field(f, 'net').formula = { '+': [{ var: 'net' }, 1] })));
    expectError(errors, `/fields/${idx('net')}/formula`, 'net → net', '循环');
  });

  it('unique on a type without a plain column', () => {
    for (const key of ['services', 'labels', 'files', 'address', 'items', 'team']) {
      const errors = formErrors(variant((f) => (field(f, key).unique = true)));
      expectError(errors, `/fields/${idx(key)}/unique`, 'cannot be unique', '不能设为唯一');
    }
    expect(() => validateFormDef(variant((f) => (field(f, 'advisor').unique = true)))).not.toThrow();
  });

  it('a formula on a subtable or autonumber field', () => {
    expectError(formErrors(variant((f) => (field(f, 'items').formula = { var: 'title' }))), `/fields/${idx('items')}/formula`, 'a subtable field cannot have a formula', '公式');
    expectError(formErrors(variant((f) => (field(f, 'order_no').formula = { var: 'title' }))), `/fields/${idx('order_no')}/formula`, 'autonumber', '公式');
  });

  it('stored: false needs a formula; formula and rollup together', () => {
    expectError(formErrors(variant((f) => (field(f, 'title').stored = false))), `/fields/${idx('title')}/stored`, "'stored: false' needs a formula", '公式');
    expectError(formErrors(variant((f) => (field(f, 'visits').formula = 1))), `/fields/${idx('visits')}/rollup`, 'both a formula and a rollup', '汇总');
  });

  it('invalid regular expressions, inverted ranges, resets the pattern cannot honour, defaults outside the options', () => {
    expectError(formErrors(variant((f) => (field(f, 'plate').pattern = '^[A-Z'))), `/fields/${idx('plate')}/pattern`, 'not a valid regular expression', '正则');
    expectError(formErrors(variant((f) => (field(f, 'mileage').min = 10, field(f, 'mileage').max = 5))), `/fields/${idx('mileage')}/max`, 'max must not be less than min', '最大值');
    expectError(formErrors(variant((f) => (field(f, 'title').minLength = 200))), `/fields/${idx('title')}/maxLength`, 'maxLength', '最大长度');
    expectError(formErrors(variant((f) => (field(f, 'order_no').autonumber.reset = 'day'))), `/fields/${idx('order_no')}/autonumber/reset`, 'resetting every day needs a year ({YYYY} or {YY}), {MM} and {DD}', '{DD}');
    expectError(formErrors(variant((f) => (field(f, 'order_no').autonumber = { pattern: '{MM}-{###}', reset: 'month' }))), `/fields/${idx('order_no')}/autonumber/reset`, 'every month', '按月');
    expectError(formErrors(variant((f) => (field(f, 'order_no').autonumber = { pattern: 'A{###}', reset: 'year' }))), `/fields/${idx('order_no')}/autonumber/reset`, 'every year needs {YYYY} or {YY}', '按年');
    expect(() => validateFormDef(variant((f) => (field(f, 'order_no').autonumber = { pattern: '{YY}{MM}{DD}{###}', reset: 'day' })))).not.toThrow();
    expectError(formErrors(variant((f) => (field(f, 'status').default = 'closed'))), `/fields/${idx('status')}/default`, 'not one of the field', '选项');
    expectError(formErrors(variant((f) => (field(f, 'services').default = ['oil', 'wax']))), `/fields/${idx('services')}/default`, 'option keys', '选项');
  });

  it('semantic checks run only once the schema passes', () => {
    const errors = formErrors(variant((f) => ((f.key = 'X'), (field(f, 'notes').key = 'title'))));
    expect(Object.keys(errors)).toEqual(['/key']);
  });
});

describe('validateDocument and assertKeyMatches', () => {
  it('dispatches forms to the form metaschema', () => {
    expect(validateDocument('forms', fullForm())).toEqual(fullForm());
    expectError(errorsOf(() => validateDocument('forms', { key: 'a', label: 'A' })), '/fields', "'fields' is required", '缺少');
  });

  it('a role metaschema: permissions with actions, rows and field sets', () => {
    const role = {
      key: 'sales_advisor', label: { 'zh-CN': '销售顾问', en: 'Sales advisor' },
      permissions: [
        { form: 'customer', actions: ['create', 'read', 'update'], rows: 'own', fields: { hidden: ['id_number'], masked: ['phone'] } },
        { form: '*', actions: ['read'], rows: { rule: { '==': [{ var: '_dept' }, { var: '$user.department' }] } } },
      ],
    };
    expect(validateDocument('roles', role)).toBe(role);
    const errors = errorsOf(() => validateDocument('roles', { key: 'r', label: 'R', permissions: [{ form: 'Bad', actions: ['fly'], rows: 'mine', extra: 1 }] }));
    expect(Object.keys(errors).some((p) => p.startsWith('/permissions/0'))).toBe(true);
    expectError(errorsOf(() => validateDocument('roles', { key: 'r', label: 'R' })), '/permissions', "'permissions' is required", '缺少');
  });

  // workflows have their own metaschema: workflow-schema.test.ts; reports and dashboards theirs
  // (report-schema.ts; its checks against forms in engine/test/reports/reports.test.ts)
  it('the report metaschema', () => {
    const doc = { key: 'sales', label: { en: 'Sales' }, module: 'sales', category: 'operations', source: 'order', measures: [{ key: 'n', op: 'count' }] };
    expect(validateDocument('reports', doc)).toBe(doc);
    const errors = errorsOf(() => validateDocument('reports', { key: 'Bad', module: 3, category: 'fun', source: 'order', nodes: [] }));
    expectError(errors, '/key', 'lowercase', '小写');
    expectError(errors, '/label', "'label' is required", '缺少');
    expectError(errors, '/module', 'must be a string', '文本');
    expectError(errors, '/category', 'is not one of', '不是允许的值');
    const polluted = JSON.parse('{"key":"a","label":"A","category":"custom","source":"o","measures":[{"key":"n","op":"count","constructor":{"prototype":1}}]}');
    expectError(errorsOf(() => validateDocument('reports', polluted)), '/measures/0/constructor', 'not allowed as a property name', '不允许');
    // beyond the schema: a dimension grouped by a date needs no buckets with a grain
    const both = errorsOf(() => validateDocument('reports', { ...doc, dimensions: [{ key: 'd', field: 'at', grain: 'month', buckets: [{ key: 'a' }] }] }));
    expectError(both, '/dimensions/0/grain', 'cannot be combined', '不能同时');
  });

  it('the dashboard metaschema', () => {
    const doc = { key: 'overview', label: '总览', filters: [{ key: 'period', type: 'date_range' }], widgets: [{ id: 'w1', report: 'sales', layout: { x: 0, y: 0, w: 12, h: 6 }, params: { period: '$filters.period' } }] };
    expect(validateDocument('dashboards', doc)).toBe(doc);
    const errors = errorsOf(() => validateDocument('dashboards', { key: 'o', label: 'O', widgets: [{ id: 'w', report: 'r', layout: { x: 20, y: 0, w: 12, h: 1 }, params: { p: '$filters.nope' } }] }));
    expectError(errors, '/widgets/0/layout', '24-column', '24 列');
    expectError(errors, '/widgets/0/params/p', "no dashboard filter '$filters.nope'", '没有全局筛选');
    expectError(errorsOf(() => validateDocument('dashboards', { key: 'o', label: 'O' })), '/widgets', "'widgets' is required", '缺少');
  });

  it('assertKeyMatches', () => {
    expect(() => assertKeyMatches('forms', 'service_order', fullForm())).not.toThrow();
    expectError(errorsOf(() => assertKeyMatches('forms', 'other', fullForm())), '/key', "does not match 'other'", '不一致');
    expectError(errorsOf(() => assertKeyMatches('roles', 'x', {})), '/key', 'does not match', '不一致');
  });

  it('the error body carries the paths in one language', () => {
    try {
      validateFormDef({ key: 'a', label: 'A', fields: [{ key: 'x', type: 'bogus', label: 'X' }] });
    } catch (e) {
      const body = (e as AppError).toBody('zh-CN');
      expect(body.error.code).toBe('validation');
      expect(body.error.fields!['/fields/0/type']![0]).toContain('不是允许的值');
      return;
    }
    throw new Error('expected a throw');
  });
});
