/**
 * The form designer's document helpers: new fields, where the server's errors belong, and the
 * json-logic the visual rule builders read and write. Pure functions (no React).
 */
import { FIELD_TYPE_SPECS, type FieldTypeSpec } from '../../../engine/src/meta/field-types';
import { newFieldId } from '../../../engine/src/meta/normalize';
import { FIELD_TYPES, KEY_RE, type FieldDef, type FieldType, type FormDef, type Label } from '../../../engine/src/meta/types';
import { RULE_OPERATIONS } from '../../../engine/src/rules/operations';
import { ruleVars } from '../../../engine/src/rules/deps';
import i18n from '../i18n';

export type { FieldDef, FieldType, FormDef, Label };

/** The palette: every field type the engine knows, in the engine's order, by its palette group. */
export const PALETTE_GROUPS: Array<{ group: FieldTypeSpec['group']; types: FieldType[] }> = (['basic', 'advanced', 'people'] as const).map((group) => ({
  group,
  types: FIELD_TYPES.filter((t) => FIELD_TYPE_SPECS[t].group === group),
}));

/** A field type's name in a language. */
export const typeLabel = (type: string, lng?: string) => i18n.t(`type.${type}`, { lng, defaultValue: type });

const both = (key: string, opts: Record<string, unknown> = {}): Label => ({
  'zh-CN': i18n.t(key, { lng: 'zh-CN', ...opts }),
  en: i18n.t(key, { lng: 'en', ...opts }),
});

/** A fresh key `base`, `base_2`, … not in `taken`. */
export function uniqueKey(base: string, taken: Set<string>): string {
  let b = base.replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '') || 'field';
  b = b.slice(0, 40);
  if (!taken.has(b)) return b;
  for (let i = 2; ; i++) if (!taken.has(`${b}_${i}`)) return `${b}_${i}`;
}

/** Every key used by the form's fields, deleted ones too (a soft-deleted key stays taken). */
export const usedKeys = (doc: FormDef): Set<string> => new Set(doc.fields.map((f) => f.key));

/** A new field of a type with what its metaschema requires (options, a relation target, row fields…). */
export function newField(type: FieldType, doc: FormDef, overrides: Partial<FieldDef> = {}): FieldDef {
  const key = uniqueKey(type, usedKeys(doc));
  const n = doc.fields.filter((f) => f.type === type).length + 1;
  const f: FieldDef = { id: newFieldId(), key, type, label: { 'zh-CN': `${typeLabel(type, 'zh-CN')}${n}`, en: `${typeLabel(type, 'en')} ${n}` } };
  switch (type) {
    case 'select':
    case 'multiselect':
      f.options = [1, 2].map((i) => ({ key: `option_${i}`, label: both('optionN', { n: i }) }));
      break;
    case 'tags':
      f.options = [];
      break;
    case 'relation':
      f.relation = { form: doc.key };
      break;
    case 'subtable':
      f.fields = [{ id: newFieldId(), key: 'item', type: 'text', label: both('rowItem') }];
      break;
    case 'autonumber':
      f.autonumber = { pattern: '{YYYY}{MM}{DD}{####}' };
      break;
    default:
  }
  return { ...f, ...overrides };
}

/** A new row field for a subtable. */
export function newRowField(type: FieldType, siblings: FieldDef[]): FieldDef {
  const taken = new Set(siblings.map((f) => f.key));
  const f = newField(type, { key: '_', label: '', fields: siblings });
  return { ...f, key: uniqueKey(type, taken) };
}

/** A field is published once it has a column: its key is then what records, rules and reports use. */
export const isPublished = (f: FieldDef) => typeof f.column === 'string';

export const liveOf = (doc: FormDef) => doc.fields.filter((f) => !f.deleted);

export const validKey = (k: string) => KEY_RE.test(k);

// ---------------------------------------------------------------------------------------------
// Server errors → fields

export interface PlacedErrors {
  /** field id → [property path inside the field ('' for the field itself, '/options/0/key'…), message] */
  byField: Map<string, Array<{ path: string; message: string }>>;
  /** errors on the form itself (label, key, module, titleField…), by path */
  form: Array<{ path: string; message: string }>;
}

/**
 * Place a 422's `error.fields` on the document that was sent: JSON Pointers `/fields/3/…` name the
 * field at that index (a subtable's row fields `/fields/3/fields/1/…` belong to the subtable);
 * a bare key (a publish check naming a field by its key) is matched by key.
 */
