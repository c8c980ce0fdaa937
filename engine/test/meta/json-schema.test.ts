import { describe, expect, it } from 'vitest';
import {
  compileRecordValidator, formJsonSchema, recordSchema, stripForValidation, validateFormDef, type FormDef,
} from '../../src/meta/index.js';
import { fullForm } from './form-fixture.js';

const form = validateFormDef(fullForm());
const validate = compileRecordValidator(form, 'create');

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const file = { id: 'f1', name: 'a.pdf', size: 10, mime: 'application/pdf', url: 'https://x/a.pdf' };

/** Valid and invalid values per field key, with what the message says (en, zh). */
const cases: Array<{ key: string; valid: unknown[]; invalid: Array<[unknown, string, string]> }> = [
  { key: 'title', valid: ['Oil change', ''], invalid: [[5, 'must be text', '应为文本'], ['x'.repeat(101), 'at most 100 characters', '不能超过 100 个字符']] },
  { key: 'notes', valid: ['long\ntext'], invalid: [[true, 'must be text', '文本']] },
  { key: 'mileage', valid: [0, 123.5], invalid: [['12', 'must be a number', '应为数字'], [-1, 'at least 0', '不能小于 0'], [3e6, 'at most 2000000', '不能大于']] },
  { key: 'price', valid: [0, 19.99, 0.07, 100, 1.1, 123456789012.34, -0], invalid: [[1.234, 'at most 2 decimal places', '两位小数'], [123456789012.345, 'decimal places', '小数'], [-5, 'at least 0', '不能小于'], ['9', 'must be a number', '数字']] },
  { key: 'discount', valid: [0, 12.5], invalid: [[101, 'at most 100', '不能大于 100']] },
  { key: 'due', valid: ['2024-02-29'], invalid: [['2023-02-30', 'valid date', '日期格式不正确'], ['29/02/2024', 'YYYY-MM-DD', 'YYYY-MM-DD'], [20240229, 'must be a date', '应为日期']] },
  { key: 'arrived_at', valid: ['2024-05-01T08:30:00Z', '2024-05-01T08:30:00.123+08:00'], invalid: [['2024-05-01 08:30', 'valid date and time', '日期时间'], [1714552200000, 'date and time', '日期时间']] },
  { key: 'warranty', valid: [true, false], invalid: [['yes', 'true/false', '是或否'], [1, 'true/false', '是或否']] },
  { key: 'status', valid: ['open', 'done'], invalid: [['closed', 'not a valid option', '不是有效选项'], [1, 'not a valid option', '不是有效选项']] },
  { key: 'services', valid: [[], ['oil', 'tyres']], invalid: [[['oil', 'wax'], 'item 2: is not a valid option', '第 2 项：不是有效选项'], [['oil', 'oil'], 'duplicates', '重复'], ['oil', 'list of options', '选项列表']] },
  { key: 'labels', valid: [['vip', 'anything new']], invalid: [[[''], 'must not be empty', '不能为空'], [['a', 'a'], 'duplicates', '重复']] },
  { key: 'phone', valid: ['+86 138 0000 0000', '010-12345678'], invalid: [['call me', 'not a valid phone number', '电话号码']] },
  { key: 'email', valid: ['a@b.cn'], invalid: [['not-an-email', 'valid email address', '邮箱格式不正确']] },
  { key: 'site', valid: ['https://example.com/x', 'https://例子.cn/路径?q=汽车'], invalid: [['ftp://example.com', 'http:// or https://', 'http'], ['http://exa mple.com', 'valid URL', '网址']] },
  { key: 'customer', valid: [1, 42], invalid: [['42', 'record id', '记录编号'], [0, 'at least 1', '不能小于 1'], [1.5, 'record id', '记录编号']] },
  { key: 'advisor', valid: [7], invalid: [[[7], 'user id', '用户编号']] },
  { key: 'team', valid: [[1, 2]], invalid: [[3, 'list of department ids', '部门编号'], [[1, 1], 'duplicates', '重复']] },
  { key: 'files', valid: [[file], []], invalid: [[[{ name: 'x' }], 'item 1: id is required', '第 1 项：缺少 id'], [[{ ...file, size: -1 }], 'item 1 size: must be at least 0', '第 1 项 size'], [file, 'list of files', '文件列表']] },
  { key: 'photos', valid: [[{ id: 'p1' }]], invalid: [[[{ id: 'p1', extra: 1 }], "unknown property 'extra'", 'extra']] },
  // SVG signatures are refused (an SVG can carry scripts); the server also checks the PNG bytes (files/signature.ts).
  { key: 'signature', valid: [PNG], invalid: [['hello', 'not a valid signature image', '签名'], ['data:image/svg+xml;base64,PHN2Zz4=', 'not a valid signature image', '签名'], ['data:image/png;base64,<svg>', 'not a valid signature image', '签名']] },
  { key: 'address', valid: [{ province: '广东', city: '深圳', detail: '1 号' }, {}], invalid: [[{ street: 'x' }, "unknown property 'street'", 'street'], ['Shenzhen', 'must be an address', '地址'], [{ city: 5 }, 'city: must be text', 'city：应为文本']] },
  { key: 'location', valid: [{ lat: 22.5, lng: 114.1 }], invalid: [[{ lat: 22.5 }, 'lng is required', '缺少 lng'], [{ lat: 91, lng: 0 }, 'lat: must be at most 90', 'lat'], [[1, 2], 'must be a location', '位置']] },
  { key: 'plate', valid: ['AB12345'], invalid: [['ab', 'not a valid plate', '车牌格式不正确']] },
];

