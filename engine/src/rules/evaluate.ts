/**
 * Form evaluation over a record `{fieldKey: apiValue, …, id?}`: computed values, form state
 * (hidden / required / read-only) and rule errors. The same code runs in the live form (browser)
 * and on the server (authoritative). Isomorphic.
 *
 * Rules are evaluated against the record as given: callers that want `{"var": "$user.id"}`
 * add `$user` to it. A subtable row's rules and formulas see the row's own values.
 * Soft-deleted fields (`deleted: true`) are ignored everywhere. A rule that throws never
 * escapes: a formula gives null, a state rule its default, a validation rule a failure.
 */
import type { FieldDef, FormDef, Label } from '../meta/types.js';
import { labelText } from '../meta/types.js';
import { isComputed } from '../meta/field-types.js';
import { msg, type Msg } from '../errors.js';
import { formulaOrder } from './deps.js';
import { applyRule, roundHalfAway, toIsoDatetime, toRulesDate, truthy } from './operations.js';

export type RecordValues = Record<string, unknown>;

const live = (f: FieldDef) => !f.deleted;
const isRow = (r: unknown): r is RecordValues => r !== null && typeof r === 'object' && !Array.isArray(r);

// ---------------------------------------------------------------------------------------------
// Computed values

export interface ComputeOptions {
  /** Also return formulas with `stored: false` (computed when read). Default false. */
  includeVirtual?: boolean;
}

