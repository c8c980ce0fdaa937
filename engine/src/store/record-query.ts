/**
 * The one query layer for record tables. Every read of records (single records, lists, and
 * later exports, reports and workflow look-ups) goes through here, with a ReadScope: the row
 * condition ANDed into the SQL and the set of fields the caller may see. Nothing is filtered
 * after the fact.
 */
import type { Knex } from 'knex';
import type { Db } from './connection.js';
import { quoteId } from './connection.js';
import type { CompiledForm } from './compiled-form.js';
import { CHILD_COLUMNS, SYSTEM_COLUMNS } from './tables.js';
import { fieldTypeSpec, columnKind } from '../meta/field-types.js';
import { ColumnCodec } from './column-codec.js';
import { maskValue } from './cipher.js';
import type { FieldDef, JsonLogic } from '../meta/types.js';
import { compileFilter, type SqlField } from '../rules/sql.js';
import { computeValues } from '../rules/evaluate.js';
import { AppError, msg } from '../errors.js';

export type ApiRecord = Record<string, unknown> & { id: number; _version: number };

export interface ReadScope {
  /** Row condition (json-logic over field keys and system keys), ANDed into every query. */
  rows?: JsonLogic | null;
  /** Field keys the caller may see; null/undefined: all. */
  fields?: Set<string> | null;
  /** Field keys the caller sees masked: never filterable, sortable or searchable by them. */
  masked?: Set<string> | null;
  /** Variables rules may reference with {"var": "$user.id"}. */
  vars?: Record<string, unknown>;
}

export interface ListParams {
  filter?: JsonLogic;
  sort?: string;
  page?: number;
  pageSize?: number;
  q?: string;
  /** Keyset paging: the `next` cursor of the previous page (then `page` is ignored). */
  after?: string;
  /** `exact`: count every match, however many; default: count up to the cap (`countCap`). */
  count?: 'exact' | 'capped';
}

export interface ListResult {
  items: ApiRecord[];
  /** The number of matches, or the cap when `totalCapped` (there are more). */
  total: number;
  page: number;
  pageSize: number;
  /** Present (true) when the count stopped at the cap. */
  totalCapped?: true;
  /** The cursor of the page after this one (`after=`), or null on the last page. */
  next: string | null;
}

export const MAX_PAGE_SIZE = 500;
/** Lists count matches up to this many unless asked for `count=exact` (FORMWORK_LIST_COUNT_CAP). */
export const DEFAULT_COUNT_CAP = 10_000;

/** A keyset cursor: the last row's sort values, base64url JSON (opaque to clients). */
function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values.map((v) => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? String(v) : v ?? null)))).toString('base64url');
}

function decodeCursor(cursor: unknown, length: number): unknown[] {
  const bad = () => badParam('after', '分页游标无效（请从第一页重新开始）', 'Invalid cursor (start again from the first page)');
  if (typeof cursor !== 'string' || cursor.length > 4000 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  // The cursor must fit this list's order (same sort) and hold only plain values.
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))) throw bad();
  return v;
}

/** System keys as fields, so filters, sorts and scopes treat them like any field. */
const SYSTEM_FIELDS: Array<[string, string, FieldDef['type']]> = [
  ['id', SYSTEM_COLUMNS.id, 'number'],
  ['_version', SYSTEM_COLUMNS._version, 'number'],
  ['_createdAt', SYSTEM_COLUMNS._createdAt, 'datetime'],
  ['_updatedAt', SYSTEM_COLUMNS._updatedAt, 'datetime'],
  ['_createdBy', SYSTEM_COLUMNS._createdBy, 'user'],
  ['_owner', SYSTEM_COLUMNS._owner, 'user'],
  ['_dept', SYSTEM_COLUMNS._dept, 'department'],
];
const SYSTEM_FIELD_DEFS = new Map(
  SYSTEM_FIELDS.map(([key, column, type]) => [key, { id: key, key, column, type, label: key } as FieldDef]),
);

/** API shape of the system columns. */
function systemValues(row: any): Record<string, unknown> {
  return {
    id: Number(row.id),
    _version: Number(row._version),
    _createdAt: row._created_at,
    _updatedAt: row._updated_at,
    _createdBy: row._created_by == null ? null : Number(row._created_by),
    _owner: row._owner == null ? null : Number(row._owner),
  };
}

