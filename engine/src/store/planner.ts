/**
 * The table planner: a published form is a real table, and every later publish is a planned
 * migration (ARCHITECTURE.md decision 2).
 *
 *   prepareForPublish(prev, draft)  the document to publish: ids, soft deletes, columns
 *   planForm(prev, next)            pure: the steps (create table, add column, retype, index…)
 *   checkPlan(knex, …)              looks at the stored data: what a retype would lose, duplicates
 *   applyPlan(trx, …)               runs the DDL and value conversions inside the caller's transaction
 *
 * Fields are matched by their immutable `id`; a field's `column` never changes, so a key rename
 * or a label change is metadata only. A field missing from the draft is soft-deleted (column and
 * data kept); only an explicit purge drops a column. A type change runs only along
 * ALLOWED_TYPE_CHANGES, after every stored value has been checked; whatever would lose data is
 * refused unless confirmed.
 */
import type { Knex } from 'knex';
import type { FieldDef, FieldType, FormDef } from '../meta/types.js';
import { assignColumns, assignFieldIds } from '../meta/normalize.js';
import { columnKind, fieldTypeSpec, type ColumnKind, type JsonSchema } from '../meta/field-types.js';
import { AppError, msg } from '../errors.js';
import { childTable, recordTable } from './tables.js';
import type { Dialect } from './connection.js';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  childSystemColumnsSql, columnExists, createIndex, dropColumn, dropIndex, fieldColumnSql, fieldSqlType,
  indexName, q, systemColumnsSql, tableExists,
} from './ddl.js';

// ---------------------------------------------------------------------------------------------
// Types

export type PlanOp =
  | 'create_table' | 'add_column' | 'add_index' | 'drop_index' | 'add_unique' | 'drop_unique'
  | 'create_child_table' | 'soft_delete' | 'restore' | 'rename' | 'change_type' | 'purge';

export interface PlanStep {
  op: PlanOp;
  /** The field key (`subtable.key` for a subtable's field). */
  field?: string;
  /** The field id (stable across renames). */
  fieldId?: string;
  table: string;
  column?: string;
  /** Applying it loses stored data (set by planForm for purges, by checkPlan for retypes). */
  destructive: boolean;
  detail?: Record<string, unknown>;
}

export interface TablePlan {
  form: string;
  steps: PlanStep[];
}

/** A draft field may ask for its column to be dropped: `deleted: true, purge: true`. */
export type DraftFieldDef = FieldDef & { purge?: boolean };

/**
 * The type changes a publish may make in place (from → allowed targets). Anything else is refused:
 * add a new field instead. Stored values are checked before the change (checkPlan).
 */
export const ALLOWED_TYPE_CHANGES: Readonly<Partial<Record<FieldType, readonly FieldType[]>>> = {
  text: ['textarea', 'phone', 'email', 'url', 'select'],
  textarea: ['text', 'phone', 'email', 'url', 'select'],
  phone: ['text', 'textarea'],
  email: ['text', 'textarea'],
  url: ['text', 'textarea'],
  select: ['text', 'textarea'],
  tags: ['multiselect'],
  multiselect: ['tags'],
  number: ['percent', 'money'],
  percent: ['number'],
  money: ['number'],
  date: ['datetime'],
  datetime: ['date'],
  boolean: ['number'],
};

export function isTypeChangeAllowed(from: FieldType, to: FieldType): boolean {
  return from === to || (ALLOWED_TYPE_CHANGES[from]?.includes(to) ?? false);
}

/** Largest money value (major units) a column holds; matches the money valueSchema. */
const MONEY_MAX = 9_000_000_000_000;

// ---------------------------------------------------------------------------------------------
// Field facts

/** Whether a field has a column of its own (a subtable is a child table; unstored formulas have none). */
export function hasColumn(f: FieldDef): boolean {
  if (f.type === 'subtable') return false;
  if (f.formula !== undefined && f.stored === false) return false;
  return columnKind(f) != null;
}

type IndexKind = 'unique' | 'index' | null;

/** The index a field's column carries: unique (unique, autonumber), plain (indexed, relation, user, department) or none. */
export function fieldIndexKind(f: FieldDef): IndexKind {
  if (!hasColumn(f)) return null;
  if (f.unique || f.type === 'autonumber') return 'unique';
  if (f.indexed || f.type === 'relation' || f.type === 'user' || f.type === 'department') return 'index';
  return null;
}

function kindOf(f: FieldDef): ColumnKind {
  const k = columnKind(f);
  if (!k) throw new Error(`field ${f.key} has no column kind`);
  return k;
}

interface Located {
  field: FieldDef;
  /** The subtable holding it, if any. */
  parent?: FieldDef;
  path: string;
}

function locate(form: FormDef | null): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const f of form?.fields ?? []) {
    out.set(f.id, { field: f, path: f.key });
    if (f.type === 'subtable') for (const sf of f.fields ?? []) out.set(sf.id, { field: sf, parent: f, path: `${f.key}.${sf.key}` });
  }
  return out;
}

