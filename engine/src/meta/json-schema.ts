/**
 * FormDef → JSON Schema, for two readers:
 *  - the server's record validation (`recordSchema`, `compileRecordValidator`): what a record
 *    payload may hold, with bilingual messages per field key a front-line person understands;
 *  - react-jsonschema-form (`formJsonSchema`): a schema plus uiSchema for generated screens.
 *
 * Isomorphic: no Node or database imports (ajv and ajv-formats run in the browser too).
 */
import { Ajv, type ErrorObject, type SchemaValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { FIELD_TYPE_SPECS, isComputed, type JsonSchema } from './field-types.js';
import { labelText, liveFields, type FieldDef, type FormDef, type Label } from './types.js';
import { msg, type Lang, type Msg } from '../errors.js';

const addFormats: FormatsPlugin = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ??
  ajvFormats) as unknown as FormatsPlugin;

/** Keys every record carries that the system owns (never validated against the form). */
export const RECORD_SYSTEM_KEYS = ['id', '_version', '_createdAt', '_updatedAt', '_createdBy', '_owner'] as const;

/** Most rows one subtable value may hold. */
export const SUBTABLE_MAX_ROWS = 1000;

const live = (fields: FieldDef[] | undefined): FieldDef[] => (fields ?? []).filter((f) => !f.deleted);

const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

function rowSchema(sub: FieldDef): JsonSchema {
  const properties: Record<string, JsonSchema> = { id: { type: 'integer', minimum: 1 } };
  for (const f of live(sub.fields)) if (!isComputed(f)) properties[f.key] = nullable(FIELD_TYPE_SPECS[f.type].valueSchema(f));
  return { type: 'object', properties, additionalProperties: false };
}

/**
 * The JSON Schema of a record payload, for server-side validation.
 *
 * Properties are the live (not soft-deleted), non-computed fields; every value may be `null`.
 * A subtable is an array (at most SUBTABLE_MAX_ROWS) of row objects holding the row's live,
 * non-computed fields plus an optional integer `id` (an existing row). Unknown keys are errors
 * (`additionalProperties: false`), so the record layer strips first: the system keys
 * (RECORD_SYSTEM_KEYS: `id`, `_version`, `_createdAt`, `_updatedAt`, `_createdBy`, `_owner`) and
 * the computed fields (top level and in rows) — `stripForValidation` does exactly that.
 *
 * There is no `required` list: what is required is dynamic (rules.required) and is checked by
 * rules/evaluate.ts. `mode` gives the same schema today ('update' payloads carry only the
 * changed fields, which the absence of `required` already allows); cache per (revision, mode).
 */
export function recordSchema(form: FormDef, mode: 'create' | 'update'): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of liveFields(form)) {
    if (isComputed(f)) continue;
    properties[f.key] =
      f.type === 'subtable'
        ? nullable({ type: 'array', maxItems: SUBTABLE_MAX_ROWS, items: rowSchema(f) })
        : nullable(FIELD_TYPE_SPECS[f.type].valueSchema(f));
  }
  return {
    $comment: `record payload of form '${form.key}' (${mode})`,
    type: 'object',
    properties,
    additionalProperties: false,
  };
}

/**
 * A copy of `payload` without the system keys and the computed fields (top level and in
 * subtable rows), ready for `compileRecordValidator`. Non-objects are returned as they are.
 */
export function stripForValidation(form: FormDef, payload: unknown): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const computed = new Set(form.fields.filter((f) => !f.deleted && isComputed(f)).map((f) => f.key));
  const entries: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(payload as Record<string, unknown>)) {
    if ((RECORD_SYSTEM_KEYS as readonly string[]).includes(k) || computed.has(k)) continue;
    const sub = form.fields.find((f) => f.key === k && !f.deleted && f.type === 'subtable');
    if (sub && Array.isArray(v)) {
      const rowComputed = new Set(live(sub.fields).filter(isComputed).map((f) => f.key));
      entries.push([k, v.map((row) => {
        if (row === null || typeof row !== 'object' || Array.isArray(row)) return row;
        return Object.fromEntries(Object.entries(row as Record<string, unknown>).filter(([rk]) => !rowComputed.has(rk)));
      })]);
    } else entries.push([k, v]);
  }
  return Object.fromEntries(entries); // own properties only, even for a '__proto__' key
}

