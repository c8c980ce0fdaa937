/**
 * Metaschemas (JSON Schema draft-07, checked by ajv) for the documents admins write, plus the
 * semantic checks a schema cannot express (duplicate keys, unknown field references, formula
 * cycles…). Every problem is reported by JSON Pointer into the document ('/fields/3/type') with
 * a bilingual message, through `validationError` (errors.ts).
 *
 * Isomorphic: no Node or database imports (ajv and ajv-formats run in the browser too).
 */
import { Ajv, type ErrorObject, type Options as AjvOptions, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import { FIELD_TYPES, KEY_PATTERN, type FieldDef, type FormDef, type MetaKind } from './types.js';
import { columnKind } from './field-types.js';
import { FILE_MAX_SIZE_CAP, unknownAcceptEntries } from './file-limits.js';
import { formulaOrder, FormulaCycleError, ruleVars } from '../rules/deps.js';
import { msg, validationError, type Msg } from '../errors.js';
// A cycle (workflow-schema.ts builds on this file): workflow-schema.ts touches nothing of this
// module at its top level, so either may load first.
import { defaultWorkflowRegistry, validateWorkflowDef } from './workflow-schema.js';
import { validateDashboardDef, validateReportDef } from './report-schema.js';
import { PRINT_TEMPLATE_MAX_LENGTH, PRINT_TEMPLATES_MAX, printTemplateProblem } from './print-template.js';

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Deepest nesting of any document (objects and arrays). */
export const DOCUMENT_MAX_DEPTH = 64;
/** Most values (objects, arrays, scalars) in one document. */
export const DOCUMENT_MAX_NODES = 200_000;
/** Deepest nesting of one json-logic expression (or other free-form JSON value). */
export const JSON_LOGIC_MAX_DEPTH = 32;
/** Most values in one json-logic expression. */
export const JSON_LOGIC_MAX_NODES = 5_000;
/** Object keys refused anywhere in a document (prototype pollution). */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/**
 * An autonumber pattern: literal characters [A-Za-z0-9_-/], date tokens {YYYY} {YY} {MM} {DD},
 * and exactly one counter token {#…} of 1 to 12 '#'.
 */
export const AUTONUMBER_PATTERN =
  '^(?:[A-Za-z0-9_/-]|\\{(?:YYYY|YY|MM|DD)\\})*\\{#{1,12}\\}(?:[A-Za-z0-9_/-]|\\{(?:YYYY|YY|MM|DD)\\})*$';

// ---------------------------------------------------------------------------------------------
// Schema building blocks
// ---------------------------------------------------------------------------------------------

type Schema = Record<string, unknown>;

/**
 * `x-messages` is our annotation keyword: `{ keyword: Msg }` replaces the generic translation of
 * that keyword's error on this schema (a tiny ajv-errors).
 */
const KEY_MSG = msg(
  '须以小写字母开头，只能包含小写字母、数字和下划线，最多 48 个字符',
  'must start with a lowercase letter and contain only lowercase letters, digits and underscores (at most 48 characters)',
);

const KEY: Schema = { type: 'string', pattern: KEY_PATTERN, 'x-messages': { pattern: KEY_MSG } };

const labelOf = (max: number): Schema => ({
  anyOf: [
    { type: 'string', minLength: 1, maxLength: max },
    {
      type: 'object',
      minProperties: 1,
      additionalProperties: false,
      properties: {
        'zh-CN': { type: 'string', minLength: 1, maxLength: max },
        en: { type: 'string', minLength: 1, maxLength: max },
      },
      'x-messages': {
        minProperties: msg("至少填写 'zh-CN' 或 'en' 中的一种", "needs 'zh-CN' and/or 'en'"),
      },
    },
  ],
  'x-messages': {
    anyOf: msg("应为文本，或包含 'zh-CN' / 'en' 的对象", "must be a string or an object with 'zh-CN' and/or 'en'"),
  },
});

/** A name people read: 1–200 characters, or a zh-CN/en pair. */
export const LABEL_SCHEMA: Schema = labelOf(200);
/** Longer text people read (help, descriptions, messages): same shape, up to 2000 characters. */
export const TEXT_SCHEMA: Schema = labelOf(2000);

/** Any JSON value (json-logic, `default`, `layout`…), bounded in depth and size. */
const JSON_VALUE: Schema = { jsonLimits: { depth: JSON_LOGIC_MAX_DEPTH, nodes: JSON_LOGIC_MAX_NODES } };
const LOGIC = JSON_VALUE;
/** Building blocks for the metaschemas of the other kinds (workflow-schema.ts). */
export { KEY as KEY_SCHEMA, LOGIC as LOGIC_SCHEMA };
const BOOL: Schema = { type: 'boolean' };
const NUM: Schema = { type: 'number' };
const COUNT: Schema = { type: 'integer', minimum: 0 };

const FIELD_ID: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  'x-messages': { pattern: msg('只能包含字母、数字、_ 和 -，最多 64 个字符', 'must be 1–64 letters, digits, _ or -') },
};
const COLUMN: Schema = {
  type: 'string',
  pattern: '^[a-z][a-z0-9_]{0,62}$',
  'x-messages': { pattern: msg('列名只能包含小写字母、数字和下划线', 'a column name is lowercase letters, digits and underscores') },
};

const OPTION: Schema = {
  type: 'object',
  required: ['key', 'label'],
  additionalProperties: false,
  properties: { key: KEY, label: LABEL_SCHEMA, color: { type: 'string', maxLength: 32 } },
};