function tableOf(form: string, loc: { parent?: FieldDef }): string {
  return loc.parent ? childTable(form, loc.parent.column!) : recordTable(form);
}

const refuse = (path: string, zh: string, en: string, details?: Record<string, unknown>) =>
  new AppError('validation', msg(zh, en), { fields: { [path]: [msg(zh, en)] }, details: { field: path, ...details } });

// ---------------------------------------------------------------------------------------------
// 1. prepareForPublish

/**
 * The document to publish from a draft: ids assigned (columns carried over by id), every field of
 * `prev` missing from the draft carried over soft-deleted, `deleted: true, purge: true` fields
 * removed (their columns are dropped by the plan), never-published deleted fields removed, and
 * columns fixed for new fields. Live fields keep the draft's order; deleted ones go last.
 */
export function prepareForPublish(prev: FormDef | null, draft: FormDef): FormDef {
  const withIds = assignFieldIds(draft, prev);
  const prevIds = new Set(locate(prev).keys());
  const draftIds = new Set<string>();
  for (const f of withIds.fields) {
    draftIds.add(f.id);
    for (const sf of f.fields ?? []) draftIds.add(sf.id);
  }
  const purged = new Set<string>();

  const level = (draftFields: DraftFieldDef[], prevFields: FieldDef[]): FieldDef[] => {
    const live: FieldDef[] = [];
    const dead: FieldDef[] = [];
    const prevSame = new Map(prevFields.map((f) => [f.id, f]));
    for (const df of draftFields) {
      const { purge, ...rest } = df;
      const f: FieldDef = { ...rest };
      if (!f.deleted) delete f.deleted;
      if (f.deleted && !prevIds.has(f.id)) continue; // never published, nothing to keep
      if (f.deleted && purge) {
        purged.add(f.id);
        dead.push(f); // kept for column reservation below, removed afterwards
        continue;
      }
      if (f.type === 'subtable') {
        const ps = prevSame.get(f.id);
        f.fields = level((f.fields ?? []) as DraftFieldDef[], ps?.type === 'subtable' ? ps.fields ?? [] : []);
      } else {
        delete f.fields;
      }
      (f.deleted ? dead : live).push(f);
    }
    for (const pf of prevFields) {
      if (draftIds.has(pf.id)) continue;
      dead.push({ ...structuredClone(pf), deleted: true });
    }
    return [...live, ...dead];
  };

  const carried: FormDef = { ...withIds, fields: level(withIds.fields as DraftFieldDef[], prev?.fields ?? []) };
  // Columns: purged fields still reserve their names in this publish (the drop and an add of the
  // same name in one plan would be confusing), so assign first, then remove them.
  const withColumns = assignColumns(carried);
  const strip = (fields: FieldDef[]): FieldDef[] =>
    fields.filter((f) => !purged.has(f.id)).map((f) => (f.fields ? { ...f, fields: strip(f.fields) } : f));
  return { ...withColumns, fields: strip(withColumns.fields) };
}

// ---------------------------------------------------------------------------------------------
// 2. planForm

function columnsDetail(fields: FieldDef[], path: (f: FieldDef) => string) {
  return fields.filter(hasColumn).map((f) => ({
    field: path(f),
    column: f.column,
    kind: columnKind(f),
    ...(f.type === 'relation' ? { references: recordTable(f.relation!.form), relation: f.relation!.form } : {}),
  }));
}

function indexSteps(table: string, f: FieldDef, path: string): PlanStep[] {
  const k = fieldIndexKind(f);
  if (!k) return [];
  return [{ op: k === 'unique' ? 'add_unique' : 'add_index', field: path, fieldId: f.id, table, column: f.column, destructive: false, detail: { index: indexName(k === 'unique' ? 'ux' : 'ix', table, f.column!) } }];
}

function assertPrepared(f: FieldDef, path: string) {
  if (!f.id) throw new AppError('internal', msg(`字段 ${path} 没有 id`, `Field '${path}' has no id (call prepareForPublish first)`));
  if (f.type !== 'subtable' && !f.column) {
    throw new AppError('internal', msg(`字段 ${path} 没有列`, `Field '${path}' has no column (call prepareForPublish first)`));
  }
  if (f.type === 'subtable' && !f.column) {
    throw new AppError('internal', msg(`子表 ${path} 没有列`, `Subtable '${path}' has no column (call prepareForPublish first)`));
  }
  if (f.type === 'relation' && !f.relation?.form) throw refuse(path, `关联字段 ${path} 没有目标表单`, `Relation field '${path}' has no target form`);
}

/** Describe a field's storage for the refusal messages. */
function storageName(f: FieldDef): string {
  if (f.type === 'relation') return `relation(${f.relation?.form})`;
  if ((f.type === 'user' || f.type === 'department') && f.multiple) return `${f.type}[]`;
  if (f.formula !== undefined && f.stored === false) return `${f.type} (computed, not stored)`;
  return f.type;
}