export class RecordQuery {
  constructor(
    private readonly db: Db,
    readonly codec: ColumnCodec = new ColumnCodec(),
  ) {}

  /** The SQL resolver for filters and scopes: field key → quoted column of alias `t`. */
  resolver(form: CompiledForm, visible?: Set<string> | null): (key: string) => SqlField | undefined {
    return (key: string) => {
      const sys = SYSTEM_FIELD_DEFS.get(key);
      if (sys) return { sql: `"t".${quoteId(sys.column!)}`, field: sys };
      const f = form.byKey.get(key);
      if (!f || (visible && !visible.has(key))) return undefined;
      if (columnKind(f) === null || (f.formula !== undefined && f.stored === false) || f.sensitive) return undefined;
      return { sql: `"t".${quoteId(f.column!)}`, field: f };
    };
  }

  private applyWhere(qb: Knex.QueryBuilder, form: CompiledForm, expr: JsonLogic | null | undefined, scope: ReadScope, visible: Set<string> | null) {
    if (expr == null) return;
    const { sql, bindings } = compileFilter(expr, { dialect: this.db.dialect, field: this.resolver(form, visible), vars: scope.vars });
    if (sql && sql !== '1=1') qb.whereRaw(sql, bindings as any[]);
  }

  private visibleColumns(form: CompiledForm, scope: ReadScope): FieldDef[] {
    return scope.fields ? form.columns.filter((f) => scope.fields!.has(f.key)) : form.columns;
  }

  private selectList(form: CompiledForm, scope: ReadScope): string[] {
    const cols = Object.values(SYSTEM_COLUMNS).map((c) => `t.${c}`);
    for (const f of this.visibleColumns(form, scope)) cols.push(`t.${f.column}`);
    return cols;
  }

