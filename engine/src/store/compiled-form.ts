/**
 * A published form revision, prepared once for the record layer: live fields by key, columns,
 * the subtables' child tables, the ajv validators, and the formulas that run on read.
 */
import type { FieldDef, FormDef } from '../meta/types.js';
import { columnKind, fieldTypeSpec, isComputed } from '../meta/field-types.js';
import { compileRecordValidator } from '../meta/json-schema.js';
import { recordTable, childTable } from './tables.js';
import type { Msg } from '../errors.js';

export interface CompiledSubtable {
  field: FieldDef;
  table: string;
  /** Row fields with a column. */
  columns: FieldDef[];
}

export interface CompiledForm {
  def: FormDef;
  key: string;
  revision: number;
  table: string;
  /** Live fields in order. */
  fields: FieldDef[];
  byKey: Map<string, FieldDef>;
  /** Live fields stored in a column of the main table. */
  columns: FieldDef[];
  subtables: CompiledSubtable[];
  /** Fields the client may write. */
  writable: Set<string>;
  hasVirtual: boolean;
  hasStoredFormulas: boolean;
  autonumbers: FieldDef[];
  relations: FieldDef[];
  uniques: FieldDef[];
  searchable: FieldDef[];
  rollups: FieldDef[];
  validate: { create: (p: unknown) => Record<string, Msg[]>; update: (p: unknown) => Record<string, Msg[]> };
}

export function compileForm(def: FormDef, revision: number): CompiledForm {
  const fields = def.fields.filter((f) => !f.deleted);
  const stored = (f: FieldDef) => columnKind(f) !== null && !(f.formula !== undefined && f.stored === false);
  const columns = fields.filter(stored);
  const subtables: CompiledSubtable[] = fields
    .filter((f) => f.type === 'subtable')
    .map((f) => ({ field: f, table: childTable(def.key, f.column!), columns: (f.fields ?? []).filter((sf) => !sf.deleted && stored(sf)) }));
  return {
    def,
    key: def.key,
    revision,
    table: recordTable(def.key),
    fields,
    byKey: new Map(fields.map((f) => [f.key, f])),
    columns,
    subtables,
    writable: new Set(fields.filter((f) => !isComputed(f)).map((f) => f.key)),
    hasVirtual: fields.some((f) => f.formula !== undefined && f.stored === false),
    hasStoredFormulas: fields.some((f) => f.formula !== undefined && f.stored !== false) || subtables.some((s) => (s.field.fields ?? []).some((sf) => sf.formula !== undefined)),
    autonumbers: fields.filter((f) => f.type === 'autonumber'),
    relations: fields.filter((f) => f.type === 'relation'),
    uniques: fields.filter((f) => (f.unique || f.type === 'autonumber') && columnKind(f) !== null),
    searchable: columns.filter((f) => fieldTypeSpec(f.type).searchable && !f.sensitive),
    rollups: fields.filter((f) => f.rollup),
    // The two modes share one schema today: compile it once.
    validate: ((v) => ({ create: v, update: v }))(compileRecordValidator(def, 'create')),
  };
}