/** The plan turning `prev`'s table(s) into `next`'s. Pure; refuses type changes outside the allow-list. */
export function planForm(prev: FormDef | null, next: FormDef): TablePlan {
  const form = next.key;
  const steps: PlanStep[] = [];
  const mainTable = recordTable(form);
  for (const { field, path } of locate(next).values()) assertPrepared(field, path);

  if (!prev) {
    steps.push({ op: 'create_table', table: mainTable, destructive: false, detail: { columns: columnsDetail(next.fields, (f) => f.key) } });
    const idx: PlanStep[] = [];
    for (const f of next.fields) {
      if (f.type === 'subtable') {
        const ct = childTable(form, f.column!);
        const fields = f.fields ?? [];
        steps.push({ op: 'create_child_table', field: f.key, fieldId: f.id, table: ct, column: f.column, destructive: false, detail: { parent: mainTable, columns: columnsDetail(fields, (sf) => `${f.key}.${sf.key}`) } });
        for (const sf of fields) idx.push(...indexSteps(ct, sf, `${f.key}.${sf.key}`));
      } else idx.push(...indexSteps(mainTable, f, f.key));
    }
    return { form, steps: [...steps, ...idx] };
  }

  if (prev.key !== next.key) {
    throw new AppError('validation', msg('表单的 key 不能修改', `A form's key cannot change ('${prev.key}' → '${next.key}')`));
  }

  const before = locate(prev);
  const after = locate(next);
  const purges: PlanStep[] = [];
  const creates: PlanStep[] = [];
  const adds: PlanStep[] = [];
  const dropIdx: PlanStep[] = [];
  const retypes: PlanStep[] = [];
  const addIdx: PlanStep[] = [];
  const meta: PlanStep[] = [];

  // Purges: fields of prev missing from next.
  for (const [id, loc] of before) {
    if (after.has(id)) continue;
    if (loc.parent && !after.has(loc.parent.id)) continue; // its whole child table goes
    const f = loc.field;
    const table = tableOf(form, loc);
    if (f.type === 'subtable') {
      purges.push({ op: 'purge', field: loc.path, fieldId: id, table: childTable(form, f.column!), column: f.column, destructive: true, detail: { dropTable: true } });
    } else {
      const col = hasColumn(f);
      purges.push({ op: 'purge', field: loc.path, fieldId: id, table, column: f.column, destructive: col, detail: col ? { dropColumn: true } : { noColumn: true } });
    }
  }

  for (const [id, loc] of after) {
    const f = loc.field;
    const table = tableOf(form, loc);
    const was = before.get(id);
    if (!was) {
      if (loc.parent && !before.has(loc.parent.id)) continue; // created with its child table
      if (f.type === 'subtable') {
        const fields = f.fields ?? [];
        creates.push({ op: 'create_child_table', field: loc.path, fieldId: id, table: childTable(form, f.column!), column: f.column, destructive: false, detail: { parent: mainTable, columns: columnsDetail(fields, (sf) => `${f.key}.${sf.key}`) } });
        for (const sf of fields) addIdx.push(...indexSteps(childTable(form, f.column!), sf, `${f.key}.${sf.key}`));
      } else if (hasColumn(f)) {
        adds.push({
          op: 'add_column', field: loc.path, fieldId: id, table, column: f.column, destructive: false,
          detail: { kind: columnKind(f), ...(f.type === 'relation' ? { references: recordTable(f.relation!.form), relation: f.relation!.form } : {}) },
        });
        addIdx.push(...indexSteps(table, f, loc.path));
      }
      continue;
    }

    const pf = was.field;
    if ((was.parent?.id ?? null) !== (loc.parent?.id ?? null)) {
      throw refuse(loc.path, `字段 ${loc.path} 不能在表单和子表之间移动，请新建字段`, `Field '${loc.path}' cannot move between the form and a subtable; add a new field instead`);
    }
    if (pf.column !== f.column) {
      throw refuse(loc.path, `字段 ${loc.path} 的列不能修改`, `The column of field '${loc.path}' cannot change ('${pf.column}' → '${f.column}')`);
    }

    // Storage changes.
    const typeChanged = pf.type !== f.type;
    const sameStorage =
      !typeChanged &&
      (pf.type !== 'relation' || pf.relation?.form === f.relation?.form) &&
      !!pf.multiple === !!f.multiple &&
      hasColumn(pf) === hasColumn(f);
    if (!sameStorage) {
      const from = storageName(pf);
      const to = storageName(f);
      const allowed = typeChanged && isTypeChangeAllowed(pf.type, f.type) && hasColumn(pf) && hasColumn(f) &&
        !!pf.multiple === !!f.multiple;
      if (!allowed) {
        throw refuse(
          loc.path,
          `字段 ${loc.path} 不能从 ${from} 改为 ${to}，请新建一个字段`,
          `Field '${loc.path}' cannot change from ${from} to ${to}; add a new field instead`,
          { from, to },
        );
      }
      retypes.push({ op: 'change_type', field: loc.path, fieldId: id, table, column: f.column, destructive: false, detail: { from: pf.type, to: f.type } });
    }

    if (pf.key !== f.key) meta.push({ op: 'rename', field: loc.path, fieldId: id, table, column: f.column, destructive: false, detail: { from: pf.key, to: f.key } });
    if (!pf.deleted && f.deleted) meta.push({ op: 'soft_delete', field: loc.path, fieldId: id, table, column: f.column, destructive: false });
    if (pf.deleted && !f.deleted) meta.push({ op: 'restore', field: loc.path, fieldId: id, table, column: f.column, destructive: false });

    if (f.type !== 'subtable') {
      const ik0 = fieldIndexKind(pf);
      const ik1 = fieldIndexKind(f);
      if (ik0 !== ik1) {
        if (ik0) dropIdx.push({ op: ik0 === 'unique' ? 'drop_unique' : 'drop_index', field: loc.path, fieldId: id, table, column: f.column, destructive: false, detail: { index: indexName(ik0 === 'unique' ? 'ux' : 'ix', table, f.column!) } });
        if (ik1) addIdx.push(...indexSteps(table, f, loc.path));
      }
    }
  }

  return { form, steps: [...purges, ...creates, ...adds, ...dropIdx, ...retypes, ...addIdx, ...meta] };
}