const VALIDATION_RULE: Schema = {
  type: 'object',
  required: ['rule', 'message'],
  additionalProperties: false,
  properties: {
    rule: LOGIC,
    message: TEXT_SCHEMA,
    fields: { type: 'array', maxItems: 50, items: KEY },
  },
};
const VALIDATION_RULES: Schema = { type: 'array', maxItems: 200, items: VALIDATION_RULE };

const AUTONUMBER: Schema = {
  type: 'object',
  required: ['pattern'],
  additionalProperties: false,
  properties: {
    pattern: {
      type: 'string',
      maxLength: 64,
      pattern: AUTONUMBER_PATTERN,
      'x-messages': {
        pattern: msg(
          '编号格式只能包含 {YYYY} {YY} {MM} {DD}、恰好一个 {#…}（1–12 个 #）以及字母、数字、_、-、/',
          'may contain only {YYYY} {YY} {MM} {DD}, exactly one counter {#…} (1–12 #) and letters, digits, _ - /',
        ),
      },
    },
    reset: { enum: ['never', 'year', 'month', 'day'] },
  },
};

const ROLLUP: Schema = {
  type: 'object',
  required: ['form', 'via', 'op'],
  additionalProperties: false,
  properties: {
    form: KEY,
    via: KEY,
    op: { enum: ['sum', 'count', 'min', 'max', 'avg'] },
    field: KEY,
    filter: LOGIC,
  },
  allOf: [{ if: { required: ['op'], properties: { op: { not: { const: 'count' } } } }, then: { required: ['field'] } }],
};

const RULES: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { visible: LOGIC, required: LOGIC, readOnly: LOGIC },
};

const UI: Schema = {
  type: 'object',
  properties: {
    widget: { type: 'string', maxLength: 64 },
    placeholder: LABEL_SCHEMA,
    span: { type: 'integer', minimum: 1, maximum: 24 },
    section: { type: 'string', maxLength: 200 },
    hidden: BOOL,
  },
  jsonLimits: { depth: JSON_LOGIC_MAX_DEPTH, nodes: JSON_LOGIC_MAX_NODES },
};

const ROW_EXCLUDED_TYPES = ['subtable', 'autonumber'];

/** `prop` may appear only on fields of these types. */
const onlyFor = (types: readonly string[], prop: string): Schema => ({
  if: { required: ['type'], properties: { type: { not: { enum: types } } } },
  then: { properties: { [prop]: false } },
});
/** Fields of these types must have `prop` (with `extra` constraints on it). */
const requiredFor = (types: readonly string[], prop: string, extra?: Schema): Schema => ({
  if: { required: ['type'], properties: { type: { enum: types } } },
  then: { required: [prop], ...(extra ? { properties: { [prop]: extra } } : {}) },
});

function fieldSchema(row: boolean): Schema {
  return {
    type: 'object',
    required: ['key', 'type', 'label'],
    additionalProperties: false,
    properties: {
      id: FIELD_ID,
      column: COLUMN,
      key: KEY,
      type: row
        ? {
            allOf: [
              { enum: [...FIELD_TYPES] },
              {
                not: { enum: ROW_EXCLUDED_TYPES },
                'x-messages': {
                  not: msg('子表的字段不能是子表或自动编号', 'a subtable row cannot hold a subtable or an autonumber'),
                },
              },
            ],
          }
        : { enum: [...FIELD_TYPES] },
      label: LABEL_SCHEMA,
      help: TEXT_SCHEMA,
      required: BOOL,
      default: JSON_VALUE,
      unique: BOOL,
      indexed: BOOL,
      sensitive: BOOL,
      options: { type: 'array', maxItems: 1000, items: OPTION },
      allowNewOptions: BOOL,
      relation: {
        type: 'object',
        required: ['form'],
        additionalProperties: false,
        properties: { form: KEY, displayField: KEY },
      },
      fields: row
        ? false
        : {
            type: 'array',
            minItems: 1,
            maxItems: 200,
            items: { $ref: '#/definitions/rowField' },
            'x-messages': { minItems: msg('子表至少需要一个字段', 'a subtable needs at least one field') },
          },
      autonumber: AUTONUMBER,
      formula: LOGIC,
      stored: BOOL,
      rollup: row ? false : ROLLUP,
      rules: RULES,
      validate: VALIDATION_RULES,
      min: NUM,
      max: NUM,
      minLength: COUNT,
      maxLength: COUNT,
      pattern: { type: 'string', minLength: 1, maxLength: 1000 },
      patternMessage: TEXT_SCHEMA,
      precision: { type: 'integer', minimum: 0, maximum: 10 },
      multiple: BOOL,
      maxSize: { type: 'integer', minimum: 1, maximum: FILE_MAX_SIZE_CAP },
      accept: {
        type: 'array', minItems: 1, maxItems: 50, uniqueItems: true,
        items: { type: 'string', maxLength: 127, pattern: '^[a-z]+/([a-z0-9][a-z0-9.+-]*|\\*)$' },
      },
      deleted: BOOL,
      purge: BOOL,
      ui: UI,
    },
    allOf: [
      onlyFor(['select', 'multiselect', 'tags'], 'options'),
      requiredFor(['select', 'multiselect'], 'options', {
        minItems: 1,
        'x-messages': { minItems: msg('至少需要一个选项', 'needs at least one option') },
      }),
      onlyFor(['tags'], 'allowNewOptions'),
      onlyFor(['relation'], 'relation'),
      requiredFor(['relation'], 'relation'),
      onlyFor(['subtable'], 'fields'),
      requiredFor(['subtable'], 'fields'),
      onlyFor(['autonumber'], 'autonumber'),
      requiredFor(['autonumber'], 'autonumber'),
      onlyFor(['user', 'department', 'attachment', 'image'], 'multiple'),
      onlyFor(['attachment', 'image'], 'maxSize'),
      onlyFor(['attachment', 'image'], 'accept'),
      onlyFor(['number', 'percent'], 'precision'),
      onlyFor(['number', 'money', 'percent', 'date', 'datetime'], 'rollup'),
    ],
  };
}