function toNum(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

const toText = (v: unknown): string | null =>
  typeof v === 'string' ? v : (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' ? String(v) : null;

const toId = (v: unknown): number | null => {
  const n = toNum(v);
  return n !== null && Number.isSafeInteger(n) ? n : null;
};

/** A formula result as a value of the field's type (NaN, Infinity, undefined → null). */
export function coerceComputed(field: FieldDef, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  switch (field.type) {
    case 'money': {
      const n = toNum(v);
      return n === null ? null : roundHalfAway(n, 2);
    }
    case 'number': {
      const n = toNum(v);
      return n === null ? null : field.precision != null ? roundHalfAway(n, field.precision) : n === 0 ? 0 : n;
    }
    case 'percent':
      return toNum(v);
    case 'date':
      return toRulesDate(v);
    case 'datetime':
      return toIsoDatetime(v);
    case 'boolean':
      return truthy(v);
    case 'relation':
      return toId(v);
    case 'user':
    case 'department':
      if (field.multiple) return Array.isArray(v) ? v.map(toId).filter((x): x is number => x !== null) : null;
      return toId(v);
    case 'tags':
    case 'multiselect':
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
    case 'text':
    case 'textarea':
    case 'select':
    case 'phone':
    case 'email':
    case 'url':
    case 'autonumber':
    case 'signature':
      return toText(v);
    default:
      return typeof v === 'object' ? v : null;
  }
}

function computeInto(target: RecordValues, fields: FieldDef[], opts: ComputeOptions): RecordValues {
  const order = formulaOrder(fields);
  for (const f of order) {
    let v: unknown;
    try {
      v = applyRule(f.formula, target);
    } catch {
      v = null;
    }
    target[f.key] = coerceComputed(f, v);
  }
  // Virtual formulas are computed above (stored formulas may read them), then left out.
  if (!opts.includeVirtual) for (const f of order) if (f.stored === false) delete target[f.key];
  return target;
}

/**
 * A new record with every formula field set: each subtable row's formulas first (a row formula
 * sees the row's values), then the top-level formulas in dependency order. A client-sent value
 * for a formula field is always overwritten. Formulas with `stored: false` appear only with
 * `includeVirtual`. The input is never mutated. Throws FormulaCycleError (deps.ts) for a form
 * whose formulas depend on each other in a cycle (the metaschema refuses such forms).
 */
export function computeValues(form: FormDef, record: RecordValues, opts: ComputeOptions = {}): RecordValues {
  const out: RecordValues = { ...record };
  const fields = form.fields.filter(live);
  for (const f of fields) {
    if (f.type !== 'subtable') continue;
    const rows = out[f.key];
    const rowFields = (f.fields ?? []).filter(live);
    if (!Array.isArray(rows) || !rowFields.some((sf) => sf.formula !== undefined)) continue;
    out[f.key] = rows.map((row) => (isRow(row) ? computeInto({ ...row }, rowFields, opts) : row));
  }
  return computeInto(out, fields, opts);
}

// ---------------------------------------------------------------------------------------------
// Form state

export interface FormState {
  /** Keys of hidden fields (`rules.visible` falsy). Row fields as 'subtableKey.rowIndex.fieldKey'. */
  hidden: Set<string>;
  /** Keys of visible fields that must be filled (static `required` or `rules.required`). */
  required: Set<string>;
  /** Keys of read-only fields (`rules.readOnly`, and formula/autonumber/rollup fields always). */
  readOnly: Set<string>;
}

function ruleHolds(rule: unknown, data: unknown, onError: boolean): boolean {
  try {
    return truthy(applyRule(rule, data));
  } catch {
    return onError;
  }
}

/** One field's state; a throwing rule leaves the field visible, optional and editable. */
function fieldState(f: FieldDef, data: RecordValues, key: string, state: FormState): boolean {
  const visible = f.rules?.visible === undefined || ruleHolds(f.rules.visible, data, true);
  if (!visible) {
    state.hidden.add(key);
    return false;
  }
  const computed = isComputed(f);
  if (computed || (f.rules?.readOnly !== undefined && ruleHolds(f.rules.readOnly, data, false))) state.readOnly.add(key);
  if (!computed && (f.required === true || (f.rules?.required !== undefined && ruleHolds(f.rules.required, data, false)))) {
    state.required.add(key);
  }
  return true;
}

/**
 * Which fields are hidden, required and read-only for this record. Hidden fields are never
 * required; computed fields are never required (the user cannot fill them). Subtable row
 * fields are reported as 'subtableKey.rowIndex.fieldKey', their rules evaluated on the row.
 */
export function formState(form: FormDef, record: RecordValues): FormState {
  const state: FormState = { hidden: new Set(), required: new Set(), readOnly: new Set() };
  for (const f of form.fields) {
    if (!live(f)) continue;
    if (!fieldState(f, record, f.key, state) || f.type !== 'subtable') continue;
    const rows = record[f.key];
    if (!Array.isArray(rows)) continue;
    const rowFields = (f.fields ?? []).filter(live);
    rows.forEach((row, i) => {
      const data = isRow(row) ? row : {};
      for (const sf of rowFields) fieldState(sf, data, `${f.key}.${i}.${sf.key}`, state);
    });
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Rule errors

/** A label as a bilingual message (a plain string serves both languages). */
export function labelMsg(label: Label | undefined): Msg {
  return msg(labelText(label, 'zh-CN'), labelText(label, 'en'));
}

/** The "required" message for a field. */
export function requiredMsg(f: FieldDef): Msg {
  const zh = labelText(f.label, 'zh-CN') || f.key;
  const en = labelText(f.label, 'en') || f.key;
  return msg(`请填写「${zh}」`, `${en} is required`);
}

/** Empty for `required`: null, undefined, '' or []. */
export function isBlank(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

export interface RuleErrorOptions {
  /**
   * Check only these keys: field keys (a subtable key covers its rows) and '_form' for
   * form-level rules without `fields`. Form-level rules with `fields` report on those in `only`.
   */
  only?: Set<string>;
}

/**
 * Field key → messages for every rule the record breaks. For each live, visible field:
 * required-but-blank, else (when it has a value) each `validate` rule that is false; subtable
 * rows the same under 'subtableKey.rowIndex.fieldKey'; then the form's `validate` rules,
 * attached to each visible key in `rule.fields`, or to '_form' when the rule names none (a rule
 * whose fields are all hidden is skipped). Hidden fields are skipped. Field rules are not run
 * on a blank value: `required` says whether blank is allowed. A rule that throws counts as
 * failed. Empty object when the record passes.
 */
export function ruleErrors(form: FormDef, record: RecordValues, opts: RuleErrorOptions = {}): Record<string, Msg[]> {
  const errors: Record<string, Msg[]> = {};
  const add = (key: string, m: Msg) => (errors[key] ??= []).push(m);
  const state = formState(form, record);
  const only = opts.only;

  const checkField = (f: FieldDef, data: RecordValues, key: string) => {
    const value = data[f.key];
    if (isBlank(value)) {
      if (state.required.has(key)) add(key, requiredMsg(f));
      return;
    }
    for (const rule of f.validate ?? []) if (!ruleHolds(rule.rule, data, false)) add(key, labelMsg(rule.message));
  };

  const fields = form.fields.filter(live);
  for (const f of fields) {
    if (state.hidden.has(f.key) || (only && !only.has(f.key))) continue;
    checkField(f, record, f.key);
    if (f.type !== 'subtable') continue;
    const rows = record[f.key];
    if (!Array.isArray(rows)) continue;
    const rowFields = (f.fields ?? []).filter(live);
    rows.forEach((row, i) => {
      const data = isRow(row) ? row : {};
      for (const sf of rowFields) {
        const key = `${f.key}.${i}.${sf.key}`;
        if (!state.hidden.has(key)) checkField(sf, data, key);
      }
    });
  }

  const liveKeys = new Set(fields.map((f) => f.key));
  for (const rule of form.validate ?? []) {
    const named = (rule.fields ?? []).filter((k) => liveKeys.has(k));
    let targets = named.length ? named.filter((k) => !state.hidden.has(k)) : ['_form'];
    if (only) targets = targets.filter((k) => only.has(k));
    if (!targets.length) continue;
    if (!ruleHolds(rule.rule, record, false)) for (const k of targets) add(k, labelMsg(rule.message));
  }
  return errors;
}