// ---------------------------------------------------------------------------------------------
// Value conversions (change_type): what fails, what confirmation does, and the conversion itself.

interface Sql {
  sql: string;
  bindings: unknown[];
}

interface Conversion {
  /** Human reason shown with the failing count. */
  reason: string;
  /** Stored (non-null) values that would not survive, as a SQL condition on the column. */
  failSql?: Sql;
  /** …or, where SQL cannot say it the way the validator does, a check on each raw value. */
  failJs?: (raw: unknown) => boolean;
  /** Confirmed: the failing values set to NULL (SQL condition). Default: all failing ones. */
  nullSql?: Sql | null;
  /** Confirmed, JS checks: the repaired value (undefined → NULL). */
  fixJs?: (raw: unknown) => unknown;
  /** The conversion itself, after failing values were nulled or repaired. */
  convert(knex: Knex, table: string, column: string): Promise<void>;
}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();
function validatorFor(schema: JsonSchema): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: false });
    const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => void;
    addFormats(ajv);
  }
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(key, v);
  }
  return v;
}

const STRING_TYPES: FieldType[] = ['text', 'textarea', 'phone', 'email', 'url', 'select'];
const parseJson = (v: unknown) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
};

function conversionFor(dialect: Dialect, from: FieldDef, to: FieldDef, c: string): Conversion {
  const pg = dialect === 'pg';
  const noop = async () => {};
  const alterType = (usingSql: string) => async (knex: Knex, table: string, column: string) => {
    if (pg) await knex.raw(`ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} TYPE ${fieldSqlType(dialect, to)} USING ${usingSql}`);
  };

  if (STRING_TYPES.includes(from.type) && STRING_TYPES.includes(to.type)) {
    const typeFrom = fieldSqlType(dialect, from);
    const typeTo = fieldSqlType(dialect, to);
    const convert = typeFrom === typeTo ? noop : alterType(`${c}::${typeTo}`);
    const schema = fieldTypeSpec(to.type).valueSchema(to);
    const len = pg ? `char_length(${c})` : `length(${c})`;
    const nonText = pg ? 'false' : `typeof(${c}) <> 'text'`;
    if (to.type === 'select') {
      const keys = (to.options ?? []).map((o) => o.key);
      return {
        reason: 'not an option of the select',
        failSql: keys.length ? { sql: `${c} NOT IN (${keys.map(() => '?').join(', ')})`, bindings: keys } : { sql: '1 = 1', bindings: [] },
        convert,
      };
    }
    const onlyLength = Object.keys(schema).every((k) => ['type', 'maxLength', 'minLength'].includes(k));
    if (onlyLength) {
      const parts = [nonText];
      if (typeof schema.maxLength === 'number') parts.push(`${len} > ${Number(schema.maxLength)}`);
      if (typeof schema.minLength === 'number') parts.push(`${len} < ${Number(schema.minLength)}`);
      return {
        reason: `longer than ${schema.maxLength} characters`,
        failSql: { sql: parts.join(' OR '), bindings: [] },
        convert,
      };
    }
    const validate = validatorFor(schema);
    return {
      reason: `not a valid ${to.type}`,
      failJs: (raw) => !validate(typeof raw === 'string' ? raw : String(raw)),
      convert,
    };
  }

  if ((from.type === 'tags' || from.type === 'multiselect') && (to.type === 'tags' || to.type === 'multiselect')) {
    const schema = fieldTypeSpec(to.type).valueSchema(to);
    const validate = validatorFor(schema);
    const validItem = validatorFor((schema.items ?? {}) as JsonSchema);
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
    return {
      reason: to.type === 'multiselect' ? 'has items that are not options' : 'has items that are not valid tags',
      failJs: (raw) => !validate(parseJson(raw)),
      fixJs: (raw) => {
        const v = parseJson(raw);
        if (!Array.isArray(v)) return undefined;
        const kept = [...new Set(v.filter((x) => validItem(x)))].slice(0, maxItems);
        return JSON.stringify(kept);
      },
      convert: noop,
    };
  }

  const numeric = (t: FieldType) => t === 'number' || t === 'percent';
  if (numeric(from.type) && numeric(to.type)) return { reason: '', convert: noop };

  if (from.type === 'number' && to.type === 'money') {
    const bad = pg ? `${c} = 'NaN'::float8 OR abs(${c}) > ${MONEY_MAX}` : `typeof(${c}) NOT IN ('integer', 'real') OR abs(${c}) > ${MONEY_MAX}`;
    const subCent = pg
      ? `(CASE WHEN ${c} = 'NaN'::float8 OR abs(${c}) > ${MONEY_MAX} THEN true ELSE ${c}::numeric * 100 <> round(${c}::numeric * 100) END)`
      : `abs(${c} * 100 - round(${c} * 100)) > 1e-6`;
    return {
      reason: 'out of the money range (nulled) or finer than a cent (rounded)',
      failSql: { sql: `${bad} OR ${subCent}`, bindings: [] },
      nullSql: { sql: bad, bindings: [] },
      convert: async (knex, table, column) => {
        if (pg) await knex.raw(`ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} TYPE bigint USING round(${q(column)}::numeric * 100)::bigint`);
        else await knex.raw(`UPDATE ${q(table)} SET ${q(column)} = CAST(round(${q(column)} * 100) AS INTEGER) WHERE ${q(column)} IS NOT NULL`);
      },
    };
  }

  if (from.type === 'money' && to.type === 'number') {
    return {
      reason: '',
      failSql: pg ? undefined : { sql: `typeof(${c}) NOT IN ('integer', 'real')`, bindings: [] },
      convert: async (knex, table, column) => {
        if (pg) await knex.raw(`ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} TYPE double precision USING (${q(column)} / 100.0)::double precision`);
        else await knex.raw(`UPDATE ${q(table)} SET ${q(column)} = ${q(column)} / 100.0 WHERE ${q(column)} IS NOT NULL`);
      },
    };
  }

  if (from.type === 'boolean' && to.type === 'number') {
    return {
      reason: '',
      convert: async (knex, table, column) => {
        const col = q(column);
        if (pg) await knex.raw(`ALTER TABLE ${q(table)} ALTER COLUMN ${col} TYPE double precision USING (CASE WHEN ${col} IS NULL THEN NULL WHEN ${col} THEN 1 ELSE 0 END)`);
        else await knex.raw(`UPDATE ${q(table)} SET ${col} = CASE WHEN ${col} IN (1, '1', 'true', 't') THEN 1 ELSE 0 END WHERE ${col} IS NOT NULL`);
      },
    };
  }

  if (from.type === 'date' && to.type === 'datetime') {
    return {
      reason: 'not a valid date',
      failSql: pg ? undefined : { sql: `NOT (typeof(${c}) = 'text' AND ${c} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(${c}) = ${c})`, bindings: [] },
      convert: async (knex, table, column) => {
        const col = q(column);
        if (pg) await knex.raw(`ALTER TABLE ${q(table)} ALTER COLUMN ${col} TYPE timestamptz USING (${col}::timestamp AT TIME ZONE 'UTC')`);
        else await knex.raw(`UPDATE ${q(table)} SET ${col} = ${col} || 'T00:00:00.000Z' WHERE ${col} IS NOT NULL`);
      },
    };
  }

  if (from.type === 'datetime' && to.type === 'date') {
    const time = `strftime('%H:%M:%f', ${c})`;
    return {
      reason: 'has a time of day (truncated to the UTC date)',
      failSql: pg
        ? { sql: `(${c} AT TIME ZONE 'UTC')::time <> time '00:00:00'`, bindings: [] }
        : { sql: `${time} IS NULL OR ${time} <> '00:00:00.000'`, bindings: [] },
      nullSql: pg ? null : { sql: `${time} IS NULL`, bindings: [] },
      convert: async (knex, table, column) => {
        const col = q(column);
        if (pg) await knex.raw(`ALTER TABLE ${q(table)} ALTER COLUMN ${col} TYPE date USING (${col} AT TIME ZONE 'UTC')::date`);
        else await knex.raw(`UPDATE ${q(table)} SET ${col} = date(${col}) WHERE ${col} IS NOT NULL`);
      },
    };
  }

  throw new AppError('internal', msg(`没有 ${from.type} → ${to.type} 的转换`, `No conversion from ${from.type} to ${to.type}`));
}