/** The metaschema of a FieldDef (a top-level field). */
export const FIELD_DEF_SCHEMA: Schema = fieldSchema(false);
/** The metaschema of a subtable's row field (no subtable, autonumber or rollup). */
export const ROW_FIELD_DEF_SCHEMA: Schema = fieldSchema(true);

/** A print template (PrintTemplateDef); its handlebars is checked by `printTemplateProblem`. */
const PRINT_TEMPLATE: Schema = {
  type: 'object',
  required: ['key', 'label', 'template'],
  additionalProperties: false,
  properties: {
    key: KEY,
    label: LABEL_SCHEMA,
    template: { type: 'string', minLength: 1, maxLength: PRINT_TEMPLATE_MAX_LENGTH },
    paper: { enum: ['A4', 'A5'] },
    orientation: { enum: ['portrait', 'landscape'] },
  },
};

/** The metaschema of a FormDef (draft-07). */
export const FORM_DEF_SCHEMA: Schema = {
  $id: 'https://formwork.dev/schemas/form.json',
  type: 'object',
  required: ['key', 'label', 'fields'],
  additionalProperties: false,
  definitions: { field: FIELD_DEF_SCHEMA, rowField: ROW_FIELD_DEF_SCHEMA },
  properties: {
    key: KEY,
    label: LABEL_SCHEMA,
    module: { type: 'string', minLength: 1, maxLength: 64 },
    description: TEXT_SCHEMA,
    icon: { type: 'string', maxLength: 256 },
    fields: { type: 'array', maxItems: 500, items: { $ref: '#/definitions/field' } },
    validate: VALIDATION_RULES,
    titleField: KEY,
    layout: JSON_VALUE,
    ext: { type: 'object', jsonLimits: { depth: JSON_LOGIC_MAX_DEPTH, nodes: 50_000 } },
    prints: { type: 'array', maxItems: PRINT_TEMPLATES_MAX, items: PRINT_TEMPLATE },
  },
};

/**
 * The minimal metaschema of the other kinds (workflows, reports, dashboards, roles) until their
 * own issues tighten them: a key, a label, an optional module; other properties allowed.
 */
export const MINIMAL_DOCUMENT_SCHEMA: Schema = {
  type: 'object',
  required: ['key', 'label'],
  properties: { key: KEY, label: LABEL_SCHEMA, module: { type: 'string', minLength: 1, maxLength: 64 } },
};

/**
 * RoleDef (engine/src/auth/role-def.ts): per form, the actions, the rows (all, own, department,
 * or a json-logic rule) and the field sets (hidden, read-only, masked) of a role.
 */
const ACTIONS = ['create', 'read', 'update', 'delete', 'export', 'import'];
const KEY_LIST: Schema = { type: 'array', items: KEY, uniqueItems: true, maxItems: 500 };
export const ROLE_DEF_SCHEMA: Schema = {
  type: 'object',
  required: ['key', 'label', 'permissions'],
  additionalProperties: false,
  properties: {
    key: KEY,
    label: LABEL_SCHEMA,
    description: TEXT_SCHEMA,
    module: { type: 'string', maxLength: 64 },
    admin: BOOL,
    manageMetadata: BOOL,
    permissions: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['form', 'actions'],
        additionalProperties: false,
        properties: {
          form: { anyOf: [KEY, { const: '*' }] },
          actions: { type: 'array', items: { enum: ACTIONS }, uniqueItems: true, minItems: 1 },
          rows: {
            anyOf: [
              { enum: ['all', 'own', 'department'] },
              { type: 'object', required: ['rule'], additionalProperties: false, properties: { rule: LOGIC } },
            ],
          },
          fields: {
            type: 'object',
            additionalProperties: false,
            properties: { hidden: KEY_LIST, readOnly: KEY_LIST, masked: KEY_LIST },
          },
        },
      },
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Ajv (compiled once)
// ---------------------------------------------------------------------------------------------

interface JsonLimits {
  depth: number;
  nodes: number;
}

/** Depth and node count of a JSON value, stopping as soon as a limit is passed. */
function exceedsLimits(value: unknown, limits: JsonLimits): 'depth' | 'nodes' | null {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > limits.nodes) return 'nodes';
    if (v !== null && typeof v === 'object') {
      if (depth > limits.depth) return 'depth';
      for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
    }
  }
  return null;
}

/**
 * An ajv with our keywords (`x-messages`, `jsonLimits`), set up so `schemaErrors` can translate
 * its errors (allErrors, verbose). `options` adds to (or overrides) those settings.
 */
