/**
 * Identity assignment for form documents.
 *
 * A new field may arrive without `id`; the engine gives it one. A field's `column` is fixed the
 * first time it is published and never changes afterwards, so renaming a key is free.
 * Isomorphic.
 */
import type { FieldDef, FormDef } from './types.js';

function randomId(): string {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('');
}

export function newFieldId(): string {
  return 'fld_' + randomId();
}

/**
 * Give every field (and subtable field) without an id a fresh one, and carry `column` over
 * from `previous` for fields that keep their id. Returns a new document; the input is untouched.
 */
export function assignFieldIds(form: FormDef, previous?: FormDef | null): FormDef {
  const prevById = new Map<string, FieldDef>();
  const walkPrev = (fields: FieldDef[] | undefined) => {
    for (const f of fields ?? []) {
      prevById.set(f.id, f);
      walkPrev(f.fields);
    }
  };
  walkPrev(previous?.fields);
  const seen = new Set<string>();
  const walk = (fields: FieldDef[]): FieldDef[] =>
    fields.map((f) => {
      let id = f.id;
      if (!id || seen.has(id)) id = newFieldId();
      seen.add(id);
      const prev = prevById.get(id);
      const out: FieldDef = { ...f, id };
      if (prev?.column) out.column = prev.column;
      else if (!prev) delete out.column; // a client cannot choose a column for a new field
      if (f.fields) out.fields = walk(f.fields);
      return out;
    });
  return { ...form, fields: walk(form.fields ?? []) };
}

/**
 * Fix the columns of fields that have none yet (at publish): the key, made unique among the
 * columns already used in the same table (live or soft-deleted).
 */
export function assignColumns(form: FormDef): FormDef {
  const assign = (fields: FieldDef[]): FieldDef[] => {
    const used = new Set(fields.map((f) => f.column).filter(Boolean) as string[]);
    return fields.map((f) => {
      const out: FieldDef = { ...f };
      if (!out.column) {
        let col = f.key;
        for (let i = 2; used.has(col); i++) col = `${f.key}_${i}`;
        used.add(col);
        out.column = col;
      }
      if (f.fields) out.fields = assign(f.fields);
      return out;
    });
  };
  return { ...form, fields: assign(form.fields) };
}

/** Walk a form's fields (subtable fields after their subtable), with the parent subtable. */
export function* walkFields(form: FormDef): Generator<{ field: FieldDef; parent?: FieldDef }> {
  for (const f of form.fields) {
    yield { field: f };
    if (f.type === 'subtable') for (const sf of f.fields ?? []) yield { field: sf, parent: f };
  }
}