export function placeErrors(doc: FormDef, fields: Record<string, string[]> | undefined): PlacedErrors {
  const out: PlacedErrors = { byField: new Map(), form: [] };
  for (const [path, msgs] of Object.entries(fields ?? {})) {
    let id: string | undefined;
    let rest = path;
    const m = /^\/fields\/(\d+)(\/.*)?$/.exec(path);
    if (m) {
      id = doc.fields[Number(m[1])]?.id;
      rest = m[2] ?? '';
    } else if (!path.startsWith('/')) {
      const [head, ...tail] = path.split('.');
      id = doc.fields.find((f) => f.key === head)?.id;
      rest = tail.length ? `/${tail.join('/')}` : '';
    }
    for (const message of msgs) {
      if (id) out.byField.set(id, [...(out.byField.get(id) ?? []), { path: rest, message }]);
      else out.form.push({ path, message });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// json-logic ↔ the visual builders

export type Combinator = 'and' | 'or';
export type RuleOp = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'contains' | 'in' | 'is_empty' | 'not_empty';
export const RULE_OPS: RuleOp[] = ['==', '!=', '>', '>=', '<', '<=', 'contains', 'in', 'is_empty', 'not_empty'];
export const UNARY_OPS = new Set<RuleOp>(['is_empty', 'not_empty']);

export interface RuleRow { field: string; op: RuleOp; value?: unknown }
export interface VisualRule { combinator: Combinator; rows: RuleRow[] }

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const varOf = (v: unknown): string | null => (isObj(v) && Object.keys(v).length === 1 && typeof v.var === 'string' ? v.var : null);

export function rowToLogic(r: RuleRow): unknown {
  const v = { var: r.field };
  if (r.op === 'is_empty') return { is_empty: [v] };
  if (r.op === 'not_empty') return { '!': { is_empty: [v] } };
  if (r.op === 'contains') return { contains: [v, r.value ?? null] };
  if (r.op === 'in') return { in: [v, Array.isArray(r.value) ? r.value : []] };
  return { [r.op]: [v, r.value ?? null] };
}

function logicToRow(x: unknown): RuleRow | null {
  if (!isObj(x) || Object.keys(x).length !== 1) return null;
  const [op, args] = Object.entries(x)[0]!;
  if (op === '!' && isObj(args)) {
    const inner = logicToRow(args);
    return inner?.op === 'is_empty' ? { field: inner.field, op: 'not_empty' } : null;
  }
  const list = Array.isArray(args) ? args : [args];
  const field = varOf(list[0]);
  if (!field) return null;
  if (op === 'is_empty' && list.length === 1) return { field, op };
  if (op === 'in' && list.length === 2 && Array.isArray(list[1])) return { field, op, value: list[1] };
  if ((RULE_OPS as string[]).includes(op) && list.length === 2 && !isObj(list[1]) && !Array.isArray(list[1])) return { field, op: op as RuleOp, value: list[1] };
  return null;
}

/** The visual form of a rule, or null when it is more than rows joined by and/or (edit it as JSON). */
export function parseRule(logic: unknown): VisualRule | null {
  if (logic === undefined || logic === null) return { combinator: 'and', rows: [] };
  if (isObj(logic) && Object.keys(logic).length === 1 && ('and' in logic || 'or' in logic)) {
    const combinator = 'and' in logic ? 'and' : 'or';
    const items = logic[combinator];
    if (!Array.isArray(items)) return null;
    const rows = items.map(logicToRow);
    return rows.every(Boolean) ? { combinator, rows: rows as RuleRow[] } : null;
  }
  const row = logicToRow(logic);
  return row ? { combinator: 'and', rows: [row] } : null;
}

/** Rows → json-logic; no rows → undefined (no rule). A half-filled row (no field) is left out. */
export function buildRule(v: VisualRule): unknown {
  const rows = v.rows.filter((r) => r.field);
  if (!rows.length) return undefined;
  if (rows.length === 1) return rowToLogic(rows[0]!);
  return { [v.combinator]: rows.map(rowToLogic) };
}

export type FormulaOp = '+' | '-' | '*' | '/';
export interface FormulaTerm { op: FormulaOp; field?: string; number?: number }

/** A formula as terms folded left: ((a op b) op c); null when it is not of that shape. */
export function parseFormula(logic: unknown): FormulaTerm[] | null {
  if (logic === undefined) return [];
  const term = (x: unknown, op: FormulaOp): FormulaTerm | null => {
    const f = varOf(x);
    if (f) return { op, field: f };
    if (typeof x === 'number') return { op, number: x };
    return null;
  };
  const walk = (x: unknown): FormulaTerm[] | null => {
    const t = term(x, '+');
    if (t) return [t];
    if (!isObj(x) || Object.keys(x).length !== 1) return null;
    const [op, args] = Object.entries(x)[0]!;
    if (!['+', '-', '*', '/'].includes(op) || !Array.isArray(args) || args.length !== 2) return null;
    const left = walk(args[0]);
    const right = term(args[1], op as FormulaOp);
    return left && right ? [...left, right] : null;
  };
  return walk(logic);
}

export function buildFormula(terms: FormulaTerm[]): unknown {
  const value = (t: FormulaTerm) => (t.field ? { var: t.field } : t.number ?? 0);
  const ok = terms.filter((t) => t.field || typeof t.number === 'number');
  if (!ok.length) return undefined;
  let out: unknown = value(ok[0]!);
  for (const t of ok.slice(1)) out = { [t.op]: [out, value(t)] };
  return out;
}

/**
 * Checks raw json-logic typed by a power user: `errors` (an operation the engine does not know,
 * an object with more than one operation) block it; `warnings` name variables that are no field
 * of this form (row fields inside `map`/`filter` are fine, hence only a warning).
 */
export function checkLogic(logic: unknown, knownFields: Set<string>): { errors: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!isObj(x)) return;
    const keys = Object.keys(x);
    if (keys.length !== 1) {
      problems.push(i18n.t('logic.oneOperation', { keys: keys.join(', ') }));
      return;
    }
    const op = keys[0]!;
    if (!RULE_OPERATIONS.has(op)) problems.push(i18n.t('logic.unknownOperation', { op }));
    else if (op !== 'var') walk(x[op]);
  };
  walk(logic);
  for (const v of ruleVars(logic)) {
    const head = v.split('.')[0]!;
    if (head && !knownFields.has(head) && head !== 'id' && !head.startsWith('$')) warnings.push(i18n.t('logic.unknownField', { field: head }));
  }
  return { errors: problems, warnings };
}