// ---------------------------------------------------------------------------------------------
// 3. checkPlan

const SAMPLE_SIZE = 5;
const SCAN_BATCH = 2000;

function fieldPair(prev: FormDef | null, next: FormDef, step: PlanStep): { from?: FieldDef; to?: FieldDef } {
  const id = step.fieldId;
  if (!id) return {};
  return { from: locate(prev).get(id)?.field, to: locate(next).get(id)?.field };
}

async function countWhere(knex: Knex, table: string, col: string, cond: Sql): Promise<{ n: number; samples: number[] }> {
  const where = `${col} IS NOT NULL AND (${cond.sql})`;
  const r = await knex.raw(`SELECT count(*) AS n FROM ${q(table)} WHERE ${where}`, cond.bindings as any[]);
  const rows = (r.rows ?? r) as Array<{ n: number | string }>;
  const n = Number(rows[0]?.n ?? 0);
  if (!n) return { n, samples: [] };
  const s = await knex.raw(`SELECT id FROM ${q(table)} WHERE ${where} ORDER BY id LIMIT ${SAMPLE_SIZE}`, cond.bindings as any[]);
  return { n, samples: ((s.rows ?? s) as Array<{ id: number }>).map((x) => Number(x.id)) };
}

/** Every non-null stored value of a column, in id order, in batches. */
async function* scan(knex: Knex, table: string, column: string): AsyncGenerator<Array<{ id: number; v: unknown }>> {
  let last = 0;
  for (;;) {
    const r = await knex.raw(
      `SELECT id, ${q(column)} AS v FROM ${q(table)} WHERE ${q(column)} IS NOT NULL AND id > ? ORDER BY id LIMIT ${SCAN_BATCH}`,
      [last],
    );
    const rows = ((r.rows ?? r) as Array<{ id: number; v: unknown }>).map((x) => ({ id: Number(x.id), v: x.v }));
    if (!rows.length) return;
    yield rows;
    last = rows[rows.length - 1].id;
    if (rows.length < SCAN_BATCH) return;
  }
}