// ---------------------------------------------------------------------------------------------
// Record validation
// ---------------------------------------------------------------------------------------------

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const TYPE_MSG: Record<string, Msg> = {
  string: msg('应为文本', 'must be text'),
  number: msg('应为数字', 'must be a number'),
  integer: msg('应为整数', 'must be a whole number'),
  boolean: msg('应为是或否', 'must be yes or no (true/false)'),
  array: msg('应为列表', 'must be a list'),
  object: msg('应为对象', 'must be an object'),
};

function typeMessage(field: FieldDef | undefined, expected: string, atFieldLevel: boolean): Msg {
  if (field && atFieldLevel) {
    switch (field.type) {
      case 'select':
        return msg('不是有效选项', 'is not a valid option');
      case 'multiselect':
      case 'tags':
        return msg('应为选项列表', 'must be a list of options');
      case 'date':
        return msg('应为日期（YYYY-MM-DD）', 'must be a date (YYYY-MM-DD)');
      case 'datetime':
        return msg('应为日期时间（如 2024-05-01T08:30:00Z）', 'must be a date and time (e.g. 2024-05-01T08:30:00Z)');
      case 'relation':
        return msg('应为记录编号', 'must be a record id');
      case 'user':
        return field.multiple ? msg('应为用户编号列表', 'must be a list of user ids') : msg('应为用户编号', 'must be a user id');
      case 'department':
        return field.multiple ? msg('应为部门编号列表', 'must be a list of department ids') : msg('应为部门编号', 'must be a department id');
      case 'attachment':
      case 'image':
        return msg('应为文件列表', 'must be a list of files');
      case 'subtable':
        return msg('应为行的列表', 'must be a list of rows');
      case 'address':
        return msg('应为地址', 'must be an address');
      case 'location':
        return msg('应为位置（lat、lng）', 'must be a location (lat, lng)');
      default:
    }
  }
  return TYPE_MSG[expected] ?? msg('类型不正确', 'has the wrong type');
}

function formatMessage(format: string): Msg {
  switch (format) {
    case 'date':
      return msg('日期格式不正确，应为 YYYY-MM-DD', 'must be a valid date (YYYY-MM-DD)');
    case 'date-time':
      return msg('日期时间格式不正确', 'must be a valid date and time (e.g. 2024-05-01T08:30:00Z)');
    case 'email':
      return msg('邮箱格式不正确', 'must be a valid email address');
    case 'uri':
      return msg('网址格式不正确', 'must be a valid URL');
    default:
      return msg('格式不正确', 'has the wrong format');
  }
}

function patternMessage(field: FieldDef | undefined): Msg {
  if (field?.pattern && field.patternMessage !== undefined) {
    return msg(labelText(field.patternMessage, 'zh-CN'), labelText(field.patternMessage, 'en'));
  }
  switch (field?.type) {
    case 'phone':
      return msg('电话号码格式不正确', 'is not a valid phone number');
    case 'url':
      return msg('网址须以 http:// 或 https:// 开头', 'must start with http:// or https://');
    case 'signature':
      return msg('签名图片格式不正确', 'is not a valid signature image');
    default:
      return msg('格式不正确', 'has the wrong format');
  }
}

const fmtNum = (n: unknown) => String(n);

