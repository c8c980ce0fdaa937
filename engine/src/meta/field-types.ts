/**
 * The field-type registry: one small contract per field type.
 *
 * Column facts (how a value is stored) are apart from value facts (the JSON Schema of a value
 * in the API) and UI facts (the palette group and default widget). The table planner, the
 * validator, the SQL filter compiler, OpenAPI and the UIs all read this one table.
 *
 * Isomorphic: no Node or database imports.
 */
import type { FieldDef, FieldType } from './types.js';

/** How a value sits in its column. `null`: no column of its own (a subtable is a child table). */
export type ColumnKind =
  | 'string' // short text, varchar(255) (urls: varchar(2048))
  | 'text' // long text
  | 'integer' // 64-bit integer (ids, money in minor units, counters)
  | 'float'
  | 'boolean'
  | 'date' // YYYY-MM-DD
  | 'datetime' // ISO 8601 UTC
  | 'json';

export type JsonSchema = Record<string, unknown>;

export interface FieldTypeSpec {
  type: FieldType;
  column: ColumnKind | null;
  /** Designer palette group. */
  group: 'basic' | 'advanced' | 'people';
  /** JSON Schema of a non-null value as it crosses the API. */
  valueSchema(field: FieldDef): JsonSchema;
  /** API value → column value (after validation). Default: identity. */
  toColumn?(value: unknown, field: FieldDef): unknown;
  /** Column value → API value. Default: identity. */
  fromColumn?(raw: unknown, field: FieldDef): unknown;
  /** Searched by `q`. */
  searchable?: boolean;
  /** Can be sorted and compared in SQL filters. */
  comparable?: boolean;
  /** Holds an array of scalar keys (JSON column) that `in` tests membership of. */
  array?: boolean;
}

export const MONEY_MAX = 9_000_000_000_000; // yuan; minor units stay well inside 2^53

const moneyToMinor = (v: unknown) => (typeof v === 'number' ? Math.round(v * 100) : v);
const minorToMoney = (v: unknown) => (v == null ? v : Number(v) / 100);
const toBool = (v: unknown) => (v == null ? v : v === true || v === 1 || v === '1' || v === 't' || v === 'true');
const toNum = (v: unknown) => (v == null ? v : Number(v));
const parseJson = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const optionKeys = (f: FieldDef) => (f.options ?? []).map((o) => o.key);

const text = (extra: JsonSchema = {}) => (f: FieldDef): JsonSchema => ({
  type: 'string',
  ...(f.maxLength != null ? { maxLength: f.maxLength } : {}),
  ...(f.minLength != null ? { minLength: f.minLength } : {}),
  ...(f.pattern ? { pattern: f.pattern } : {}),
  ...extra,
});

const idRef = (f: FieldDef): JsonSchema =>
  f.multiple ? { type: 'array', items: { type: 'integer', minimum: 1 }, uniqueItems: true } : { type: 'integer', minimum: 1 };

const fileRef: JsonSchema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 255 },
    size: { type: 'integer', minimum: 0 },
    mime: { type: 'string', maxLength: 127 },
    url: { type: 'string', maxLength: 2048 },
  },
  additionalProperties: false,
};