interface Failing {
  n: number;
  samples: number[];
}

async function failingOf(knex: Knex, conv: Conversion, table: string, column: string): Promise<Failing> {
  if (conv.failSql) return countWhere(knex, table, q(column), conv.failSql);
  if (conv.failJs) {
    let n = 0;
    const samples: number[] = [];
    for await (const rows of scan(knex, table, column)) {
      for (const r of rows) {
        if (conv.failJs(r.v)) {
          n++;
          if (samples.length < SAMPLE_SIZE) samples.push(r.id);
        }
      }
    }
    return { n, samples };
  }
  return { n: 0, samples: [] };
}

/** Tables whose data a plan reads and then changes (locked on PostgreSQL so the check stays true). */
function checkedTables(plan: TablePlan): string[] {
  return [...new Set(plan.steps.filter((s) => s.op === 'change_type' || s.op === 'add_unique').map((s) => s.table))];
}

const checkedIn = new WeakMap<TablePlan, Knex>();

/**
 * Look at the stored data: mark a change_type `destructive` with `detail.failing` (count) and
 * `detail.samples` (up to 5 record ids) when some value would not survive; count the values a
 * purge drops; refuse (conflict) a unique index over duplicated values. Returns a new plan.
 * Inside a PostgreSQL transaction the checked tables are locked against writes until it ends.
 */