/** The message for one ajv error on a field (`rel`: the path inside the field's value). */
function recordMessage(e: ErrorObject, field: FieldDef | undefined, rel: string[]): Msg {
  const p = e.params as Record<string, any>;
  const atField = rel.length === 0;
  let m: Msg;
  switch (e.keyword) {
    case 'type':
      m = typeMessage(field, String(p.type), atField);
      break;
    case 'enum':
      m = msg('不是有效选项', 'is not a valid option');
      break;
    case 'format':
      m = formatMessage(String(p.format));
      break;
    case 'pattern':
      m = atField ? patternMessage(field) : msg('格式不正确', 'has the wrong format');
      break;
    case 'minLength':
      m = p.limit === 1 ? msg('不能为空', 'must not be empty') : msg(`至少 ${p.limit} 个字符`, `must be at least ${p.limit} characters`);
      break;
    case 'maxLength':
      m = msg(`不能超过 ${p.limit} 个字符`, `must be at most ${p.limit} characters`);
      break;
    case 'minimum':
    case 'exclusiveMinimum':
      m = msg(`不能小于 ${fmtNum(p.limit)}`, `must be at least ${fmtNum(p.limit)}`);
      break;
    case 'maximum':
    case 'exclusiveMaximum':
      m = msg(`不能大于 ${fmtNum(p.limit)}`, `must be at most ${fmtNum(p.limit)}`);
      break;
    case 'multipleOf':
      m = p.multipleOf === 0.01
        ? msg('最多保留两位小数', 'must have at most 2 decimal places')
        : msg(`应为 ${p.multipleOf} 的整数倍`, `must be a multiple of ${p.multipleOf}`);
      break;
    case 'maxItems':
      m = field?.type === 'subtable' && atField
        ? msg(`最多 ${p.limit} 行`, `must have at most ${p.limit} rows`)
        : msg(`最多 ${p.limit} 项`, `must have at most ${p.limit} items`);
      break;
    case 'minItems':
      m = msg(`至少 ${p.limit} 项`, `must have at least ${p.limit} items`);
      break;
    case 'uniqueItems':
      m = msg('不能有重复项', 'must not contain duplicates');
      break;
    case 'required':
      m = msg(`缺少 ${p.missingProperty}`, `${p.missingProperty} is required`);
      break;
    case 'additionalProperties':
      m = msg(`不允许的属性 ${p.additionalProperty}`, `unknown property '${p.additionalProperty}'`);
      break;
    default:
      m = msg('值不正确', e.message ?? 'is not valid');
  }
  if (rel.length === 0) return m;
  // a part of the value: "item 2: …", "lat: …", "item 1 size: …"
  const zh = rel.map((s) => (/^\d+$/.test(s) ? `第 ${Number(s) + 1} 项` : s)).join(' ');
  const en = rel.map((s) => (/^\d+$/.test(s) ? `item ${Number(s) + 1}` : s)).join(' ');
  return msg(`${zh}：${m['zh-CN']}`, `${en}: ${m.en}`);
}

const UNKNOWN_FIELD = msg('未知字段', 'Unknown field');

/** Decimal places of a number as JSON writes it (19.99 → 2, 1e-7 → 7). */
function decimalPlaces(n: number): number {
  const m = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/i.exec(String(n));
  if (!m) return Infinity;
  return Math.max(0, (m[1]?.length ?? 0) - (m[2] ? Number(m[2]) : 0));
}

/**
 * `multipleOf` in decimal arithmetic: 19.99 is a multiple of 0.01 (binary floating point says
 * it is not, and ajv's own check, even with multipleOfPrecision, fails on large amounts).
 */
export function isDecimalMultipleOf(value: number, step: number): boolean {
  if (!Number.isFinite(value) || !(step > 0)) return false;
  const places = Math.max(decimalPlaces(value), decimalPlaces(step));
  const scale = 10 ** places;
  if (places <= 15 && Math.abs(value * scale) < Number.MAX_SAFE_INTEGER) {
    return Math.round(value * scale) % Math.round(step * scale) === 0;
  }
  const q = value / step;
  return Math.abs(q - Math.round(q)) <= 1e-9 * Math.max(1, Math.abs(q));
}