  /** Turn raw rows into API records (without subtables). */
  private toRecords(form: CompiledForm, scope: ReadScope, rows: any[]): ApiRecord[] {
    const cols = this.visibleColumns(form, scope);
    const out: ApiRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const rec: Record<string, unknown> = systemValues(row);
      for (const f of cols) rec[f.key] = this.codec.decode(f, row[f.column!]);
      out[i] = rec as ApiRecord;
    }
    return out;
  }

  /** Load subtable rows for these records, one query per subtable. */
  private async attachSubtables(trx: Knex, form: CompiledForm, scope: ReadScope, records: ApiRecord[]): Promise<void> {
    if (!records.length) return;
    const ids = records.map((r) => r.id);
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const st of form.subtables) {
      if (scope.fields && !scope.fields.has(st.field.key)) continue;
      for (const r of records) r[st.field.key] = [];
      const rows = await trx(st.table)
        .whereIn(CHILD_COLUMNS.parent, ids)
        .orderBy([{ column: CHILD_COLUMNS.parent }, { column: CHILD_COLUMNS.seq }])
        .select([CHILD_COLUMNS.id, CHILD_COLUMNS.parent, ...st.columns.map((c) => c.column!)]);
      for (const row of rows) {
        const item: Record<string, unknown> = { id: Number(row.id) };
        for (const c of st.columns) item[c.key] = this.codec.decode(c, row[c.column!]);
        (byId.get(Number(row[CHILD_COLUMNS.parent]))![st.field.key] as unknown[]).push(item);
      }
    }
  }

  /** Virtual formulas computed, then masks applied. */
  private finish(form: CompiledForm, scope: ReadScope, records: ApiRecord[]): ApiRecord[] {
    let out = records;
    if (form.hasVirtual) {
      out = records.map((r) => {
        const full = computeValues(form.def, r, { includeVirtual: true }) as ApiRecord;
        if (scope.fields) for (const f of form.fields) if (!scope.fields.has(f.key)) delete full[f.key];
        return full;
      });
    }
    if (scope.masked?.size) for (const r of out) for (const k of scope.masked) if (k in r) r[k] = maskValue(r[k]);
    return out;
  }

  /** What the caller may filter, sort and search by: visible and not masked. */
  private filterable(form: CompiledForm, scope: ReadScope): Set<string> | null {
    if (!scope.masked?.size) return scope.fields ?? null;
    const keys = new Set(scope.fields ?? form.fields.map((f) => f.key));
    for (const k of scope.masked) keys.delete(k);
    return keys;
  }

  /** One record within the scope, or null. */
  async getOne(form: CompiledForm, id: number, scope: ReadScope = {}, trx: Knex = this.db.knex, opts: { forUpdate?: boolean } = {}): Promise<ApiRecord | null> {
    const qb = trx(`${form.table} as t`).select(this.selectList(form, scope)).where('t.id', id);
    // PostgreSQL: lock the row for the writer's transaction (SQLite's single writer needs no lock).
    if (opts.forUpdate && this.db.dialect === 'pg') qb.forUpdate();
    this.applyWhere(qb, form, scope.rows, scope, null);
    const row = await qb.first();
    if (!row) return null;
    const [rec] = this.toRecords(form, scope, [row]);
    await this.attachSubtables(trx, form, scope, [rec!]);
    return this.finish(form, scope, [rec!])[0]!;
  }

  /** Records by id within the scope (missing ids are left out). */
  async getMany(form: CompiledForm, ids: number[], scope: ReadScope = {}, trx: Knex = this.db.knex): Promise<ApiRecord[]> {
    if (!ids.length) return [];
    const qb = trx(`${form.table} as t`).select(this.selectList(form, scope)).whereIn('t.id', ids);
    this.applyWhere(qb, form, scope.rows, scope, null);
    const recs = this.toRecords(form, scope, await qb);
    await this.attachSubtables(trx, form, scope, recs);
    return this.finish(form, scope, recs);
  }

  async list(form: CompiledForm, params: ListParams, scope: ReadScope = {}, trx?: Knex): Promise<ListResult> {
    const page = params.page ?? 1;
    const pageSize = params.pageSize ?? 20;
    if (!Number.isInteger(page) || page < 1 || page > 1_000_000) throw badParam('page', '页码必须是正整数', 'page must be a positive integer');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw badParam('pageSize', `每页条数须在 1 到 ${MAX_PAGE_SIZE} 之间`, `pageSize must be between 1 and ${MAX_PAGE_SIZE}`);
    }
    if (params.count != null && params.count !== 'exact' && params.count !== 'capped') throw badParam('count', 'count 只能是 exact 或 capped', "count must be 'exact' or 'capped'");
    const visible = this.filterable(form, scope);
    const knex = trx ?? this.db.knex;
    const base = knex(`${form.table} as t`);
    this.applyWhere(base, form, scope.rows, scope, null);
    // The caller's filter may only name fields the caller can see: no query becomes an oracle.
    this.applyWhere(base, form, params.filter, scope, visible);
    if (params.q != null && params.q !== '') this.applySearch(base, form, params.q, visible);
    const order = this.parseSort(form, params.sort, visible);

    const itemsQ = base.clone().select(this.selectList(form, scope));
    // The sort keys as stored, for the next page's cursor. PostgreSQL: a timestamp as text, so it
    // keeps its microseconds (a text parameter compared with the column takes the column's type);
    // every other key as it is — a cast is computed for each matching row before the sort, which
    // made a 100k-row list page half as slow again.
    order.forEach((o, i) => itemsQ.select(knex.raw(`${o.sql}${o.exactAsText && this.db.dialect === 'pg' ? '::text' : ''} as ${quoteId(`_k${i}`)}`)));
    for (const o of order) itemsQ.orderByRaw(`${o.sql} ${o.desc ? 'desc' : 'asc'}${this.nulls(o.desc)}`);
    if (params.after != null) this.applyAfter(itemsQ, order, decodeCursor(params.after, order.length));
    // One row more than the page tells whether there is a next page.
    itemsQ.limit(pageSize + 1).offset(params.after != null ? 0 : (page - 1) * pageSize);
    const cap = params.count === 'exact' ? null : this.countCap;
    const countQ = cap == null
      ? base.clone().count({ n: '*' }).first()
      : knex.count({ n: '*' }).from(base.clone().select(knex.raw('1')).limit(cap + 1).as('c')).first();
    // In a transaction (one connection) the two queries run one after the other.
    const rows = trx ? await itemsQ : undefined;
    const [rowsP, countRow] = await Promise.all([rows ?? itemsQ, countQ]);
    const all = rowsP as any[];
    const more = all.length > pageSize;
    const pageRows = more ? all.slice(0, pageSize) : all;
    const last = pageRows[pageRows.length - 1];
    const items = this.toRecords(form, scope, pageRows);
    await this.attachSubtables(knex, form, scope, items);
    const n = Number((countRow as any)?.n ?? 0);
    const out: ListResult = { items: this.finish(form, scope, items), total: cap != null && n > cap ? cap : n, page, pageSize, next: more && last ? encodeCursor(order.map((_, i) => last[`_k${i}`])) : null };
    if (cap != null && n > cap) out.totalCapped = true;
    return out;
  }

  /** Up to how many matches a list counts by default. */
  get countCap(): number {
    const v = Number(process.env.FORMWORK_LIST_COUNT_CAP);
    return Number.isInteger(v) && v > 0 ? v : DEFAULT_COUNT_CAP;
  }

  /**
   * Keyset paging: only rows after the cursor's row in the list's order. Row r comes after the
   * cursor c when, for some key i, r equals c on every key before i and lies after it on key i —
   * with nulls last ascending and first descending, as `nulls` orders them on both databases.
   */
  private applyAfter(qb: Knex.QueryBuilder, order: Array<{ sql: string; desc: boolean }>, values: unknown[]) {
    const eq = (sql: string, v: unknown): [string, unknown[]] => (v === null ? [`${sql} is null`, []] : [`${sql} = ?`, [v]]);
    const after = (sql: string, desc: boolean, v: unknown): [string, unknown[]] | null => {
      if (!desc) return v === null ? null : [`(${sql} > ? or ${sql} is null)`, [v]];
      return v === null ? [`${sql} is not null`, []] : [`${sql} < ?`, [v]];
    };
    const ors: string[] = [];
    const bindings: unknown[] = [];
    for (let i = 0; i < order.length; i++) {
      const a = after(order[i]!.sql, order[i]!.desc, values[i]);
      if (!a) continue;
      const parts: string[] = [];
      const b: unknown[] = [];
      for (let j = 0; j < i; j++) {
        const [sql, vb] = eq(order[j]!.sql, values[j]);
        parts.push(sql);
        b.push(...vb);
      }
      parts.push(a[0]);
      b.push(...a[1]);
      ors.push(`(${parts.join(' and ')})`);
      bindings.push(...b);
    }
    qb.whereRaw(ors.length ? `(${ors.join(' or ')})` : '1=0', bindings as any[]);
  }

  /**
   * Checks list parameters as `list` would, without reading anything: the filter compiles over
   * the fields the caller may filter by, the sort keys are sortable fields they see, `q` fits.
   * Throws the same `bad_request` errors as `list` (saved list views are checked with it).
   */
  checkListParams(form: CompiledForm, params: Pick<ListParams, 'filter' | 'sort' | 'q'>, scope: ReadScope = {}): void {
    const visible = this.filterable(form, scope);
    if (params.filter != null) compileFilter(params.filter, { dialect: this.db.dialect, field: this.resolver(form, visible), vars: scope.vars });
    this.parseSort(form, params.sort, visible);
    if (params.q != null && (typeof params.q !== 'string' || params.q.length > 200)) throw badParam('q', '搜索词过长', 'Search text too long (max 200)');
  }

  /**
   * Every record matching the filter within the scope, page after page, keyset by id (no
   * OFFSET): exports. The same rules as `list` — the scope's row condition, the caller's filter
   * only over fields they may see unmasked, hidden fields absent, masked ones masked. Subtables
   * are left out unless `subtables` is set. The filter is compiled (and a bad one thrown) before
   * the first page is read.
   */
  async *iterate(
    form: CompiledForm, params: { filter?: JsonLogic; subtables?: boolean }, scope: ReadScope = {}, batch = 1000, trx?: Knex,
  ): AsyncGenerator<ApiRecord[], void, undefined> {
    const visible = this.filterable(form, scope);
    const knex = trx ?? this.db.knex;
    const base = knex(`${form.table} as t`);
    this.applyWhere(base, form, scope.rows, scope, null);
    this.applyWhere(base, form, params.filter, scope, visible);
    const select = this.selectList(form, scope);
    let last = 0;
    for (;;) {
      const rows = await base.clone().select(select).where('t.id', '>', last).orderBy('t.id', 'asc').limit(batch);
      if (!rows.length) return;
      last = Number(rows[rows.length - 1].id);
      const recs = this.toRecords(form, scope, rows);
      if (params.subtables) await this.attachSubtables(knex, form, scope, recs);
      yield this.finish(form, scope, recs);
      if (rows.length < batch) return;
    }
  }

  /**
   * Ids of the records whose field `key` equals one of `values`, within the scope (imports
   * resolve relation cells by the target's title). Only visible, unmasked, comparable fields.
   */
  async idsByValue(form: CompiledForm, key: string, values: unknown[], scope: ReadScope = {}, trx?: Knex): Promise<Array<{ id: number; value: unknown }>> {
    if (!values.length) return [];
    const ref = this.resolver(form, this.filterable(form, scope))(key);
    if (!ref || columnKind(ref.field) === 'json') return [];
    const qb = (trx ?? this.db.knex)(`${form.table} as t`).select({ id: 't.id', v: `t.${ref.field.column}` }).whereIn(`t.${ref.field.column}`, values as any[]);
    this.applyWhere(qb, form, scope.rows, scope, null);
    return (await qb).map((r: any) => ({ id: Number(r.id), value: r.v }));
  }

  /** Nulls sort last ascending and first descending on both databases (PostgreSQL's default). */
  private nulls(desc: boolean): string {
    if (this.db.dialect === 'pg') return '';
    return desc ? ' nulls first' : ' nulls last';
  }

  /** The list's order; `exactAsText`: the key's value survives a round trip through JSON only as text (timestamps). */
  private parseSort(form: CompiledForm, sort: string | undefined, visible: Set<string> | null): Array<{ sql: string; desc: boolean; exactAsText: boolean }> {
    const out: Array<{ sql: string; desc: boolean; exactAsText: boolean }> = [];
    if (sort != null && sort !== '') {
      if (typeof sort !== 'string' || sort.length > 500) throw badParam('sort', '排序参数不合法', 'Invalid sort parameter');
      const keys = sort.split(',').map((s) => s.trim());
      if (keys.length > 5) throw badParam('sort', '最多按 5 个字段排序', 'At most 5 sort keys');
      for (const token of keys) {
        const desc = token.startsWith('-');
        const key = desc ? token.slice(1) : token;
        const ref = this.resolver(form, visible)(key);
        if (!ref || (ref.field.type !== 'user' && !SYSTEM_FIELD_DEFS.has(key) && !fieldTypeSpec(ref.field.type).comparable) || columnKind(ref.field) === 'json') {
          throw badParam('sort', `不能按“${key}”排序`, `Cannot sort by '${key}': unknown, hidden or not sortable field`);
        }
        out.push({ sql: ref.sql, desc, exactAsText: columnKind(ref.field) === 'datetime' });
      }
    }
    if (!out.some((o) => o.sql === '"t"."id"')) out.push({ sql: '"t"."id"', desc: out[0]?.desc ?? true, exactAsText: false });
    return out;
  }

  private applySearch(qb: Knex.QueryBuilder, form: CompiledForm, q: string, visible: Set<string> | null) {
    if (typeof q !== 'string' || q.length > 200) throw badParam('q', '搜索词过长', 'Search text too long (max 200)');
    const fields = form.searchable.filter((f) => !visible || visible.has(f.key));
    if (!fields.length) {
      qb.whereRaw('1=0');
      return;
    }
    const pattern = '%' + q.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    const like = this.db.dialect === 'pg' ? 'ilike' : 'like';
    qb.where((w) => {
      for (const f of fields) w.orWhereRaw(`"t".${quoteId(f.column!)} ${like} ? escape '\\'`, [pattern]);
    });
  }
}

function badParam(param: string, zh: string, en: string): AppError {
  return new AppError('bad_request', msg(zh, en), { details: { param } });
}