export function createMetaAjv(options: AjvOptions = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, messages: true, ...options });
  ajv.addKeyword({ keyword: 'x-messages', schemaType: 'object' });
  const jsonLimits: SchemaValidateFunction = (schema: JsonLimits, data: unknown) => {
    const over = exceedsLimits(data, schema);
    if (!over) return true;
    jsonLimits.errors = [{ keyword: 'jsonLimits', params: { limit: over, ...schema }, message: `exceeds ${over} limit` }];
    return false;
  };
  ajv.addKeyword({ keyword: 'jsonLimits', schemaType: 'object', errors: true, validate: jsonLimits });
  return ajv;
}

const metaAjv = createMetaAjv();
const validateFormSchema: ValidateFunction = metaAjv.compile(FORM_DEF_SCHEMA);
const validateMinimalSchema: ValidateFunction = metaAjv.compile(MINIMAL_DOCUMENT_SCHEMA);
const validateRoleSchema: ValidateFunction = metaAjv.compile(ROLE_DEF_SCHEMA);

// ---------------------------------------------------------------------------------------------
// Errors → JSON Pointer → messages
// ---------------------------------------------------------------------------------------------

/** Messages by JSON Pointer. */
export type FieldErrors = Record<string, Msg[]>;

/** Add a message at a JSON Pointer (once). */
export function addError(out: FieldErrors, path: string, m: Msg): void {
  const list = Object.prototype.hasOwnProperty.call(out, path) ? out[path]! : [];
  if (!list.some((x) => x.en === m.en && x['zh-CN'] === m['zh-CN'])) list.push(m);
  // defineProperty: a path is data even if it were '__proto__'
  Object.defineProperty(out, path, { value: list, enumerable: true, writable: true, configurable: true });
}