/**
 * A fresh ajv for one record schema (a shared instance would keep every compiled revision
 * alive): formats date, date-time, email (ajv-formats) and uri (ajv-formats, with non-ASCII
 * characters percent-encoded first, so https://例子.cn/路径 is a URL), and a decimal multipleOf.
 */
function recordAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv, ['date', 'date-time', 'email', 'uri']);
  const uri = ajv.formats.uri as unknown;
  if (typeof uri === 'function') {
    ajv.addFormat('uri', (s: string) => {
      try {
        return (uri as (x: string) => boolean)(s.replace(/[^\x00-\x7F]+/gu, (c) => encodeURIComponent(c)));
      } catch {
        return false; // a lone surrogate
      }
    });
  }
  ajv.removeKeyword('multipleOf');
  const multipleOf: SchemaValidateFunction = (step: number, data: number) => {
    if (isDecimalMultipleOf(data, step)) return true;
    multipleOf.errors = [{ keyword: 'multipleOf', params: { multipleOf: step }, message: `must be multiple of ${step}` }];
    return false;
  };
  ajv.addKeyword({ keyword: 'multipleOf', type: 'number', schemaType: 'number', errors: true, validate: multipleOf });
  return ajv;
}

/**
 * Compile a validator of record payloads (compiled once per call: cache it per form revision
 * and mode). The payload must already be stripped of system keys and computed fields
 * (`stripForValidation`). Returns `{}` when valid, otherwise bilingual messages by field key:
 * 'key' for a top-level field, 'subtableKey.rowIndex.fieldKey' for a row's field,
 * 'subtableKey.rowIndex' for a row itself, the unknown key itself for an unknown field, and ''
 * when the payload is not an object at all.
 */
export function compileRecordValidator(form: FormDef, mode: 'create' | 'update'): (payload: unknown) => Record<string, Msg[]> {
  // Compiled at the first record written, not at publish: installing a pack publishes dozens of
  // forms, most of which no one writes to in that process for a while.
  let compiled: ReturnType<ReturnType<typeof recordAjv>['compile']> | null = null;
  const byKey = new Map(liveFields(form).map((f) => [f.key, f]));

  return (payload: unknown) => {
    const validate = (compiled ??= recordAjv().compile(recordSchema(form, mode)));
    if (validate(payload)) return {};
    // A Map, not an object: payload keys such as 'constructor' or '__proto__' must stay data.
    const out = new Map<string, Msg[]>();
    const add = (key: string, m: Msg) => {
      const list = out.get(key) ?? [];
      if (!list.some((x) => x.en === m.en)) list.push(m);
      out.set(key, list);
    };
    const errors = (validate.errors ?? []).filter(
      (e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && (e.params as { type?: string }).type === 'null'),
    );
    for (const e of errors) {
      const segs = pointerSegments(e.instancePath);
      if (e.keyword === 'additionalProperties') segs.push(String((e.params as { additionalProperty: string }).additionalProperty));
      if (segs.length === 0) {
        add('', msg('记录应为对象', 'the record must be an object'));
        continue;
      }
      const top = byKey.get(segs[0]!);
      let key: string;
      let field: FieldDef | undefined = top;
      let rel: string[];
      if (top?.type === 'subtable' && segs.length >= 3) {
        key = segs.slice(0, 3).join('.');
        field = live(top.fields).find((f) => f.key === segs[2]);
        rel = segs.slice(3);
        if (!field && segs[2] !== 'id') {
          add(key, UNKNOWN_FIELD);
          continue;
        }
      } else if (top?.type === 'subtable' && segs.length === 2) {
        key = segs.join('.');
        add(key, e.keyword === 'type' ? msg('每一行应为对象', 'each row must be an object') : recordMessage(e, undefined, []));
        continue;
      } else {
        key = segs[0]!;
        rel = segs.slice(1);
        if (!top || (e.keyword === 'additionalProperties' && segs.length === 1)) {
          add(key, UNKNOWN_FIELD);
          continue;
        }
      }
      if (e.keyword === 'additionalProperties') rel = rel.slice(0, -1); // the message names the property
      add(key, recordMessage(e, field, rel));
    }
    return Object.fromEntries(out); // own properties, even for '__proto__'
  };
}

