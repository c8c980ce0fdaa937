/**
 * Three-way merge of metadata documents: a pack's old base, the dealer's effective document
 * (base plus local edits) and the pack's new base. What only one side changed is taken from that
 * side; what both changed differently is a conflict, reported with all three values and left at
 * the local value until someone chooses.
 *
 * Arrays whose elements carry a stable identity (`id`, else `key`, else `form` — fields, options,
 * nodes, edges, measures, permissions) merge element by element, so a field the dealer added and
 * a field the pack added both survive; order follows the new base, with local additions placed
 * after the element they followed locally. Other arrays are values.
 *
 * Paths name elements by identity, not index (`/fields[fld_phone]/label/zh-CN`), so a
 * resolution still means the same thing when the documents are re-read.
 *
 * Isomorphic.
 */
import { identityProp as sharedIdentityProp, jsonEqual } from '../meta/diff.js';

export interface MergeConflict {
  path: string;
  /** The old base's value (undefined: absent). */
  base: unknown;
  /** The local (effective) value. */
  ours: unknown;
  /** The new base's value. */
  theirs: unknown;
}

export type Choice = 'ours' | 'theirs';

export interface MergeResult {
  merged: unknown;
  conflicts: MergeConflict[];
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const IDENTITY_PROPS = ['id', 'key', 'form'] as const;
const identityProp = (arrays: unknown[][]) => sharedIdentityProp(arrays, IDENTITY_PROPS);

function identityOf(v: unknown, prop: string): string | undefined {
  if (!isObject(v)) return undefined;
  const id = v[prop];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

const seg = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Merge `ours` and `theirs`, both descended from `base`. `choose(path)` resolves a conflict
 * (default: ours); every conflict is reported whatever the choice.
 */
export function merge3(base: unknown, ours: unknown, theirs: unknown, choose: (path: string) => Choice | undefined = () => undefined): MergeResult {
  const conflicts: MergeConflict[] = [];
  const merged = mergeAt(base, ours, theirs, '', conflicts, choose);
  return { merged, conflicts };
}

function mergeAt(base: unknown, ours: unknown, theirs: unknown, path: string, conflicts: MergeConflict[], choose: (path: string) => Choice | undefined): unknown {
  if (jsonEqual(ours, theirs)) return ours;
  if (jsonEqual(base, ours)) return theirs;
  if (jsonEqual(base, theirs)) return ours;
  // Both sides changed, differently.
  if (isObject(ours) && isObject(theirs)) {
    const b = isObject(base) ? base : {};
    const out: Obj = {};
    const keys = [...new Set([...Object.keys(theirs), ...Object.keys(ours)])];
    for (const k of keys) {
      const v = mergeAt(b[k], ours[k], theirs[k], `${path}/${seg(k)}`, conflicts, choose);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    const b = Array.isArray(base) ? base : [];
    const prop = identityProp([b, ours, theirs]);
    if (prop) return mergeIdentified(b, ours, theirs, prop, path, conflicts, choose);
  }
  conflicts.push({ path, base, ours, theirs });
  return choose(path) === 'theirs' ? theirs : ours;
}

function mergeIdentified(
  base: unknown[], ours: unknown[], theirs: unknown[], prop: string, path: string, conflicts: MergeConflict[], choose: (path: string) => Choice | undefined,
): unknown[] {
  const byId = (arr: unknown[]) => new Map(arr.map((v) => [identityOf(v, prop)!, v]));
  const b = byId(base);
  const o = byId(ours);
  const t = byId(theirs);
  // Order: the new base's, then each local-only element after the element it followed locally.
  const order = theirs.map((v) => identityOf(v, prop)!);
  let after: string | null = null;
  for (const v of ours) {
    const id = identityOf(v, prop)!;
    if (!t.has(id) && !b.has(id)) {
      const at = after === null ? 0 : order.indexOf(after) + 1;
      order.splice(at, 0, id);
    }
    if (order.includes(id)) after = id;
  }
  // Elements the pack removed stay only if they were changed locally (a conflict) — or they are local-only.
  for (const v of ours) {
    const id = identityOf(v, prop)!;
    if (!order.includes(id)) order.push(id);
  }
  const out: unknown[] = [];
  for (const id of order) {
    const v = mergeAt(b.get(id), o.get(id), t.get(id), `${path}[${id}]`, conflicts, choose);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/**
 * The local changes of a document relative to its base, as the paths that differ (with both
 * values): what an upgrade will try to keep.
 */
export function overlayOf(base: unknown, effective: unknown): Array<{ path: string; base: unknown; local: unknown }> {
  // Merging the base with itself as "theirs" reports nothing; merging with an empty marker
  // would lose structure, so walk the two directly.
  const out: Array<{ path: string; base: unknown; local: unknown }> = [];
  walk(base, effective, '', out);
  return out;
}

function walk(base: unknown, local: unknown, path: string, out: Array<{ path: string; base: unknown; local: unknown }>): void {
  if (jsonEqual(base, local)) return;
  if (isObject(base) && isObject(local)) {
    for (const k of new Set([...Object.keys(base), ...Object.keys(local)])) walk(base[k], local[k], `${path}/${seg(k)}`, out);
    return;
  }
  if (Array.isArray(base) && Array.isArray(local)) {
    const prop = identityProp([base, local]);
    if (prop) {
      const b = new Map(base.map((v) => [identityOf(v, prop)!, v]));
      const l = new Map(local.map((v) => [identityOf(v, prop)!, v]));
      for (const id of new Set([...b.keys(), ...l.keys()])) walk(b.get(id), l.get(id), `${path}[${id}]`, out);
      return;
    }
  }
  out.push({ path, base, local });
}
