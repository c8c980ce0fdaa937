/**
 * Structural diff of metadata documents (revision history, publish previews, pack upgrades),
 * and a readable summary of what changed in a form's fields.
 *
 * Arrays of objects that carry an identity (`id`, failing that `key`) are matched by it, so
 * reordering fields or renaming a key is one change, not a cascade over every later index.
 *
 * Isomorphic.
 */
import { labelText, type FieldDef, type FormDef, type Label } from './types.js';
import { msg, type Msg } from '../errors.js';

export interface DocChange {
  /** JSON Pointer into `b` (into `a` for removals). */
  path: string;
  op: 'add' | 'remove' | 'change';
  from?: unknown;
  to?: unknown;
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const seg = (s: string | number) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');

/** Deep equality of JSON values; an `undefined` property counts as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return Number.isNaN(a) && Number.isNaN(b);
}

const identityValue = (v: unknown, prop: string): string | undefined => {
  if (!isObject(v)) return undefined;
  const id = v[prop];
  return typeof id === 'string' || typeof id === 'number' ? `${typeof id}:${id}` : undefined;
};

/**
 * The first of `props` that uniquely identifies every element of every given array, or null
 * (compare by index). Diffs use 'id', else 'key'; pack merges also accept 'form' (permissions).
 */
export function identityProp<P extends string>(arrays: unknown[][], props: readonly P[]): P | null {
  if (arrays.every((a) => a.length === 0)) return null;
  for (const prop of props) {
    const ok = arrays.every((arr) => {
      const ids = arr.map((v) => identityValue(v, prop));
      return ids.every((x) => x !== undefined) && new Set(ids).size === ids.length;
    });
    if (ok) return prop;
  }
  return null;
}

function walk(a: unknown, b: unknown, aPath: string, bPath: string, out: DocChange[]): void {
  if (jsonEqual(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const prop = identityProp([a, b], ['id', 'key'] as const);
    if (prop) {
      walkIdentified(a, b, prop, aPath, bPath, out);
      return;
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (i >= b.length) out.push({ path: `${aPath}/${i}`, op: 'remove', from: a[i] });
      else if (i >= a.length) out.push({ path: `${bPath}/${i}`, op: 'add', to: b[i] });
      else walk(a[i], b[i], `${aPath}/${i}`, `${bPath}/${i}`, out);
    }
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of Object.keys(a)) {
      if (a[k] === undefined) continue;
      if (b[k] === undefined) out.push({ path: `${aPath}/${seg(k)}`, op: 'remove', from: a[k] });
    }
    for (const k of Object.keys(b)) {
      if (b[k] === undefined) continue;
      if (a[k] === undefined) out.push({ path: `${bPath}/${seg(k)}`, op: 'add', to: b[k] });
      else walk(a[k], b[k], `${aPath}/${seg(k)}`, `${bPath}/${seg(k)}`, out);
    }
    return;
  }
  out.push({ path: bPath, op: 'change', from: a, to: b });
}

function walkIdentified(a: unknown[], b: unknown[], prop: 'id' | 'key', aPath: string, bPath: string, out: DocChange[]): void {
  const aIndex = new Map(a.map((v, i) => [identityValue(v, prop)!, i]));
  const bIndex = new Map(b.map((v, i) => [identityValue(v, prop)!, i]));
  // Order first: one change naming the old and new order when common elements moved.
  const commonA = a.map((v) => identityValue(v, prop)!).filter((id) => bIndex.has(id));
  const commonB = b.map((v) => identityValue(v, prop)!).filter((id) => aIndex.has(id));
  if (commonA.some((id, i) => id !== commonB[i])) {
    const ids = (arr: unknown[]) => arr.map((v) => (v as Obj)[prop]);
    out.push({ path: bPath, op: 'change', from: ids(a), to: ids(b) });
  }
  a.forEach((v, i) => {
    if (!bIndex.has(identityValue(v, prop)!)) out.push({ path: `${aPath}/${i}`, op: 'remove', from: v });
  });
  b.forEach((v, j) => {
    const i = aIndex.get(identityValue(v, prop)!);
    if (i === undefined) out.push({ path: `${bPath}/${j}`, op: 'add', to: v });
    else walk(a[i], v, `${aPath}/${i}`, `${bPath}/${j}`, out);
  });
}

/**
 * The changes that turn `a` into `b`. Objects compare by property, leaves by deep equality;
 * arrays whose elements all carry a unique `id` (failing that, a unique `key`) in both
 * documents are matched by that identity — a reorder is one 'change' at the array's path (from
 * and to: the identities in old and new order), a renamed key one 'change' at
 * '/fields/<index in b>/key' — other arrays by index.
 */
export function diffDocuments(a: unknown, b: unknown): DocChange[] {
  const out: DocChange[] = [];
  walk(a, b, '', '', out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Form summary
// ---------------------------------------------------------------------------------------------

export interface FormFieldChange {
  kind: 'added' | 'removed' | 'restored' | 'renamed' | 'retyped' | 'relabelled';
  /** The field's id (its key when it has none yet). */
  field: string;
  /** The field's key in `b` (in `a` for removals). */
  key: string;
  /** The subtable key when the field is one of a subtable's row fields. */
  parent?: string;
  from?: unknown;
  to?: unknown;
  /** A sentence for people. */
  text: Msg;
}

const both = (l: Label | undefined) => ({ zh: labelText(l, 'zh-CN'), en: labelText(l, 'en') });

/** Pair fields by id (both have one), then the rest by key. */
function matchFields(a: FieldDef[], b: FieldDef[]): { pairs: Array<[FieldDef, FieldDef]>; added: FieldDef[]; removed: FieldDef[] } {
  const aById = new Map(a.filter((f) => f.id).map((f) => [f.id, f]));
  const matched = new Map<FieldDef, FieldDef>(); // b → a
  for (const f of b) {
    const prev = f.id ? aById.get(f.id) : undefined;
    if (prev) matched.set(f, prev);
  }
  const usedA = new Set(matched.values());
  for (const f of b) {
    if (matched.has(f)) continue;
    const prev = a.find((x) => !usedA.has(x) && x.key === f.key && !(x.id && f.id));
    if (prev) {
      matched.set(f, prev);
      usedA.add(prev);
    }
  }
  return {
    pairs: b.filter((f) => matched.has(f)).map((f) => [matched.get(f)!, f]),
    added: b.filter((f) => !matched.has(f)),
    removed: a.filter((f) => !usedA.has(f)),
  };
}

function summarizeFields(a: FieldDef[], b: FieldDef[], out: FormFieldChange[], parent?: string): void {
  const where = parent ? { zh: `子表「${parent}」中`, en: ` in ${parent}` } : { zh: '', en: '' };
  const base = (f: FieldDef) => ({ field: f.id || f.key, key: f.key, ...(parent ? { parent } : {}) });
  const { pairs, added, removed } = matchFields(a, b);
  for (const f of added) {
    if (f.deleted) continue;
    const l = both(f.label);
    out.push({ kind: 'added', ...base(f), text: msg(`${where.zh}新增字段「${l.zh}」（${f.key}）`, `Added field "${l.en}" (${f.key})${where.en}`) });
  }
  for (const f of removed) {
    if (f.deleted) continue;
    const l = both(f.label);
    out.push({ kind: 'removed', ...base(f), text: msg(`${where.zh}删除字段「${l.zh}」（${f.key}）`, `Removed field "${l.en}" (${f.key})${where.en}`) });
  }
  for (const [x, y] of pairs) {
    if (x.deleted && y.deleted) continue;
    const l = both(y.label);
    if (!x.deleted && y.deleted) {
      out.push({ kind: 'removed', ...base(y), text: msg(`${where.zh}删除字段「${l.zh}」（${y.key}）`, `Removed field "${l.en}" (${y.key})${where.en}`) });
      continue;
    }
    if (x.deleted && !y.deleted) {
      out.push({ kind: 'restored', ...base(y), text: msg(`${where.zh}恢复字段「${l.zh}」（${y.key}）`, `Restored field "${l.en}" (${y.key})${where.en}`) });
    }
    if (x.key !== y.key) {
      out.push({
        kind: 'renamed', ...base(y), from: x.key, to: y.key,
        text: msg(`${where.zh}字段键 ${x.key} 改为 ${y.key}`, `Renamed field ${x.key} to ${y.key}${where.en}`),
      });
    }
    if (x.type !== y.type) {
      out.push({
        kind: 'retyped', ...base(y), from: x.type, to: y.type,
        text: msg(`${where.zh}字段 ${y.key} 的类型由 ${x.type} 改为 ${y.type}`, `Changed the type of ${y.key}${where.en} from ${x.type} to ${y.type}`),
      });
    }
    if (!jsonEqual(x.label, y.label)) {
      const o = both(x.label);
      out.push({
        kind: 'relabelled', ...base(y), from: x.label, to: y.label,
        text: msg(`${where.zh}字段 ${y.key} 的名称由「${o.zh}」改为「${l.zh}」`, `Relabelled ${y.key}${where.en} from "${o.en}" to "${l.en}"`),
      });
    }
    if (x.type === 'subtable' && y.type === 'subtable') summarizeFields(x.fields ?? [], y.fields ?? [], out, y.key);
  }
}

/**
 * What changed in a form's fields, for people: fields added, removed (or soft-deleted),
 * restored, renamed (key), retyped and relabelled, subtable row fields included (with
 * `parent`). Fields are matched by id, and by key when one side has no id yet (a new draft field).
 */
export function summarizeFormDiff(a: FormDef, b: FormDef): FormFieldChange[] {
  const out: FormFieldChange[] = [];
  summarizeFields(a.fields ?? [], b.fields ?? [], out);
  return out;
}