export async function checkPlan(knex: Knex, dialect: Dialect, plan: TablePlan, prev: FormDef | null, next: FormDef): Promise<TablePlan> {
  const created = new Set<string>();
  for (const s of plan.steps) {
    if (s.op === 'create_table' || s.op === 'create_child_table') created.add(s.table);
    if (s.op === 'add_column') created.add(`${s.table}\u0000${s.column}`);
  }
  const isNew = (s: PlanStep) => created.has(s.table) || created.has(`${s.table}\u0000${s.column}`);

  if (dialect === 'pg' && (knex as any).isTransaction) {
    for (const t of checkedTables(plan)) {
      if (!created.has(t)) await knex.raw(`LOCK TABLE ${q(t)} IN SHARE MODE`);
    }
  }

  const steps: PlanStep[] = [];
  for (const step of plan.steps) {
    const s: PlanStep = { ...step, detail: step.detail ? { ...step.detail } : undefined };
    steps.push(s);
    if (s.op === 'change_type') {
      const { from, to } = fieldPair(prev, next, s);
      if (!from || !to) continue;
      const conv = conversionFor(dialect, from, to, q(s.column!));
      const f = await failingOf(knex, conv, s.table, s.column!);
      s.detail = { ...s.detail, failing: f.n, samples: f.samples, ...(f.n ? { reason: conv.reason } : {}) };
      s.destructive = f.n > 0;
    } else if (s.op === 'purge' && s.destructive && !isNew(s)) {
      if (s.detail?.dropTable) {
        if (await tableExists(knex, dialect, s.table)) {
          const r = await knex.raw(`SELECT count(*) AS n FROM ${q(s.table)}`);
          s.detail = { ...s.detail, rows: Number(((r.rows ?? r) as any[])[0].n) };
        }
      } else if (await columnExists(knex, dialect, s.table, s.column!)) {
        const r = await knex.raw(`SELECT count(*) AS n FROM ${q(s.table)} WHERE ${q(s.column!)} IS NOT NULL`);
        s.detail = { ...s.detail, values: Number(((r.rows ?? r) as any[])[0].n) };
      }
    } else if (s.op === 'add_unique' && !isNew(s)) {
      const col = q(s.column!);
      const r = await knex.raw(
        `SELECT count(*) AS n, coalesce(sum(c), 0) AS r FROM (SELECT count(*) AS c FROM ${q(s.table)} WHERE ${col} IS NOT NULL GROUP BY ${col} HAVING count(*) > 1) d`,
      );
      const row = ((r.rows ?? r) as any[])[0];
      const dup = Number(row?.n ?? 0);
      if (dup > 0) {
        const rows = Number(row.r);
        throw new AppError(
          'conflict',
          msg(`字段 ${s.field} 有 ${dup} 个重复的值（${rows} 条记录），不能设为唯一`, `Field '${s.field}' has ${dup} duplicated value(s) in ${rows} records; it cannot be made unique`),
          { fields: { [s.field!]: [msg(`有 ${dup} 个重复的值`, `${dup} duplicated value(s)`)] }, details: { field: s.field, duplicates: dup, rows } },
        );
      }
    }
  }
  const out = { form: plan.form, steps };
  if ((knex as any).isTransaction) checkedIn.set(out, knex);
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4. applyPlan

export interface ApplyOptions {
  /** Apply steps that lose data (values that cannot convert become NULL; purges drop columns). */
  confirmDataLoss?: boolean;
}

async function assertRelationTargets(knex: Knex, dialect: Dialect, plan: TablePlan, next: FormDef): Promise<void> {
  const creating = new Set(plan.steps.filter((s) => s.op === 'create_table').map((s) => s.table));
  const targets: Array<{ field: string; form: string }> = [];
  for (const s of plan.steps) {
    if (s.op === 'add_column' && s.detail?.relation) targets.push({ field: s.field!, form: String(s.detail.relation) });
    if (s.op === 'create_table' || s.op === 'create_child_table') {
      for (const c of (s.detail?.columns ?? []) as Array<{ field: string; relation?: string }>) {
        if (c.relation) targets.push({ field: c.field, form: c.relation });
      }
    }
  }
  for (const t of targets) {
    const table = recordTable(t.form);
    if (t.form === next.key || creating.has(table)) continue;
    if (!(await tableExists(knex, dialect, table))) {
      const m = msg(`关联字段 ${t.field} 的目标表单 ${t.form} 不存在或未发布`, `Relation field '${t.field}': the target form '${t.form}' does not exist or is not published`);
      throw new AppError('validation', m, { fields: { [t.field]: [m] }, details: { field: t.field, target: t.form } });
    }
  }
}

function fieldsOfTable(form: FormDef, table: string): FieldDef[] {
  if (table === recordTable(form.key)) return form.fields;
  const sub = form.fields.find((f) => f.type === 'subtable' && childTable(form.key, f.column!) === table);
  return sub?.fields ?? [];
}

function columnDefs(dialect: Dialect, fields: FieldDef[]): string[] {
  return fields.filter(hasColumn).map((f) => fieldColumnSql(dialect, f, f.column!, f.type === 'relation' ? recordTable(f.relation!.form) : undefined));
}

async function createTable(knex: Knex, table: string, defs: string[]): Promise<void> {
  await knex.raw(`CREATE TABLE ${q(table)} (\n  ${defs.join(',\n  ')}\n)`);
}

async function applyConversion(knex: Knex, dialect: Dialect, step: PlanStep, from: FieldDef, to: FieldDef): Promise<void> {
  const table = step.table;
  const column = step.column!;
  const col = q(column);
  const conv = conversionFor(dialect, from, to, col);
  if (step.destructive) {
    if (conv.failSql) {
      const nullIf = conv.nullSql === undefined ? conv.failSql : conv.nullSql;
      if (nullIf) await knex.raw(`UPDATE ${q(table)} SET ${col} = NULL WHERE ${col} IS NOT NULL AND (${nullIf.sql})`, nullIf.bindings as any[]);
    } else if (conv.failJs) {
      const changes: Array<{ id: number; v: unknown }> = [];
      for await (const rows of scan(knex, table, column)) {
        for (const r of rows) if (conv.failJs(r.v)) changes.push({ id: r.id, v: conv.fixJs ? conv.fixJs(r.v) : undefined });
      }
      const toNull = changes.filter((c) => c.v === undefined).map((c) => c.id);
      for (let i = 0; i < toNull.length; i += 500) {
        const ids = toNull.slice(i, i + 500);
        await knex.raw(`UPDATE ${q(table)} SET ${col} = NULL WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
      }
      for (const c of changes) if (c.v !== undefined) await knex.raw(`UPDATE ${q(table)} SET ${col} = ? WHERE id = ?`, [c.v as any, c.id]);
    }
  }
  await conv.convert(knex, table, column);
}

/**
 * Run a plan inside the caller's transaction `knex`. Data is checked first (unless `plan` came from
 * checkPlan on this same transaction); if any step is destructive and not confirmed, throws
 * `data_loss` with `details.steps` before touching anything. A relation whose target table does
 * not exist fails with `validation`. Any failure leaves the tables as they were once the caller's
 * transaction rolls back (DDL is transactional on both databases).
 */
export async function applyPlan(
  knex: Knex,
  dialect: Dialect,
  plan: TablePlan,
  prev: FormDef | null,
  next: FormDef,
  opts: ApplyOptions = {},
): Promise<TablePlan> {
  if (plan.form !== next.key) throw new AppError('internal', msg('迁移计划与表单不符', `The plan is for form '${plan.form}', not '${next.key}'`));
  await assertRelationTargets(knex, dialect, plan, next);
  const checked = checkedIn.get(plan) === knex ? plan : await checkPlan(knex, dialect, plan, prev, next);
  const destructive = checked.steps.filter((s) => s.destructive);
  if (destructive.length && !opts.confirmDataLoss) {
    throw new AppError(
      'data_loss',
      msg(`有 ${destructive.length} 个步骤会丢失数据，确认后才能发布`, `${destructive.length} step(s) would lose data; confirm to publish`),
      { details: { steps: destructive } },
    );
  }

  const prevById = locate(prev);
  const nextById = locate(next);
  const field = (s: PlanStep, side: 'prev' | 'next') => (s.fieldId ? (side === 'prev' ? prevById : nextById).get(s.fieldId)?.field : undefined);

  for (const s of checked.steps) {
    switch (s.op) {
      case 'create_table': {
        await createTable(knex, s.table, [...systemColumnsSql(dialect), ...columnDefs(dialect, fieldsOfTable(next, s.table))]);
        for (const c of ['_owner', '_dept', '_created_at']) await knex.raw(`CREATE INDEX ${q(indexName('ix', s.table, c))} ON ${q(s.table)} (${q(c)})`);
        break;
      }
      case 'create_child_table': {
        const parent = String(s.detail?.parent ?? recordTable(next.key));
        await createTable(knex, s.table, [...childSystemColumnsSql(dialect, parent), ...columnDefs(dialect, fieldsOfTable(next, s.table))]);
        await knex.raw(`CREATE INDEX ${q(indexName('ix', s.table, '_parent'))} ON ${q(s.table)} (${q('_parent')}, ${q('_seq')})`);
        break;
      }
      case 'add_column': {
        const f = field(s, 'next')!;
        const ref = f.type === 'relation' ? recordTable(f.relation!.form) : undefined;
        await knex.raw(`ALTER TABLE ${q(s.table)} ADD COLUMN ${fieldColumnSql(dialect, f, s.column!, ref)}`);
        break;
      }
      case 'add_index':
      case 'add_unique': {
        const f = field(s, 'next')!;
        await createIndex(knex, dialect, s.table, s.column!, s.op === 'add_unique', kindOf(f));
        break;
      }
      case 'drop_index':
      case 'drop_unique':
        await dropIndex(knex, s.table, s.column!, s.op === 'drop_unique');
        break;
      case 'change_type': {
        const from = field(s, 'prev');
        const to = field(s, 'next');
        if (from && to) await applyConversion(knex, dialect, s, from, to);
        break;
      }
      case 'purge':
        if (s.detail?.dropTable) await knex.raw(`DROP TABLE IF EXISTS ${q(s.table)}`);
        else if (s.detail?.dropColumn) await dropColumn(knex, dialect, s.table, s.column!);
        break;
      case 'rename':
      case 'soft_delete':
      case 'restore':
        break; // metadata only
    }
  }
  return checked;
}

/**
 * Drop a form's tables: its subtables' child tables (soft-deleted ones too), then its own table.
 * Only for a form being removed whose records the caller has confirmed may go.
 */
export async function dropFormTables(knex: Knex, dialect: Dialect, form: FormDef): Promise<void> {
  // PostgreSQL: CASCADE drops other forms' foreign keys to it (forms removed together, with their records).
  const cascade = dialect === 'pg' ? ' CASCADE' : '';
  for (const f of form.fields) {
    if (f.type === 'subtable' && f.column) await knex.raw(`DROP TABLE IF EXISTS ${q(childTable(form.key, f.column))}${cascade}`);
  }
  await knex.raw(`DROP TABLE IF EXISTS ${q(recordTable(form.key))}${cascade}`);
}
