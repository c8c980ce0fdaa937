/**
 * The roles designer's document helpers: the permission matrix over a RoleDef (one entry per
 * form), what is sent to the server, and where the server's errors belong. Pure functions.
 */
import { RECORD_ACTIONS, type FieldSet, type FormPermission, type RecordAction, type RoleDef, type RowScope } from '../../../engine/src/auth/role-def';

export { RECORD_ACTIONS };
export type { FieldSet, FormPermission, RecordAction, RoleDef, RowScope };

export interface FormSummary { key: string; label: unknown; module: string | null; revision: number | null; status: string }

export const WILDCARD = '*';

/** The (first) entry of a form; entries with no action stay in the editor until saved. */
export const entryOf = (doc: RoleDef, form: string): FormPermission | undefined => doc.permissions.find((p) => p.form === form);

function withEntry(doc: RoleDef, form: string, update: (p: FormPermission) => FormPermission): RoleDef {
  const at = doc.permissions.findIndex((p) => p.form === form);
  if (at < 0) return { ...doc, permissions: [...doc.permissions, update({ form, actions: [] })] };
  return { ...doc, permissions: doc.permissions.map((p, i) => (i === at ? update(p) : p)) };
}

const ordered = (actions: Iterable<RecordAction>) => RECORD_ACTIONS.filter((a) => new Set(actions).has(a));

/** Tick or untick actions of some forms at once (a cell, a row, a column, a module). */
export function setActions(doc: RoleDef, forms: string[], actions: readonly RecordAction[], on: boolean): RoleDef {
  let out = doc;
  for (const form of forms) {
    out = withEntry(out, form, (p) => {
      const set = new Set(p.actions);
      for (const a of actions) (on ? set.add(a) : set.delete(a));
      return { ...p, actions: ordered(set) };
    });
  }
  return out;
}

export const setRows = (doc: RoleDef, form: string, rows: RowScope): RoleDef =>
  withEntry(doc, form, (p) => {
    const out = { ...p };
    if (rows === 'all') delete out.rows;
    else out.rows = rows;
    return out;
  });

export const setFieldSets = (doc: RoleDef, form: string, fields: FieldSet): RoleDef =>
  withEntry(doc, form, (p) => {
    const clean: FieldSet = {};
    for (const k of ['hidden', 'readOnly', 'masked'] as const) if (fields[k]?.length) clean[k] = [...fields[k]!];
    const out = { ...p };
    if (Object.keys(clean).length) out.fields = clean;
    else delete out.fields;
    return out;
  });

/** How many of these forms allow the action: for the header/group checkboxes. */
export function tickState(doc: RoleDef, forms: string[], action: RecordAction | null): { checked: boolean; indeterminate: boolean } {
  if (!forms.length) return { checked: false, indeterminate: false };
  let on = 0;
  let total = 0;
  for (const f of forms) {
    const acts = entryOf(doc, f)?.actions ?? [];
    for (const a of action ? [action] : RECORD_ACTIONS) {
      total++;
      if (acts.includes(a)) on++;
    }
  }
  return { checked: on === total, indeterminate: on > 0 && on < total };
}

/** The document as saved: entries with no action left out (the metaschema wants at least one). */
export function toSave(doc: RoleDef): RoleDef {
  return { ...doc, permissions: doc.permissions.filter((p) => p.actions.length > 0) };
}

export type ErrorColumn = 'form' | 'actions' | 'rows' | 'fields';
export interface PlacedRoleErrors {
  /** form key → column → messages */
  byForm: Map<string, Partial<Record<ErrorColumn, string[]>>>;
  /** errors on the role itself (label, key, …) */
  role: Array<{ path: string; message: string }>;
}

/** Server errors (JSON Pointers into the saved document) → the matrix cell they belong to. */
export function placeRoleErrors(saved: RoleDef, fields: Record<string, string[]>): PlacedRoleErrors {
  const byForm: PlacedRoleErrors['byForm'] = new Map();
  const role: PlacedRoleErrors['role'] = [];
  for (const [path, messages] of Object.entries(fields)) {
    const m = /^\/permissions\/(\d+)(?:\/([^/]+))?/.exec(path);
    const entry = m ? saved.permissions[Number(m[1])] : undefined;
    if (!entry) {
      for (const message of messages) role.push({ path, message });
      continue;
    }
    const col: ErrorColumn = m![2] === 'rows' ? 'rows' : m![2] === 'fields' ? 'fields' : m![2] === 'actions' ? 'actions' : 'form';
    const cell = byForm.get(entry.form) ?? {};
    cell[col] = [...(cell[col] ?? []), ...messages];
    byForm.set(entry.form, cell);
  }
  return { byForm, role };
}

/** Forms grouped by module (modules sorted, "no module" last), only published ones. */
export function groupByModule(forms: FormSummary[]): Array<{ module: string | null; forms: FormSummary[] }> {
  const groups = new Map<string | null, FormSummary[]>();
  for (const f of forms) {
    if (f.revision == null) continue;
    const list = groups.get(f.module ?? null) ?? [];
    list.push(f);
    groups.set(f.module ?? null, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)))
    .map(([module, list]) => ({ module, forms: list }));
}

export const scopeKind = (rows: RowScope | undefined): 'all' | 'own' | 'department' | 'rule' =>
  rows === undefined ? 'all' : typeof rows === 'object' ? 'rule' : rows;