describe('compileRecordValidator: every field type', () => {
  for (const c of cases) {
    it(`${c.key}: valid values pass, null is allowed`, () => {
      for (const v of [...c.valid, null]) expect(validate({ [c.key]: v }), JSON.stringify(v)).toEqual({});
    });
    it(`${c.key}: invalid values fail with a message people understand`, () => {
      for (const [v, en, zh] of c.invalid) {
        const errors = validate({ [c.key]: v });
        expect(Object.keys(errors), JSON.stringify(v)).toEqual([c.key]);
        const list = errors[c.key]!;
        expect(list.some((m) => m.en.includes(en)), `${JSON.stringify(v)} → ${JSON.stringify(list)}`).toBe(true);
        expect(list.some((m) => m['zh-CN'].includes(zh)), `${JSON.stringify(v)} → ${JSON.stringify(list)}`).toBe(true);
      }
    });
  }

  it('covers every live non-computed field of the form', () => {
    const schema = recordSchema(form, 'create') as { properties: Record<string, unknown> };
    const tested = new Set([...cases.map((c) => c.key), 'items']);
    expect(Object.keys(schema.properties).filter((k) => !tested.has(k))).toEqual([]);
  });

  it('an empty payload is valid (required is dynamic), and so is a record of nulls', () => {
    expect(validate({})).toEqual({});
    const schema = recordSchema(form, 'update') as { properties: Record<string, unknown>; required?: unknown };
    expect(schema.required).toBeUndefined();
    expect(validate(Object.fromEntries(Object.keys(schema.properties).map((k) => [k, null])))).toEqual({});
  });

  it('a whole valid record passes', () => {
    const record = Object.fromEntries(cases.map((c) => [c.key, c.valid[0]]));
    expect(validate({ ...record, items: [{ part: 1, qty: 2, unit_price: 9.5, kind: 'part' }] })).toEqual({});
  });
});

describe('compileRecordValidator: keys', () => {
  it('unknown keys, soft-deleted and computed fields are unknown', () => {
    const errors = validate({ nope: 1, old_code: 'x', total: 5, order_no: 'SO-1', visits: 3, title: 'ok' });
    expect(Object.keys(errors).sort()).toEqual(['nope', 'old_code', 'order_no', 'total', 'visits']);
    expect(errors.nope).toEqual([{ 'zh-CN': '未知字段', en: 'Unknown field' }]);
  });

  it('system keys are unknown until stripped', () => {
    const payload = { id: 3, _version: 2, _createdAt: 'x', _updatedAt: 'x', _createdBy: 1, _owner: 1, total: 9, title: 'T', items: [{ id: 4, qty: 1, amount: 10 }] };
    expect(Object.keys(validate(payload)).sort()).toEqual(['_createdAt', '_createdBy', '_owner', '_updatedAt', '_version', 'id', 'items.0.amount', 'total']);
    const stripped = stripForValidation(form, payload);
    expect(stripped).toEqual({ title: 'T', items: [{ id: 4, qty: 1 }] });
    expect(validate(stripped)).toEqual({});
  });

  it('the payload must be an object', () => {
    expect(Object.keys(validate([]))).toEqual(['']);
    expect(Object.keys(validate('x'))).toEqual(['']);
  });
});