/** Escape one JSON Pointer segment. */
export function pointerSegment(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolvePointer(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const seg of pointerSegments(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

const TYPE_NAMES: Record<string, Msg> = {
  string: msg('文本', 'a string'),
  number: msg('数字', 'a number'),
  integer: msg('整数', 'an integer'),
  boolean: msg('布尔值（true/false）', 'a boolean (true/false)'),
  object: msg('对象', 'an object'),
  array: msg('数组', 'an array'),
  null: msg('null', 'null'),
};

function typeName(t: unknown): Msg {
  const list = Array.isArray(t) ? t : String(t).split(',');
  const names = list.map((x) => TYPE_NAMES[String(x)] ?? msg(String(x), String(x)));
  return msg(names.map((n) => n['zh-CN']).join('或'), names.map((n) => n.en).join(' or '));
}

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '…' : s;
};

function listValues(values: unknown[]): string {
  const shown = values.slice(0, 30).map((v) => String(v));
  return shown.join(', ') + (values.length > 30 ? ', …' : '');
}

/** Translate one (non-anyOf) ajv error of a metaschema into a path and a message. */
function translateMetaError(e: ErrorObject, doc: unknown): { path: string; m: Msg } {
  const custom = (e.parentSchema as Schema | undefined)?.['x-messages'] as Record<string, Msg> | undefined;
  const p = e.params as Record<string, any>;
  let path = e.instancePath;
  if (e.keyword === 'required') path += '/' + pointerSegment(p.missingProperty);
  if (e.keyword === 'additionalProperties') path += '/' + pointerSegment(p.additionalProperty);
  if (custom?.[e.keyword]) return { path, m: custom[e.keyword]! };
  let m: Msg;
  switch (e.keyword) {
    case 'required':
      m = msg(`缺少必填属性 '${p.missingProperty}'`, `'${p.missingProperty}' is required`);
      break;
    case 'additionalProperties':
      m = msg(`不允许的属性 '${p.additionalProperty}'`, `unknown property '${p.additionalProperty}'`);
      break;
    case 'type': {
      const t = typeName(p.type);
      m = msg(`应为${t['zh-CN']}`, `must be ${t.en}`);
      break;
    }
    case 'enum': {
      const allowed = listValues(p.allowedValues ?? []);
      m = msg(`${show(e.data)} 不是允许的值（可选：${allowed}）`, `${show(e.data)} is not one of: ${allowed}`);
      break;
    }
    case 'const':
      m = msg(`应为 ${show(p.allowedValue)}`, `must be ${show(p.allowedValue)}`);
      break;
    case 'pattern':
      m = msg(`格式不正确（应匹配 ${p.pattern}）`, `must match the pattern ${p.pattern}`);
      break;
    case 'minLength':
      m = p.limit === 1 ? msg('不能为空', 'must not be empty') : msg(`至少 ${p.limit} 个字符`, `must be at least ${p.limit} characters`);
      break;
    case 'maxLength':
      m = msg(`不能超过 ${p.limit} 个字符`, `must be at most ${p.limit} characters`);
      break;
    case 'minItems':
      m = msg(`至少需要 ${p.limit} 项`, `must have at least ${p.limit} item(s)`);
      break;
    case 'maxItems':
      m = msg(`不能超过 ${p.limit} 项`, `must have at most ${p.limit} items`);
      break;
    case 'minProperties':
      m = msg(`至少需要 ${p.limit} 个属性`, `must have at least ${p.limit} properties`);
      break;
    case 'minimum':
      m = msg(`不能小于 ${p.limit}`, `must be at least ${p.limit}`);
      break;
    case 'maximum':
      m = msg(`不能大于 ${p.limit}`, `must be at most ${p.limit}`);
      break;
    case 'uniqueItems':
      m = msg('不能有重复项', 'must not contain duplicates');
      break;
    case 'false schema': {
      const segs = pointerSegments(e.instancePath);
      const prop = segs[segs.length - 1] ?? '';
      const owner = resolvePointer(doc, e.instancePath.slice(0, e.instancePath.lastIndexOf('/')));
      const type = owner && typeof owner === 'object' ? (owner as Record<string, unknown>).type : undefined;
      m = typeof type === 'string'
        ? msg(`'${prop}' 不适用于 ${type} 类型的字段`, `'${prop}' is not allowed on a ${type} field`)
        : msg(`此处不允许 '${prop}'`, `'${prop}' is not allowed here`);
      if (/^\/fields\/\d+\/fields\/\d+\/(fields|rollup)$/.test(e.instancePath)) {
        m = msg(`子表的字段不能有 '${prop}'`, `a subtable row field cannot have '${prop}'`);
      }
      break;
    }
    case 'jsonLimits':
      m = p.limit === 'depth'
        ? msg(`嵌套太深（最多 ${p.depth} 层）`, `is nested too deeply (at most ${p.depth} levels)`)
        : msg(`内容太大（最多 ${p.nodes} 个值）`, `is too large (at most ${p.nodes} values)`);
      break;
    case 'anyOf':
    case 'oneOf':
      m = msg('不符合任何允许的形式', 'does not match any allowed form');
      break;
    case 'not':
      m = msg('此值不允许', 'this value is not allowed');
      break;
    case 'format':
      m = msg(`格式不正确（${p.format}）`, `must be a valid ${p.format}`);
      break;
    default:
      m = msg(`不正确：${e.message ?? e.keyword}`, e.message ?? `failed '${e.keyword}'`);
  }
  return { path, m };
}

const isUnder = (path: string, base: string) => path === base || path.startsWith(base + '/');

/**
 * Collapse anyOf/oneOf branches: of the branches whose type matches the value, keep the errors
 * of the one with fewest errors; when no branch's type matches, keep one error for the anyOf.
 */
function collapseAlternatives(errors: ErrorObject[]): ErrorObject[] {
  let list = errors.filter((e) => e.keyword !== 'if');
  const done = new Set<ErrorObject>();
  for (;;) {
    const alt = list.find((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && !done.has(e));
    if (!alt) break;
    done.add(alt);
    const prefix = alt.schemaPath + '/';
    const inBranch = (e: ErrorObject) => e !== alt && e.schemaPath.startsWith(prefix) && isUnder(e.instancePath, alt.instancePath);
    const branches = new Map<string, ErrorObject[]>();
    for (const e of list) {
      if (!inBranch(e)) continue;
      const b = e.schemaPath.slice(prefix.length).split('/')[0]!;
      if (!branches.has(b)) branches.set(b, []);
      branches.get(b)!.push(e);
    }
    if (alt.keyword === 'oneOf' && (alt.params as any).passingSchemas) continue; // more than one matched
    const typeMatches = [...branches.values()].filter(
      (errs) => !errs.some((e) => e.keyword === 'type' && e.instancePath === alt.instancePath),
    );
    const chosen = typeMatches.sort((x, y) => x.length - y.length)[0];
    list = list.filter((e) => !inBranch(e) || (chosen?.includes(e) ?? false));
    if (chosen) list = list.filter((e) => e !== alt);
  }
  return list;
}

/** Translate the errors of an ajv from `createMetaAjv` into bilingual messages by JSON Pointer into `doc`. */
export function schemaErrors(errors: ErrorObject[] | null | undefined, doc: unknown): FieldErrors {
  const out: FieldErrors = {};
  for (const e of collapseAlternatives(errors ?? [])) {
    const { path, m } = translateMetaError(e, doc);
    addError(out, path, m);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The structural pre-check: forbidden keys, depth, size
// ---------------------------------------------------------------------------------------------

/**
 * Walk the whole document (iteratively): refuse `__proto__`, `constructor` and `prototype` as
 * object keys anywhere, nesting deeper than DOCUMENT_MAX_DEPTH and more than DOCUMENT_MAX_NODES
 * values. Returns errors by JSON Pointer (empty when the document is sound).
 */
export function structuralErrors(doc: unknown): FieldErrors {
  const out: FieldErrors = {};
  const stack: Array<[unknown, string, number]> = [[doc, '', 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (++nodes > DOCUMENT_MAX_NODES) {
      addError(out, '', msg(`文档太大（最多 ${DOCUMENT_MAX_NODES} 个值）`, `the document is too large (at most ${DOCUMENT_MAX_NODES} values)`));
      break;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= DOCUMENT_MAX_DEPTH) {
      addError(out, path, msg(`嵌套太深（最多 ${DOCUMENT_MAX_DEPTH} 层）`, `is nested too deeply (at most ${DOCUMENT_MAX_DEPTH} levels)`));
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((child, i) => stack.push([child, `${path}/${i}`, depth + 1]));
      continue;
    }
    for (const key of Object.keys(v)) {
      const childPath = `${path}/${pointerSegment(key)}`;
      if ((FORBIDDEN_KEYS as readonly string[]).includes(key)) {
        addError(out, childPath, msg(`不允许使用 '${key}' 作为属性名`, `'${key}' is not allowed as a property name`));
        continue;
      }
      stack.push([(v as Record<string, unknown>)[key], childPath, depth + 1]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Semantic checks (after the schema passed)
// ---------------------------------------------------------------------------------------------

/** Variables every rule may read besides field keys. */
export const RULE_GLOBAL_VARS = ['id', '$user', '$parent'] as const;
/** Field keys the engine keeps for itself. */
export const RESERVED_FIELD_KEYS = ['id'] as const;

/** json-logic operations whose second argument runs once per element of the first. */
const ARRAY_OPS = new Set(['map', 'filter', 'all', 'some', 'none', 'reduce']);

/**
 * Report every variable an expression reads that `scope` does not hold. Like `ruleVars`, but
 * aware of the array operations: inside `map`/`filter`/`all`/`some`/`none` over a subtable the
 * row's keys are in scope; inside `reduce`, `current` and `accumulator`; inside those over
 * anything else the element's shape is unknown and is not checked.
 */
function unknownVars(
  expr: unknown,
  scope: Set<string>,
  rowScopes: Map<string, Set<string>>,
  out: Set<string>,
): void {
  if (Array.isArray(expr)) {
    for (const e of expr) unknownVars(e, scope, rowScopes, out);
    return;
  }
  if (expr === null || typeof expr !== 'object') return;
  for (const [op, arg] of Object.entries(expr as Record<string, unknown>)) {
    if (op === 'var') {
      for (const name of ruleVars({ var: arg })) if (!scope.has(name)) out.add(name);
      // a non-literal var argument (or a default value) is itself an expression
      if (Array.isArray(arg)) unknownVars(arg.slice(1), scope, rowScopes, out);
      else if (arg !== null && typeof arg === 'object') unknownVars(arg, scope, rowScopes, out);
    } else if (op === 'missing' || op === 'missing_some') {
      const names = op === 'missing' ? arg : Array.isArray(arg) ? arg[1] : undefined;
      for (const n of Array.isArray(names) ? names : [names]) {
        if (typeof n === 'string' && n !== '') {
          const first = n.split('.')[0]!;
          if (!scope.has(first)) out.add(first);
        } else unknownVars(n, scope, rowScopes, out);
      }
    } else if (ARRAY_OPS.has(op) && Array.isArray(arg)) {
      const [source, body, ...rest] = arg;
      unknownVars(source, scope, rowScopes, out);
      unknownVars(rest, scope, rowScopes, out);
      let inner: Set<string> | undefined;
      if (op === 'reduce') inner = new Set(['current', 'accumulator']);
      else if (source && typeof source === 'object' && !Array.isArray(source) && 'var' in source) {
        const src = (source as { var: unknown }).var;
        const name = Array.isArray(src) ? src[0] : src;
        if (typeof name === 'string') inner = rowScopes.get(name);
      }
      if (inner) unknownVars(body, new Set([...inner, ...RULE_GLOBAL_VARS]), rowScopes, out);
    } else {
      unknownVars(arg, scope, rowScopes, out);
    }
  }
}

/** The date tokens a counter reset needs in the pattern, or numbers repeat (one of each group). */
const RESET_NEEDS: Record<string, { groups: string[][]; zh: string; en: string; every: Msg }> = {
  year: { groups: [['{YYYY}', '{YY}']], zh: '{YYYY} 或 {YY}', en: '{YYYY} or {YY}', every: msg('年', 'year') },
  month: { groups: [['{YYYY}', '{YY}'], ['{MM}']], zh: '年份（{YYYY} 或 {YY}）和 {MM}', en: 'a year ({YYYY} or {YY}) and {MM}', every: msg('月', 'month') },
  day: {
    groups: [['{YYYY}', '{YY}'], ['{MM}'], ['{DD}']],
    zh: '年份（{YYYY} 或 {YY}）、{MM} 和 {DD}', en: 'a year ({YYYY} or {YY}), {MM} and {DD}', every: msg('日', 'day'),
  },
};

function semanticErrors(form: FormDef): FieldErrors {
  const out: FieldErrors = {};
  const add = (path: string, zh: string, en: string) => addError(out, path, msg(zh, en));

  // Duplicate ids anywhere in the document (ids are global to a form).
  const idAt = new Map<string, string>();
  form.fields.forEach((f, i) => {
    const check = (field: FieldDef, path: string) => {
      if (field.id === undefined) return;
      const first = idAt.get(field.id);
      if (first) add(`${path}/id`, `字段 id '${field.id}' 重复（与 ${first} 相同）`, `duplicate field id '${field.id}' (also at ${first})`);
      else idAt.set(field.id, path);
    };
    check(f, `/fields/${i}`);
    (f.fields ?? []).forEach((sf, j) => check(sf, `/fields/${i}/fields/${j}`));
  });

  // Child tables are named form__column: a double underscore would make names collide.
  if (form.key.includes('__')) add('/key', "表单键不能包含 '__'", "a form key may not contain '__'");
  form.fields.forEach((f, i) => {
    if (f.type === 'subtable' && f.key.includes('__')) add(`/fields/${i}/key`, "子表字段键不能包含 '__'", "a subtable's key may not contain '__'");
    if (f.purge && !f.deleted) add(`/fields/${i}/purge`, '只有已删除的字段可以清除', 'only a deleted field can be purged');
    if (f.sensitive) {
      if (!['text', 'textarea', 'phone', 'email'].includes(f.type) || f.formula !== undefined) {
        add(`/fields/${i}/sensitive`, '只有文本、多行文本、电话和邮箱字段可以设为敏感', 'only text, textarea, phone and email fields can be sensitive');
      }
      if (f.unique || f.indexed) add(`/fields/${i}/sensitive`, '敏感字段是加密存储的，不能设为唯一或索引', 'sensitive fields are encrypted: they cannot be unique or indexed');
    }
  });

  const topLive = form.fields.map((f, i) => ({ f, i })).filter(({ f }) => !f.deleted);
  const topKeys = new Set(topLive.map(({ f }) => f.key));
  const rowScopes = new Map<string, Set<string>>();
  for (const { f } of topLive) {
    if (f.type === 'subtable') rowScopes.set(f.key, new Set((f.fields ?? []).filter((sf) => !sf.deleted).map((sf) => sf.key)));
  }

  /** Checks for one list of sibling fields (the form's, or a subtable's row). */
  const checkFields = (fields: FieldDef[], base: string, scope: Set<string>, inRow: boolean) => {
    const keyAt = new Map<string, string>();
    fields.forEach((f, i) => {
      const p = `${base}/${i}`;
      if (f.deleted) return;
      const seen = keyAt.get(f.key);
      if (seen) add(`${p}/key`, `字段键 '${f.key}' 重复（与 ${seen} 相同）`, `duplicate field key '${f.key}' (also at ${seen})`);
      else keyAt.set(f.key, p);
      if ((RESERVED_FIELD_KEYS as readonly string[]).includes(f.key)) {
        add(`${p}/key`, `'${f.key}' 是系统保留的键`, `'${f.key}' is reserved by the system`);
      }

      // options
      const optAt = new Map<string, number>();
      (f.options ?? []).forEach((o, j) => {
        if (optAt.has(o.key)) add(`${p}/options/${j}/key`, `选项键 '${o.key}' 重复`, `duplicate option key '${o.key}'`);
        else optAt.set(o.key, j);
      });

      // default for choices must be an option
      if (f.default !== undefined && f.default !== null && !(typeof f.default === 'object' && !Array.isArray(f.default) && '$rule' in f.default)) {
        if (f.type === 'select' && !optAt.has(f.default as string)) {
          add(`${p}/default`, `默认值 ${show(f.default)} 不是此字段的选项`, `default ${show(f.default)} is not one of the field's options`);
        }
        if (f.type === 'multiselect' && (!Array.isArray(f.default) || f.default.some((v) => !optAt.has(v as string)))) {
          add(`${p}/default`, '默认值应为此字段选项键的数组', "default must be an array of the field's option keys");
        }
      }

      // computed values
      if (f.formula !== undefined && (f.type === 'subtable' || f.type === 'autonumber')) {
        add(`${p}/formula`, `${f.type} 类型的字段不能有公式`, `a ${f.type} field cannot have a formula`);
      }
      if (f.formula !== undefined && f.rollup !== undefined) {
        add(`${p}/rollup`, '一个字段不能同时有公式和汇总', 'a field cannot have both a formula and a rollup');
      }
      if (f.stored === false && f.formula === undefined) {
        add(`${p}/stored`, "只有带公式的字段才能设为不存储（stored: false）", "'stored: false' needs a formula");
      }
      if (f.unique) {
        const kind = columnKind(f);
        if (kind === null || kind === 'json') add(`${p}/unique`, `${f.type} 类型的字段不能设为唯一`, `a ${f.type} field cannot be unique`);
      }
      if (f.indexed && columnKind(f) === null) add(`${p}/indexed`, `${f.type} 类型的字段不能建索引`, `a ${f.type} field cannot be indexed`);
      if ((f.type === 'attachment' || f.type === 'image') && f.accept) {
        for (const a of unknownAcceptEntries(f)) {
          add(
            `${p}/accept`,
            f.type === 'image' ? `图片字段只接受 PNG、JPEG、GIF、WEBP，不能接受 ${a}` : `不支持上传的文件类型：${a}`,
            f.type === 'image' ? `an image field takes PNG, JPEG, GIF or WEBP only, not ${a}` : `not a file type uploads can be checked for: ${a}`,
          );
        }
      }

      // ranges and patterns
      if (f.min !== undefined && f.max !== undefined && f.min > f.max) add(`${p}/max`, '最大值不能小于最小值', 'max must not be less than min');
      if (f.minLength !== undefined && f.maxLength !== undefined && f.minLength > f.maxLength) {
        add(`${p}/maxLength`, '最大长度不能小于最小长度', 'maxLength must not be less than minLength');
      }
      if (f.pattern !== undefined) {
        try {
          new RegExp(f.pattern, 'u');
        } catch {
          add(`${p}/pattern`, '不是有效的正则表达式', 'is not a valid regular expression');
        }
      }
      if (f.autonumber?.reset && f.autonumber.reset !== 'never') {
        const need = RESET_NEEDS[f.autonumber.reset]!;
        const pattern = f.autonumber.pattern;
        if (!need.groups.every((g) => g.some((t) => pattern.includes(t)))) {
          add(
            `${p}/autonumber/reset`,
            `按${need.every['zh-CN']}重新计数时，编号格式须包含${need.zh}，否则编号会重复`,
            `resetting every ${need.every.en} needs ${need.en} in the pattern, or numbers would repeat`,
          );
        }
      }

      // references
      const refs: Array<[string, unknown]> = [];
      if (f.formula !== undefined) refs.push([`${p}/formula`, f.formula]);
      for (const r of ['visible', 'required', 'readOnly'] as const) {
        if (f.rules?.[r] !== undefined) refs.push([`${p}/rules/${r}`, f.rules[r]]);
      }
      (f.validate ?? []).forEach((v, k) => refs.push([`${p}/validate/${k}/rule`, v.rule]));
      if (f.default !== null && typeof f.default === 'object' && !Array.isArray(f.default) && '$rule' in f.default) {
        refs.push([`${p}/default/$rule`, (f.default as { $rule: unknown }).$rule]);
      }
      for (const [path, expr] of refs) {
        const unknown = new Set<string>();
        unknownVars(expr, scope, inRow ? new Map() : rowScopes, unknown);
        for (const name of unknown) add(path, `引用了未知字段 '${name}'`, `refers to unknown field '${name}'`);
      }
      (f.validate ?? []).forEach((v, k) =>
        (v.fields ?? []).forEach((key, m) => {
          if (!scope.has(key)) add(`${p}/validate/${k}/fields/${m}`, `未知字段 '${key}'`, `unknown field '${key}'`);
        }),
      );
    });

    // formula cycles
    const live = fields.filter((f) => !f.deleted);
    try {
      formulaOrder(live);
    } catch (e) {
      if (!(e instanceof FormulaCycleError)) throw e;
      const i = fields.findIndex((f) => !f.deleted && f.key === e.cycle[0]);
      const chain = e.cycle.join(' → ');
      add(`${base}/${i}/formula`, `公式循环引用：${chain}`, `formulas depend on each other in a cycle: ${chain}`);
    }
  };

  const globals = [...RULE_GLOBAL_VARS];
  checkFields(form.fields, '/fields', new Set([...topKeys, ...globals]), false);
  form.fields.forEach((f, i) => {
    if (f.type === 'subtable' && !f.deleted && f.fields) {
      const rowKeys = rowScopes.get(f.key) ?? new Set();
      checkFields(f.fields, `/fields/${i}/fields`, new Set([...rowKeys, ...globals]), true);
    }
  });

  // form-level rules
  const formScope = new Set([...topKeys, ...globals]);
  (form.validate ?? []).forEach((v, k) => {
    const unknown = new Set<string>();
    unknownVars(v.rule, formScope, rowScopes, unknown);
    for (const name of unknown) add(`/validate/${k}/rule`, `引用了未知字段 '${name}'`, `refers to unknown field '${name}'`);
    (v.fields ?? []).forEach((key, m) => {
      if (!topKeys.has(key)) add(`/validate/${k}/fields/${m}`, `未知字段 '${key}'`, `unknown field '${key}'`);
    });
  });

  // print templates: unique keys, handlebars that compiles under the print rules
  const printAt = new Map<string, number>();
  (form.prints ?? []).forEach((p, i) => {
    const first = printAt.get(p.key);
    if (first !== undefined) add(`/prints/${i}/key`, `打印模板键 '${p.key}' 重复（与 /prints/${first} 相同）`, `duplicate print template key '${p.key}' (also at /prints/${first})`);
    else printAt.set(p.key, i);
    const problem = printTemplateProblem(p.template);
    if (problem) addError(out, `/prints/${i}/template`, problem);
  });

  if (form.titleField !== undefined) {
    const t = topLive.find(({ f }) => f.key === form.titleField);
    if (!t) add('/titleField', `标题字段 '${form.titleField}' 不存在`, `title field '${form.titleField}' does not exist`);
    else if (t.f.type === 'subtable') add('/titleField', '子表不能作为标题字段', 'a subtable cannot be the title field');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/**
 * Validate a form document: structure (forbidden keys, depth, size), the metaschema, then the
 * semantic checks. Throws `validationError(fields)` whose `fields` map JSON Pointers
 * ('/fields/3/type') to bilingual messages; returns the document, typed, when it is sound.
 *
 * Fields may come without `id` (a new field): pass the result through `assignFieldIds`.
 */
export function validateFormDef(doc: unknown): FormDef {
  const structural = structuralErrors(doc);
  if (Object.keys(structural).length) throw validationError(structural);
  if (!validateFormSchema(doc)) throw validationError(schemaErrors(validateFormSchema.errors, doc));
  const semantic = semanticErrors(doc as FormDef);
  if (Object.keys(semantic).length) throw validationError(semantic);
  return doc as FormDef;
}

/**
 * Validate a metadata document of any kind: forms, roles and workflows get their full metaschema
 * (workflows against `defaultWorkflowRegistry`, the node and trigger types the server
 * registered); reports and dashboards theirs (report-schema.ts). Every kind gets the structural check. Throws `validationError`.
 */
export function validateDocument(kind: MetaKind, doc: unknown): unknown {
  switch (kind) {
    case 'forms':
      return validateFormDef(doc);
    case 'roles': {
      const structural = structuralErrors(doc);
      if (Object.keys(structural).length) throw validationError(structural);
      if (!validateRoleSchema(doc)) throw validationError(schemaErrors(validateRoleSchema.errors, doc));
      return doc;
    }
    case 'workflows':
      return validateWorkflowDef(doc, defaultWorkflowRegistry);
    case 'reports':
      return validateReportDef(doc);
    case 'dashboards':
      return validateDashboardDef(doc);
    default:
      throw validationError({ '': [msg(`未知的元数据类型 '${String(kind)}'`, `unknown metadata kind '${String(kind)}'`)] });
  }
}

/** Throw `validationError` on '/key' unless the document's key is the key in the URL. */
export function assertKeyMatches(kind: MetaKind, urlKey: string, doc: unknown): void {
  const key = doc !== null && typeof doc === 'object' ? (doc as { key?: unknown }).key : undefined;
  if (key === urlKey) return;
  throw validationError(
    {
      '/key': [
        msg(
          `文档的键 ${show(key)} 与地址中的 '${urlKey}' 不一致`,
          `the document's key ${show(key)} does not match '${urlKey}' in the URL`,
        ),
      ],
    },
    { kind },
  );
}