// ---------------------------------------------------------------------------------------------
// react-jsonschema-form
// ---------------------------------------------------------------------------------------------

/** Widget names `formJsonSchema` puts in 'ui:widget' that the UI must register (besides rjsf's own). */
export const CUSTOM_WIDGETS = ['money', 'tags', 'relation', 'user', 'department', 'attachment', 'image', 'signature'] as const;
/** Field names `formJsonSchema` puts in 'ui:field' (object values; rjsf falls back to its ObjectField when unregistered). */
export const CUSTOM_FIELDS = ['address', 'location'] as const;

const optionsOneOf = (f: FieldDef, lang: Lang) =>
  (f.options ?? []).map((o) => ({ const: o.key, title: labelText(o.label, lang) || o.key }));

const text = (l: Label | undefined, lang: Lang): string | undefined => {
  const t = labelText(l, lang);
  return t === '' ? undefined : t;
};

function fieldUi(f: FieldDef, lang: Lang, computed: boolean): Record<string, unknown> {
  const ui: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  switch (f.type) {
    case 'textarea':
      ui['ui:widget'] = 'textarea';
      break;
    case 'money':
      ui['ui:widget'] = 'money';
      options.precision = 2;
      break;
    case 'percent':
      options.unit = '%';
      break;
    case 'number':
      if (f.precision !== undefined) options.precision = f.precision;
      break;
    case 'date':
      ui['ui:widget'] = 'date';
      break;
    case 'datetime':
      ui['ui:widget'] = 'datetime';
      break;
    case 'phone':
      options.inputType = 'tel';
      break;
    case 'email':
      options.inputType = 'email';
      break;
    case 'url':
      options.inputType = 'url';
      break;
    case 'multiselect':
      ui['ui:widget'] = 'checkboxes';
      break;
    case 'tags':
      ui['ui:widget'] = 'tags';
      options.allowNew = f.allowNewOptions !== false;
      options.options = (f.options ?? []).map((o) => ({ key: o.key, label: labelText(o.label, lang), ...(o.color ? { color: o.color } : {}) }));
      break;
    case 'relation':
      ui['ui:widget'] = 'relation';
      options.form = f.relation?.form;
      if (f.relation?.displayField) options.displayField = f.relation.displayField;
      break;
    case 'user':
    case 'department':
    case 'attachment':
    case 'image':
      ui['ui:widget'] = f.type;
      options.multiple = f.multiple === true;
      break;
    case 'signature':
      ui['ui:widget'] = 'signature';
      break;
    case 'address':
    case 'location':
      ui['ui:field'] = f.type;
      break;
    default:
  }
  if (f.ui?.widget) ui['ui:widget'] = f.ui.widget;
  if (f.ui?.hidden) ui['ui:widget'] = 'hidden';
  const placeholder = text(f.ui?.placeholder as Label | undefined, lang);
  if (placeholder) ui['ui:placeholder'] = placeholder;
  if (f.ui?.span !== undefined) options.span = f.ui.span;
  if (f.ui?.section !== undefined) options.section = f.ui.section;
  if (computed) ui['ui:readonly'] = true;
  if (Object.keys(options).length) ui['ui:options'] = options;
  return ui;
}