describe('compileRecordValidator: subtables', () => {
  it('row errors are keyed subtable.row.field', () => {
    const errors = validate({
      items: [{ qty: 1 }, { qty: 'two', kind: 'gift' }, { part: 'p', nope: 1 }, 5, { id: 0 }],
    });
    expect(errors['items.1.qty']![0]!.en).toBe('must be a number');
    expect(errors['items.1.kind']![0]!.en).toBe('is not a valid option');
    expect(errors['items.2.part']![0]!.en).toBe('must be a record id');
    expect(errors['items.2.nope']).toEqual([{ 'zh-CN': '未知字段', en: 'Unknown field' }]);
    expect(errors['items.3']![0]!.en).toBe('each row must be an object');
    expect(errors['items.4.id']![0]!.en).toBe('must be at least 1');
    expect(Object.keys(errors)).toHaveLength(6);
  });

  it('rows may carry their id, and null values', () => {
    expect(validate({ items: [{ id: 12, qty: null, part: null }], title: null })).toEqual({});
    expect(validate({ items: null })).toEqual({});
  });

  it('a subtable must be a list of at most 1000 rows', () => {
    expect(validate({ items: { qty: 1 } }).items![0]!.en).toBe('must be a list of rows');
    expect(validate({ items: Array.from({ length: 1001 }, () => ({})) }).items![0]!.en).toBe('must have at most 1000 rows');
  });

  it('recordSchema describes rows without computed or deleted fields', () => {
    const schema = recordSchema(form, 'create') as any;
    const rows = schema.properties.items.anyOf[0];
    expect(rows.maxItems).toBe(1000);
    expect(Object.keys(rows.items.properties)).toEqual(['id', 'part', 'qty', 'unit_price', 'kind']);
    expect(rows.items.additionalProperties).toBe(false);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.title).toEqual({ anyOf: [{ type: 'string', maxLength: 100 }, { type: 'null' }] });
  });

  it('a soft-deleted row field is unknown', () => {
    const f = structuredClone(form) as FormDef;
    f.fields.find((x) => x.key === 'items')!.fields![1]!.deleted = true;
    const v = compileRecordValidator(f, 'update');
    expect(v({ items: [{ qty: 1 }] })).toEqual({ 'items.0.qty': [{ 'zh-CN': '未知字段', en: 'Unknown field' }] });
  });
});