export const FIELD_TYPE_SPECS: Record<FieldType, FieldTypeSpec> = {
  text: { type: 'text', column: 'string', group: 'basic', valueSchema: (f) => text({ maxLength: Math.min(f.maxLength ?? 255, 255) })(f), searchable: true, comparable: true },
  textarea: { type: 'textarea', column: 'text', group: 'basic', valueSchema: (f) => text({ maxLength: f.maxLength ?? 65535 })(f), searchable: true, comparable: true },
  number: {
    type: 'number', column: 'float', group: 'basic', comparable: true,
    valueSchema: (f) => ({ type: 'number', ...(f.min != null ? { minimum: f.min } : {}), ...(f.max != null ? { maximum: f.max } : {}) }),
    toColumn: (v, f) => (typeof v === 'number' && f.precision != null ? Number(v.toFixed(f.precision)) : v),
    fromColumn: toNum,
  },
  money: {
    type: 'money', column: 'integer', group: 'basic', comparable: true,
    valueSchema: (f) => ({ type: 'number', multipleOf: 0.01, minimum: f.min ?? -MONEY_MAX, maximum: f.max ?? MONEY_MAX }),
    toColumn: moneyToMinor, fromColumn: minorToMoney,
  },
  percent: {
    type: 'percent', column: 'float', group: 'basic', comparable: true,
    valueSchema: (f) => ({ type: 'number', ...(f.min != null ? { minimum: f.min } : {}), ...(f.max != null ? { maximum: f.max } : {}) }),
    fromColumn: toNum,
  },
  date: { type: 'date', column: 'date', group: 'basic', comparable: true, valueSchema: () => ({ type: 'string', format: 'date' }) },
  datetime: {
    type: 'datetime', column: 'datetime', group: 'basic', comparable: true,
    valueSchema: () => ({ type: 'string', format: 'date-time' }),
    toColumn: (v) => (typeof v === 'string' ? new Date(v).toISOString() : v),
    fromColumn: (v) => (v == null ? v : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString()),
  },
  boolean: { type: 'boolean', column: 'boolean', group: 'basic', comparable: true, valueSchema: () => ({ type: 'boolean' }), fromColumn: toBool },
  select: {
    type: 'select', column: 'string', group: 'basic', comparable: true,
    valueSchema: (f) => ({ type: 'string', enum: optionKeys(f) }),
  },
  multiselect: {
    type: 'multiselect', column: 'json', group: 'basic', array: true,
    valueSchema: (f) => ({ type: 'array', items: { type: 'string', enum: optionKeys(f) }, uniqueItems: true }),
    toColumn: (v) => (v == null ? v : JSON.stringify(v)), fromColumn: parseJson,
  },
  tags: {
    type: 'tags', column: 'json', group: 'basic', array: true,
    valueSchema: (f) => ({
      type: 'array', uniqueItems: true, maxItems: 100,
      items: f.allowNewOptions === false ? { type: 'string', enum: optionKeys(f) } : { type: 'string', minLength: 1, maxLength: 64 },
    }),
    toColumn: (v) => (v == null ? v : JSON.stringify(v)), fromColumn: parseJson,
  },
  phone: { type: 'phone', column: 'string', group: 'basic', searchable: true, comparable: true, valueSchema: (f) => text({ maxLength: 32, ...(f.pattern ? {} : { pattern: '^\\+?[0-9][0-9 -]{2,30}$' }) })(f) },
  email: { type: 'email', column: 'string', group: 'basic', searchable: true, comparable: true, valueSchema: (f) => text({ maxLength: 255, format: 'email' })(f) },
  url: { type: 'url', column: 'string', group: 'basic', comparable: true, valueSchema: (f) => text({ maxLength: 2048, format: 'uri', pattern: f.pattern ?? '^https?://' })(f) },
  relation: { type: 'relation', column: 'integer', group: 'advanced', comparable: true, valueSchema: () => ({ type: 'integer', minimum: 1 }), fromColumn: toNum },
  subtable: { type: 'subtable', column: null, group: 'advanced', valueSchema: () => ({ type: 'array', maxItems: 1000, items: { type: 'object' } }) },
  autonumber: { type: 'autonumber', column: 'string', group: 'advanced', searchable: true, comparable: true, valueSchema: () => ({ type: 'string', maxLength: 64 }) },
  user: {
    type: 'user', column: 'integer', group: 'people', comparable: true, valueSchema: idRef,
    toColumn: (v, f) => (f.multiple && v != null ? JSON.stringify(v) : v),
    fromColumn: (v, f) => (f.multiple ? parseJson(v) : toNum(v)),
  },
  department: {
    type: 'department', column: 'integer', group: 'people', comparable: true, valueSchema: idRef,
    toColumn: (v, f) => (f.multiple && v != null ? JSON.stringify(v) : v),
    fromColumn: (v, f) => (f.multiple ? parseJson(v) : toNum(v)),
  },
  attachment: {
    type: 'attachment', column: 'json', group: 'advanced',
    valueSchema: () => ({ type: 'array', items: fileRef, maxItems: 50 }),
    toColumn: (v) => (v == null ? v : JSON.stringify(v)), fromColumn: parseJson,
  },
  image: {
    type: 'image', column: 'json', group: 'advanced',
    valueSchema: () => ({ type: 'array', items: fileRef, maxItems: 50 }),
    toColumn: (v) => (v == null ? v : JSON.stringify(v)), fromColumn: parseJson,
  },
  // A PNG only (an SVG could carry scripts); the server also checks the bytes are a PNG (files/signature.ts).
  signature: { type: 'signature', column: 'text', group: 'advanced', valueSchema: () => ({ type: 'string', maxLength: 200_000, pattern: '^data:image/png;base64,[A-Za-z0-9+/]+={0,2}$' }) },
  address: {
    type: 'address', column: 'json', group: 'advanced',
    valueSchema: () => ({
      type: 'object', additionalProperties: false,
      properties: {
        province: { type: 'string', maxLength: 64 }, city: { type: 'string', maxLength: 64 },
        district: { type: 'string', maxLength: 64 }, detail: { type: 'string', maxLength: 255 },
        postcode: { type: 'string', maxLength: 16 },
      },
    }),
    toColumn: (v) => (v == null ? v : JSON.stringify(v)), fromColumn: parseJson,
  },
  location: {
    type: 'location', column: 'json', group: 'advanced',
    valueSchema: () => ({
      type: 'object', required: ['lat', 'lng'], additionalProperties: false,
      properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lng: { type: 'number', minimum: -180, maximum: 180 }, name: { type: 'string', maxLength: 255 } },
    }),
    toColumn: (v) => (v == null ? v : JSON.stringify(v)), fromColumn: parseJson,
  },
};

export function fieldTypeSpec(type: FieldType): FieldTypeSpec {
  const spec = FIELD_TYPE_SPECS[type];
  if (!spec) throw new Error(`unknown field type ${type}`);
  return spec;
}

/** The column kind a field is stored in (user/department with `multiple` are JSON). */
export function columnKind(field: FieldDef): ColumnKind | null {
  if ((field.type === 'user' || field.type === 'department') && field.multiple) return 'json';
  return fieldTypeSpec(field.type).column;
}

/** API value → column value. */
export function toColumnValue(field: FieldDef, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const spec = fieldTypeSpec(field.type);
  return spec.toColumn ? spec.toColumn(value, field) : value;
}

/** Column value → API value. */
export function fromColumnValue(field: FieldDef, raw: unknown): unknown {
  if (raw === undefined || raw === null) return null;
  const spec = fieldTypeSpec(field.type);
  return spec.fromColumn ? spec.fromColumn(raw, field) : raw;
}

/** Whether a field's value is computed by the engine (never taken from the client). */
export function isComputed(field: FieldDef): boolean {
  return field.formula !== undefined || field.rollup !== undefined || field.type === 'autonumber';
}