function fieldSchema(f: FieldDef, lang: Lang): { schema: JsonSchema; ui: Record<string, unknown> } {
  const computed = isComputed(f);
  let schema: JsonSchema;
  let ui = fieldUi(f, lang, computed);
  switch (f.type) {
    case 'select':
      schema = { type: 'string', oneOf: optionsOneOf(f, lang) };
      break;
    case 'multiselect':
      schema = { type: 'array', uniqueItems: true, items: { type: 'string', oneOf: optionsOneOf(f, lang) } };
      break;
    case 'tags':
      schema = {
        type: 'array', uniqueItems: true, maxItems: 100,
        items: f.allowNewOptions === false ? { type: 'string', oneOf: optionsOneOf(f, lang) } : { type: 'string', minLength: 1, maxLength: 64 },
      };
      break;
    case 'subtable': {
      const rows = live(f.fields).map((sf) => ({ sf, ...fieldSchema(sf, lang) }));
      const itemsUi: Record<string, unknown> = { 'ui:order': rows.map((r) => r.sf.key) };
      for (const r of rows) if (Object.keys(r.ui).length) itemsUi[r.sf.key] = r.ui;
      const required = rows.filter((r) => r.sf.required === true && !isComputed(r.sf) && !r.sf.ui?.hidden).map((r) => r.sf.key);
      schema = {
        type: 'array',
        maxItems: SUBTABLE_MAX_ROWS,
        items: {
          type: 'object',
          properties: Object.fromEntries(rows.map((r) => [r.sf.key, r.schema])),
          ...(required.length ? { required } : {}),
        },
      };
      ui = { ...ui, items: itemsUi };
      break;
    }
    case 'money': {
      // multipleOf 0.01 fails on binary floating point (19.99) in a stock ajv: the money
      // widget keeps two places and the server checks them (compileRecordValidator).
      const { multipleOf: _ignored, ...rest } = FIELD_TYPE_SPECS.money.valueSchema(f);
      schema = rest;
      break;
    }
    default:
      schema = { ...FIELD_TYPE_SPECS[f.type].valueSchema(f) };
  }
  const title = text(f.label, lang);
  const description = text(f.help, lang);
  const out: JsonSchema = { ...(title ? { title } : {}), ...(description ? { description } : {}), ...schema };
  if (computed) out.readOnly = true;
  const literalDefault =
    f.default !== undefined && f.default !== null && !(typeof f.default === 'object' && !Array.isArray(f.default) && '$rule' in f.default);
  if (literalDefault && !computed) out.default = f.default;
  return { schema: out, ui };
}

/**
 * A JSON Schema (draft-07) and uiSchema of a form for react-jsonschema-form, in one language.
 *
 * Titles come from labels and descriptions from help; selects are `oneOf: [{const, title}]`;
 * multiselect and tags are arrays with `uniqueItems` ('checkboxes' / 'tags' widgets); computed
 * fields are `readOnly` with 'ui:readonly'; subtables are arrays of objects; `required` lists
 * the statically required, non-computed, not hidden fields (rules.required is dynamic: the runtime applies
 * it); 'ui:order' follows the form; `ui.span`/`ui.section` go into 'ui:options'. Soft-deleted
 * fields are left out. Non-standard widget names are listed in CUSTOM_WIDGETS / CUSTOM_FIELDS.
 * Values are not nullable: the UI should drop `null`s from formData (empty is `undefined`).
 */
export function formJsonSchema(form: FormDef, lang: 'zh-CN' | 'en'): { schema: JsonSchema; uiSchema: Record<string, unknown> } {
  const fields = liveFields(form);
  const properties: Record<string, JsonSchema> = {};
  const uiSchema: Record<string, unknown> = { 'ui:order': fields.map((f) => f.key) };
  for (const f of fields) {
    const { schema, ui } = fieldSchema(f, lang);
    properties[f.key] = schema;
    if (Object.keys(ui).length) uiSchema[f.key] = ui;
  }
  const required = fields.filter((f) => f.required === true && !isComputed(f) && !f.ui?.hidden).map((f) => f.key);
  const title = text(form.label, lang);
  const description = text(form.description, lang);
  const schema: JsonSchema = {
    type: 'object',
    ...(title ? { title } : {}),
    ...(description ? { description } : {}),
    properties,
    ...(required.length ? { required } : {}),
  };
  return { schema, uiSchema };
}