describe('formJsonSchema', () => {
  const { schema, uiSchema } = formJsonSchema(form, 'en') as { schema: any; uiSchema: any };
  const zh = formJsonSchema(form, 'zh-CN') as { schema: any; uiSchema: any };

  it('titles from labels in the language, descriptions from help', () => {
    expect(schema.title).toBe('Service order');
    expect(zh.schema.title).toBe('维修单');
    expect(schema.properties.title.title).toBe('Title');
    expect(zh.schema.properties.title.title).toBe('标题');
    expect(schema.properties.notes.description).toBe('Anything else');
    expect(zh.schema.properties.notes.description).toBe('备注说明');
  });

  it('soft-deleted fields are left out; ui:order follows the form', () => {
    expect(schema.properties.old_code).toBeUndefined();
    expect(schema.properties.late).toBeUndefined();
    expect(uiSchema['ui:order']).toEqual(form.fields.filter((f) => !f.deleted).map((f) => f.key));
    expect(uiSchema['ui:order']).not.toContain('old_code');
  });

  it('required holds the static, non-computed required fields', () => {
    expect(schema.required).toEqual(['title']);
    expect(schema.properties.items.items.required).toEqual(['qty']);
  });

  it('selects are oneOf const/title; multiselect and tags are unique arrays', () => {
    expect(schema.properties.status).toMatchObject({ type: 'string', oneOf: [{ const: 'open', title: 'Open' }, { const: 'done', title: 'Done' }], default: 'open' });
    expect(zh.schema.properties.status.oneOf[0]).toEqual({ const: 'open', title: '待处理' });
    expect(schema.properties.services).toMatchObject({ type: 'array', uniqueItems: true, items: { type: 'string', oneOf: [{ const: 'oil', title: 'Oil' }, { const: 'tyres', title: 'Tyres' }] } });
    expect(uiSchema.services['ui:widget']).toBe('checkboxes');
    expect(schema.properties.labels).toMatchObject({ type: 'array', uniqueItems: true });
    expect(uiSchema.labels).toMatchObject({ 'ui:widget': 'tags', 'ui:options': { allowNew: true } });
  });

  it('widgets per type', () => {
    expect(uiSchema.notes['ui:widget']).toBe('textarea');
    expect(uiSchema.price['ui:widget']).toBe('money');
    expect(schema.properties.price).toMatchObject({ type: 'number', minimum: 0 });
    expect(schema.properties.price.multipleOf).toBeUndefined(); // float-unsafe in a stock ajv
    expect(uiSchema.price['ui:options']).toEqual({ precision: 2 });
    expect(uiSchema.due['ui:widget']).toBe('date');
    expect(schema.properties.due).toMatchObject({ type: 'string', format: 'date' });
    expect(uiSchema.arrived_at['ui:widget']).toBe('datetime');
    expect(uiSchema.customer).toMatchObject({ 'ui:widget': 'relation', 'ui:options': { form: 'customer', displayField: 'name' } });
    expect(schema.properties.customer).toMatchObject({ type: 'integer' });
    expect(uiSchema.advisor['ui:widget']).toBe('user');
    expect(uiSchema.team).toMatchObject({ 'ui:widget': 'department', 'ui:options': { multiple: true } });
    expect(uiSchema.files['ui:widget']).toBe('attachment');
    expect(uiSchema.photos['ui:widget']).toBe('image');
    expect(uiSchema.signature['ui:widget']).toBe('signature');
    expect(uiSchema.address['ui:field']).toBe('address');
    expect(uiSchema.location['ui:widget']).toBe('hidden'); // ui.hidden
    expect(uiSchema.location['ui:field']).toBe('location');
    expect(uiSchema.email['ui:options']).toMatchObject({ inputType: 'email' });
    expect(uiSchema.phone['ui:options']).toMatchObject({ inputType: 'tel' });
    expect(uiSchema.title['ui:placeholder']).toBe('Type here');
    expect(zh.uiSchema.title['ui:placeholder']).toBe('请输入');
  });

  it('ui.span goes into ui:options', () => {
    expect(uiSchema.title['ui:options']).toEqual({ span: 12 });
  });

  it('computed fields are read-only', () => {
    for (const key of ['order_no', 'total', 'net', 'visits']) {
      expect(schema.properties[key].readOnly, key).toBe(true);
      expect(uiSchema[key]['ui:readonly'], key).toBe(true);
    }
    expect(schema.properties.title.readOnly).toBeUndefined();
  });

  it('subtables are arrays of objects with their own order and widgets', () => {
    const items = schema.properties.items;
    expect(items).toMatchObject({ type: 'array', title: 'Items', items: { type: 'object' } });
    expect(Object.keys(items.items.properties)).toEqual(['part', 'qty', 'unit_price', 'amount', 'kind']);
    expect(items.items.properties.amount.readOnly).toBe(true);
    expect(uiSchema.items.items['ui:order']).toEqual(['part', 'qty', 'unit_price', 'amount', 'kind']);
    expect(uiSchema.items.items.part).toMatchObject({ 'ui:widget': 'relation', 'ui:options': { form: 'part' } });
    expect(uiSchema.items.items.amount['ui:readonly']).toBe(true);
  });

  it('a $rule default is not a literal default', () => {
    expect(schema.properties.advisor.default).toBeUndefined();
    expect(schema.properties.warranty.default).toBe(false);
  });
});

describe('formJsonSchema: hidden fields', () => {
  it('a hidden field is not in required (the user could never fill it)', () => {
    const f: FormDef = { key: 'h', label: 'H', fields: [{ id: 'a', key: 'a', type: 'text', label: 'A', required: true, ui: { hidden: true } }, { id: 'b', key: 'b', type: 'text', label: 'B', required: true }] };
    expect((formJsonSchema(f, 'en').schema as { required: string[] }).required).toEqual(['b']);
  });
});

describe('compileRecordValidator: hostile keys', () => {
  it('constructor, __proto__, toString are unknown fields, kept as data', () => {
    const payload = JSON.parse('{"title":"x","__proto__":{"a":1},"constructor":"x","toString":1,"items":[{"constructor":1}]}');
    const errors = validate(payload);
    expect(Object.keys(errors).sort()).toEqual(['__proto__', 'constructor', 'items.0.constructor', 'toString']);
    expect(Object.prototype.hasOwnProperty.call(errors, '__proto__')).toBe(true);
    expect(errors.constructor).toEqual([{ 'zh-CN': '未知字段', en: 'Unknown field' }]);
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });
});

describe('stripForValidation: hostile keys', () => {
  it('keeps __proto__ as an own key, so validation still names it', () => {
    const stripped = stripForValidation(form, JSON.parse('{"id":1,"__proto__":{"title":"x"}}')) as Record<string, unknown>;
    expect(Object.keys(stripped)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(stripped)).toBe(Object.prototype);
    expect(Object.keys(validate(stripped))).toEqual(['__proto__']);
  });
});
