/**
 * ReportDef → one SQL query per dialect (ARCHITECTURE.md decision 6: a report never pulls rows
 * into JavaScript to aggregate).
 *
 * The query reads the source form's table as "t", LEFT JOINs the forms its field paths go
 * through ("j1", "j2"… — the target's row scope for the caller is part of the ON clause, so a
 * related record the caller may not read contributes nothing but NULLs), joins at most one of the
 * source's subtables ("s", one row per subtable row), and ANDs into WHERE the caller's row scope
 * on the source, the report's filter, and the params given. Dimensions are grouped by ordinal;
 * measures are aggregates (a measure's own filter becomes CASE WHEN inside it); derived measures
 * (ratio, expr) are arithmetic over the aggregates, in API units (yuan, not fen). `having` and
 * sort run on the grouped rows (a wrapping SELECT), totals are a UNION ALL row over the same
 * FROM/WHERE without grouping.
 *
 * Field permissions: a dimension, measure or column whose path passes through, or ends at, a
 * field the caller may not see (hidden or masked), or a form the caller may not read, is left out
 * of the query and of the result ("absent, everywhere"). Sensitive (encrypted) fields and
 * computed-on-read fields cannot be reported on. The report's own filter and params were written
 * by the report's author and may name any field; row scopes always apply.
 */
import type { CompiledForm } from '../store/compiled-form.js';
import { quoteId } from '../store/connection.js';
import { CHILD_COLUMNS, SYSTEM_COLUMNS } from '../store/tables.js';
import type { FieldDef, JsonLogic } from '../meta/types.js';
import { labelText } from '../meta/types.js';
import { columnKind, fieldTypeSpec } from '../meta/field-types.js';
import {
  REPORT_DEFAULT_LIMIT, type ReportColumn, type ReportDef, type ReportDimension, type ReportMeasure,
} from '../meta/report-schema.js';
import { compileFilter, type CompiledFilter, type SqlField } from '../rules/sql.js';
import { dateAdd } from '../rules/operations.js';
import { AppError, msg } from '../errors.js';

export type Lang = 'zh-CN' | 'en';

/** What the caller may see of one form. */
export interface FormAccess {
  readable: boolean;
  /** Visible field keys; null: all. */
  visible: Set<string> | null;
  masked: Set<string>;
  /** Row condition (json-logic) ANDed into every read; null: all rows. */
  rows: JsonLogic | null;
}

export interface ReportEnv {
  dialect: 'sqlite' | 'pg';
  form(key: string): Promise<CompiledForm>;
  access(form: CompiledForm): Promise<FormAccess>;
  /** Rule variables: `$user`, `$params`. */
  vars: Record<string, unknown>;
  /** The conditions of the params given (json-logic over field paths). */
  paramConditions: JsonLogic[];
  /** 'YYYY-MM-DD' in the rules time zone. */
  today: string;
  /** IANA zone for datetime grains (PostgreSQL) … */
  timezone: string;
  /** … and its current offset in minutes (SQLite). */
  tzOffsetMinutes: number;
  lang: Lang;
}

export interface OutColumn {
  key: string;
  label: string;
  type: string;
  /** dimension (grouped by), measure (aggregated), column (a detail report's value). */
  kind: 'dimension' | 'measure' | 'column';
  options?: Array<{ key: string; label: string }>;
}

export interface CompiledReport {
  sql: string;
  bindings: unknown[];
  columns: OutColumn[];
  /** Output keys left out because the caller may not see what they read. */
  omitted: string[];
  /** Turn the database rows into the API result. */
  finish(rows: any[]): ReportResult;
}

export interface DrillTarget {
  form: string;
  filter: JsonLogic;
}

export interface ReportResult {
  columns: OutColumn[];
  rows: Array<Record<string, unknown>>;
  /** The totals row (when the report asks for totals). */
  totals?: Record<string, unknown>;
  /** Per row: the source records behind it, as a list filter (aggregate reports), or the record id (detail reports). */
  drill?: Array<DrillTarget | null>;
  ids?: number[];
}

/** A path the caller may not see: the output that reads it is left out. */
class Hidden extends Error {}

interface Frag {
  sql: string;
  b: unknown[];
}

interface Node {
  alias: string;
  form: CompiledForm;
  access: FormAccess;
}

interface Resolved extends SqlField {
  /** The node holding the field (its form, alias). */
  node: Node;
  /** A subtable row field. */
  child: boolean;
  /** The first step is a field of the source, with no join. */
  direct: boolean;
}

const SYSTEM_TYPES: Record<string, FieldDef['type']> = {
  id: 'number', _createdAt: 'datetime', _updatedAt: 'datetime', _createdBy: 'user', _owner: 'user', _dept: 'department',
};
const SYSTEM_LABELS: Record<string, [string, string]> = {
  id: ['编号', 'ID'], _createdAt: ['创建时间', 'Created at'], _updatedAt: ['更新时间', 'Updated at'],
  _createdBy: ['创建人', 'Created by'], _owner: ['负责人', 'Owner'], _dept: ['部门', 'Department'],
};

function invalid(path: string, zh: string, en: string): AppError {
  return new AppError('validation', msg(`报表定义有误：${zh}`, `The report definition is invalid: ${en}`), { fields: { [path]: [msg(zh, en)] } });
}

/** A filter compiler's complaint about the report's own expression: the definition is at fault. */
function rewrap(e: AppError, path: string): AppError {
  return new AppError('validation', e.text, { fields: { [path]: [e.text] }, details: e.details });
}

const q = quoteId;

class ReportCompiler {
  private readonly joins: Frag[] = [];
  private readonly nodes = new Map<string, Node>();
  private childJoined: { field: string; node: Node } | null = null;
  private aliasSeq = 0;
  private source!: Node;
  private readonly omitted: string[] = [];

  constructor(private readonly def: ReportDef, private readonly env: ReportEnv) {}

  // ----- paths -------------------------------------------------------------------------------

  private async node(form: CompiledForm, alias: string): Promise<Node> {
    const access = await this.env.access(form);
    return { alias, form, access };
  }

  private visibleIn(node: Node, key: string): boolean {
    const a = node.access;
    if (!a.readable) return false;
    if (a.masked.has(key)) return false;
    return !a.visible || a.visible.has(key) || key in SYSTEM_TYPES;
  }

  /** The row condition of a node's form for the caller, as SQL over its alias. */
  private scopeSql(node: Node): Frag {
    if (!node.access.readable) return { sql: '1=0', b: [] };
    if (node.access.rows == null) return { sql: '1=1', b: [] };
    const c = compileFilter(node.access.rows, { dialect: this.env.dialect, field: this.plainResolver(node), vars: this.env.vars });
    return { sql: c.sql, b: c.bindings };
  }

  /** Field key → column of one node, no joins, no visibility (row scopes, no_related filters). */
  private plainResolver(node: Node): (key: string) => SqlField | undefined {
    return (key) => {
      const col = this.columnOf(node.form, key);
      return col ? { sql: `${q(node.alias)}.${q(col.column)}`, field: col.field } : undefined;
    };
  }

  private columnOf(form: CompiledForm, key: string): { column: string; field: FieldDef } | undefined {
    if (key in SYSTEM_TYPES) {
      const column = SYSTEM_COLUMNS[key as keyof typeof SYSTEM_COLUMNS];
      return { column, field: { id: key, key, type: SYSTEM_TYPES[key]!, label: key, column } as FieldDef };
    }
    const f = form.byKey.get(key);
    if (!f || f.sensitive || columnKind(f) === null || (f.formula !== undefined && f.stored === false)) return undefined;
    return { column: f.column!, field: f };
  }

  /**
   * Resolve a field path to a column, joining what it goes through. `enforce`: the caller's
   * field permissions apply (throws Hidden); otherwise only row scopes do (the author's filter).
   */
  async resolve(path: string, where: string, enforce: boolean): Promise<Resolved> {
    const steps = path.split('.');
    let node = this.source;
    let child = false;
    let prefix = '';
    for (let i = 0; i < steps.length; i++) {
      const key = steps[i]!;
      const last = i === steps.length - 1;
      if (child) {
        // A subtable row: its columns only.
        const st = this.childJoined!;
        const sub = this.source.form.subtables.find((s) => s.field.key === st.field)!;
        const f = key === 'id' ? ({ id: 'id', key: 'id', type: 'number', label: 'id', column: CHILD_COLUMNS.id } as FieldDef) : sub.columns.find((c) => c.key === key);
        if (!f || !last || f.sensitive) throw invalid(where, `字段路径 ${path} 无效`, `field path '${path}' does not name a column of subtable '${st.field}'`);
        return { sql: `${q(node.alias)}.${q(f.column!)}`, field: f, node, child: true, direct: false };
      }
      const f = node.form.byKey.get(key);
      if (!last && f?.type === 'subtable') {
        if (node !== this.source) throw invalid(where, `只能经源表单的子表取数（${path}）`, `only the source form's subtables can be reported on ('${path}')`);
        if (enforce && !this.visibleIn(node, key)) throw new Hidden(path);
        if (this.childJoined && this.childJoined.field !== key) {
          throw invalid(where, '一张报表只能用一个子表', `a report can use one subtable only (it uses '${this.childJoined.field}' and '${key}')`);
        }
        if (!this.childJoined) {
          const sub = node.form.subtables.find((s) => s.field.key === key)!;
          const cn: Node = { alias: 's', form: node.form, access: node.access };
          this.joins.push({ sql: ` JOIN ${q(sub.table)} AS "s" ON "s".${q(CHILD_COLUMNS.parent)} = "t"."id"`, b: [] });
          this.childJoined = { field: key, node: cn };
        }
        node = this.childJoined.node;
        child = true;
        prefix += key + '.';
        continue;
      }
      if (last) {
        const col = this.columnOf(node.form, key);
        if (!col) {
          if (f?.sensitive) throw invalid(where, `加密字段 ${path} 不能用于报表`, `sensitive field '${path}' cannot be used in a report`);
          throw invalid(where, `字段路径 ${path} 无效`, `field path '${path}': form '${node.form.key}' has no stored field '${key}'`);
        }
        if (enforce && !this.visibleIn(node, key)) throw new Hidden(path);
        return { sql: `${q(node.alias)}.${q(col.column)}`, field: col.field, node, child: false, direct: node === this.source };
      }
      if (!f || f.type !== 'relation' || !f.relation) {
        throw invalid(where, `字段路径 ${path} 中 ${key} 不是关联字段`, `field path '${path}': '${key}' is not a relation field of '${node.form.key}'`);
      }
      if (enforce && !this.visibleIn(node, key)) throw new Hidden(path);
      prefix += key + '.';
      let next = this.nodes.get(prefix);
      if (!next) {
        const target = await this.env.form(f.relation.form);
        next = await this.node(target, `j${++this.aliasSeq}`);
        const scope = this.scopeSql(next);
        const on = scope.sql === '1=1' ? '' : ` AND (${scope.sql})`;
        this.joins.push({ sql: ` LEFT JOIN ${q(target.table)} AS ${q(next.alias)} ON ${q(next.alias)}."id" = ${q(node.alias)}.${q(f.column!)}${on}`, b: scope.b });
        this.nodes.set(prefix, next);
      }
      if (enforce && !next.access.readable) throw new Hidden(path);
      node = next;
    }
    throw invalid(where, `字段路径 ${path} 无效`, `invalid field path '${path}'`);
  }

  // ----- filters -----------------------------------------------------------------------------

  /** Compile a condition over field paths (resolving them first, since compileFilter is synchronous). */
  private async condition(expr: JsonLogic, where: string, enforce: boolean): Promise<Frag> {
    const refs = new Map<string, SqlField>();
    const related: Array<{ args: unknown; frag?: Frag }> = [];
    const walk = async (x: unknown): Promise<void> => {
      if (x === null || typeof x !== 'object') return;
      if (Array.isArray(x)) {
        for (const i of x) await walk(i);
        return;
      }
      const [op] = Object.keys(x);
      if (op === undefined) return;
      const arg = (x as Record<string, unknown>)[op];
      if (op === 'var') {
        const name = Array.isArray(arg) ? arg[0] : arg;
        if (typeof name === 'string' && !name.startsWith('$') && !refs.has(name)) {
          try {
            refs.set(name, await this.resolve(name, where, enforce));
          } catch (e) {
            if (e instanceof Hidden) throw new AppError('forbidden', msg('报表的条件用到了您无权查看的字段', 'The report filters on a field you may not see'));
            throw e;
          }
        }
        return;
      }
      if (op === 'no_related' || op === 'has_related') {
        related.push({ args: arg });
        return;
      }
      await walk(arg);
    };
    await walk(expr);
    // Related-record conditions compile ahead (they need forms and scopes), then are served by key.
    const relatedSql = new Map<unknown, Frag>();
    for (const r of related) relatedSql.set(r.args, await this.relatedCondition(r.args, where));
    const custom = {
      no_related: (args: unknown[]): CompiledFilter => {
        const f = relatedSql.get(args)!;
        return { sql: `NOT ${f.sql}`, bindings: f.b };
      },
      has_related: (args: unknown[]): CompiledFilter => {
        const f = relatedSql.get(args)!;
        return { sql: f.sql, bindings: f.b };
      },
    };
    try {
      const c = compileFilter(expr, { dialect: this.env.dialect, field: (k) => refs.get(k), vars: this.env.vars, custom });
      return { sql: c.sql, b: c.bindings };
    } catch (e) {
      if (e instanceof AppError && e.code === 'bad_request') throw rewrap(e, where);
      throw e;
    }
  }

  /** `{"no_related": [FORM, VIA, FILTER?]}`: EXISTS over the related form, within the caller's scope of it. */
  private async relatedCondition(args: unknown, where: string): Promise<Frag> {
    const list = Array.isArray(args) ? args : [];
    const a = { form: list[0], via: list[1], filter: list[2] };
    if (list.length < 2 || list.length > 3 || typeof a.form !== 'string' || typeof a.via !== 'string') {
      throw invalid(where, 'no_related 需要 [表单, 关联字段, 条件?]', 'no_related / has_related take [form, via (its relation field to this form), filter?]');
    }
    const form = await this.env.form(a.form);
    const via = form.byKey.get(a.via);
    if (!via || via.type !== 'relation' || via.relation?.form !== this.source.form.key) {
      throw invalid(where, `${a.form}.${a.via} 不是指向 ${this.source.form.key} 的关联字段`, `'${a.form}.${a.via}' is not a relation to '${this.source.form.key}'`);
    }
    const alias = `r${++this.aliasSeq}`;
    const node = await this.node(form, alias);
    const scope = this.scopeSql(node);
    const parts: Frag[] = [scope];
    if (a.filter !== undefined && a.filter !== null) {
      try {
        const c = compileFilter(a.filter, { dialect: this.env.dialect, field: this.plainResolver(node), vars: this.env.vars });
        parts.push({ sql: c.sql, b: c.bindings });
      } catch (e) {
        if (e instanceof AppError) throw rewrap(e, where);
        throw e;
      }
    }
    return {
      sql: `EXISTS (SELECT 1 FROM ${q(form.table)} AS ${q(alias)} WHERE ${q(alias)}.${q(via.column!)} = "t"."id" AND ${parts.map((p) => `(${p.sql})`).join(' AND ')})`,
      b: parts.flatMap((p) => p.b),
    };
  }

  // ----- expressions -------------------------------------------------------------------------

  private localDate(r: Resolved, b: unknown[]): string {
    if (r.field.type === 'date') return r.sql;
    if (this.env.dialect === 'pg') {
      b.push(this.env.timezone);
      return `(${r.sql} AT TIME ZONE ?)`;
    }
    return `strftime('%Y-%m-%dT%H:%M:%S', ${r.sql}, '${Math.trunc(this.env.tzOffsetMinutes)} minutes')`;
  }

  private grainSql(r: Resolved, grain: NonNullable<ReportDimension['grain']>): Frag {
    const b: unknown[] = [];
    const d = this.localDate(r, b);
    if (this.env.dialect === 'pg') {
      const fmt = { day: 'YYYY-MM-DD', month: 'YYYY-MM', year: 'YYYY', quarter: 'YYYY-"Q"Q', week: 'YYYY-MM-DD' }[grain];
      const v = grain === 'week' ? `date_trunc('week', ${d})` : d;
      return { sql: `to_char(${v}, '${fmt}')`, b };
    }
    switch (grain) {
      case 'day': return { sql: `substr(${d}, 1, 10)`, b };
      case 'month': return { sql: `substr(${d}, 1, 7)`, b };
      case 'year': return { sql: `substr(${d}, 1, 4)`, b };
      case 'quarter': return { sql: `(substr(${d}, 1, 4) || '-Q' || ((CAST(substr(${d}, 6, 2) AS INTEGER) + 2) / 3))`, b: [...b, ...b] };
      case 'week': return { sql: `date(substr(${d}, 1, 10), 'weekday 0', '-6 days')`, b };
    }
  }

  private daysSinceSql(r: Resolved): Frag {
    if (r.field.type !== 'date' && r.field.type !== 'datetime') throw invalid('/dimensions', `days_since 需要日期字段`, `days_since needs a date field, '${r.field.key}' is ${r.field.type}`);
    const b: unknown[] = [this.env.today];
    const d = this.localDate(r, b);
    if (this.env.dialect === 'pg') return { sql: `(CAST(? AS date) - CAST(${d} AS date))`, b };
    return { sql: `CAST(julianday(?) - julianday(substr(${d}, 1, 10)) AS INTEGER)`, b };
  }

  /**
   * A column as a group key. SQLite: `+column`, so that an index on the column is not used to
   * walk the table in group order (random reads of every row; a plain scan and a sort of the
   * groups is much faster). Filters still use their indexes.
   */
  private groupKey(sql: string): string {
    return this.env.dialect === 'sqlite' ? `+${sql}` : sql;
  }

  private num(sql: string): string {
    return this.env.dialect === 'pg' ? `CAST(${sql} AS double precision)` : `(${sql} * 1.0)`;
  }

  /** A value in API units (money in yuan) as a double. */
  private apiUnits(r: Resolved): string {
    return r.field.type === 'money' ? `(${r.sql} / 100.0)` : this.num(r.sql);
  }

  private async arithmetic(expr: unknown, leaf: (name: string) => Promise<Frag>): Promise<Frag> {
    if (typeof expr === 'number') return { sql: this.env.dialect === 'pg' ? `CAST(? AS double precision)` : '?', b: [expr] };
    const [op] = Object.keys(expr as object);
    const arg = (expr as Record<string, unknown>)[op!];
    if (op === 'measure' || op === 'var') return leaf(arg as string);
    const parts: Frag[] = [];
    for (const a of arg as unknown[]) parts.push(await this.arithmetic(a, leaf));
    if (parts.length === 1) return op === '-' ? { sql: `(-${parts[0]!.sql})`, b: parts[0]!.b } : parts[0]!;
    const b = parts.flatMap((p) => p.b);
    if (op === '/') return { sql: `(${parts[0]!.sql} / NULLIF(${parts[1]!.sql}, 0))`, b };
    return { sql: `(${parts.map((p) => p.sql).join(` ${op} `)})`, b };
  }

  // ----- output ------------------------------------------------------------------------------

  private label(l: unknown, fallback: string): string {
    const t = labelText(l as any, this.env.lang);
    return t || fallback;
  }

  private fieldLabel(r: Resolved | null, path: string): string {
    const last = path.split('.').pop()!;
    if (last in SYSTEM_LABELS) return SYSTEM_LABELS[last]![this.env.lang === 'en' ? 1 : 0];
    return r ? this.label(r.field.label, last) : last;
  }

  private optionsOf(f: FieldDef): OutColumn['options'] {
    if (!f.options?.length) return undefined;
    return f.options.map((o) => ({ key: o.key, label: this.label(o.label, o.key) }));
  }

  async compile(): Promise<CompiledReport> {
    const def = this.def;
    const env = this.env;
    const source = await env.form(def.source);
    this.source = await this.node(source, 't');
    if (!this.source.access.readable) throw new AppError('forbidden', msg('没有权限查看此报表的数据', `Not allowed to read '${source.key}', the source of this report`));

    const selects: Array<{ alias: string; frag: Frag }> = [];
    const columns: OutColumn[] = [];
    const post = new Map<string, (v: unknown) => unknown>();
    const havingTypes = new Map<string, FieldDef['type']>();
    const sortSql = new Map<string, string>();
    const dimInfo: Array<{ d: ReportDimension; r: Resolved; kind: 'plain' | 'relation' | 'user' | 'department' }> = [];
    const measureSql = new Map<string, { frag: Frag; api: Frag; money: boolean }>();
    const aggregate = (def.measures?.length ?? 0) > 0;
    const toNumber = (v: unknown) => (v == null ? null : Number(v));
    const round = (p: number) => (v: unknown) => (v == null ? null : Math.round(Number(v) * 10 ** p) / 10 ** p);

    const titleAggs: Array<{ alias: string; frag: Frag }> = [];
    const fallbacks = new Map<string, string>();
    // Dimensions.
    for (const [i, d] of (def.dimensions ?? []).entries()) {
      let r: Resolved;
      try {
        r = await this.resolve(d.field, `/dimensions/${i}/field`, true);
      } catch (e) {
        if (e instanceof Hidden) {
          this.omitted.push(d.key);
          continue;
        }
        throw e;
      }
      const type = r.field.type;
      if (columnKind(r.field) === 'json') throw invalid(`/dimensions/${i}/field`, `${d.field} 不能作为维度`, `'${d.field}' (${type}) cannot be a dimension`);
      let value: Frag;
      let outType: string = type;
      let kind: 'plain' | 'relation' | 'user' | 'department' = 'plain';
      if (d.grain) {
        if (type !== 'date' && type !== 'datetime') throw invalid(`/dimensions/${i}/grain`, '日期粒度需要日期字段', `a grain needs a date field, '${d.field}' is ${type}`);
        value = this.grainSql(r, d.grain);
        outType = 'text';
      } else if (d.transform === 'days_since') {
        value = this.daysSinceSql(r);
        outType = 'number';
      } else {
        value = { sql: this.groupKey(r.sql), b: [] };
      }
      if (d.buckets) {
        if (!d.transform && !fieldTypeSpec(type).comparable) throw invalid(`/dimensions/${i}/buckets`, '分档需要数值字段', `buckets need a number, '${d.field}' is ${type}`);
        const cases: string[] = [];
        const order: string[] = [];
        const b: unknown[] = [];
        const ob: unknown[] = [];
        d.buckets.forEach((bk, j) => {
          const bound = type === 'money' && bk.max !== undefined ? Math.round(bk.max * 100) : bk.max;
          if (bound === undefined) {
            cases.push(`ELSE ?`);
            b.push(bk.key);
            order.push(`ELSE ${j}`);
          } else {
            cases.push(`WHEN ${value.sql} <= ? THEN ?`);
            b.push(...value.b, bound, bk.key);
            order.push(`WHEN ${value.sql} <= ? THEN ${j}`);
            ob.push(...value.b, bound);
          }
        });
        const last = d.buckets[d.buckets.length - 1]!;
        const tail = last.max === undefined ? '' : ' ELSE NULL';
        const nullB = value.b;
        selects.push({ alias: d.key, frag: { sql: `CASE WHEN ${value.sql} IS NULL THEN NULL ${cases.join(' ')}${tail} END`, b: [...nullB, ...b] } });
        selects.push({ alias: `__o_${d.key}`, frag: { sql: `CASE WHEN ${value.sql} IS NULL THEN NULL ${order.join(' ')}${tail} END`, b: [...nullB, ...ob] } });
        sortSql.set(d.key, q(`__o_${d.key}`));
        columns.push({ key: d.key, kind: 'dimension', label: this.label(d.label, d.key), type: 'bucket', options: d.buckets.map((bk) => ({ key: bk.key, label: this.label(bk.label, bk.key) })) });
        havingTypes.set(d.key, 'text');
        dimInfo.push({ d, r, kind });
        continue;
      }
      if (!d.grain && !d.transform && (type === 'relation' || type === 'user' || type === 'department' || r.field.key === '_owner' || r.field.key === '_createdBy' || r.field.key === '_dept')) {
        // Group by the id; show the related record's title, the user's or the department's name.
        kind = type === 'relation' ? 'relation' : type === 'department' ? 'department' : 'user';
        // Grouped by the id alone; the title is an aggregate of the group (one value), and '#id'
        // where there is none — fewer and narrower group keys than grouping by the text too.
        let title: Frag = { sql: 'NULL', b: [] };
        if (kind === 'relation') {
          const target = await env.form(r.field.relation!.form);
          const tf = target.def.titleField;
          if (tf) {
            try {
              title = { sql: (await this.resolve(`${d.field}.${tf}`, `/dimensions/${i}/field`, true)).sql, b: [] };
            } catch (e) {
              if (!(e instanceof Hidden)) throw e;
            }
          }
        } else {
          const alias = `p${++this.aliasSeq}`;
          const table = kind === 'user' ? 'fw_users' : 'fw_departments';
          const name = kind === 'user' ? 'display_name' : 'name';
          this.joins.push({ sql: ` LEFT JOIN ${q(table)} AS ${q(alias)} ON ${q(alias)}."id" = ${r.sql}`, b: [] });
          title = { sql: `${q(alias)}.${q(name)}`, b: [] };
        }
        selects.push({ alias: `__id_${d.key}`, frag: { sql: this.groupKey(r.sql), b: [] } });
        titleAggs.push({ alias: d.key, frag: { sql: `MAX(${title.sql})`, b: title.b } });
        if (kind === 'relation') fallbacks.set(d.key, `__id_${d.key}`);
        sortSql.set(d.key, q(d.key));
        columns.push({ key: d.key, kind: 'dimension', label: this.label(d.label, this.fieldLabel(r, d.field)), type: 'text' });
        havingTypes.set(d.key, 'text');
        dimInfo.push({ d, r, kind });
        continue;
      }
      selects.push({ alias: d.key, frag: value });
      sortSql.set(d.key, q(d.key));
      if (!d.grain && !d.transform && r.field.options?.length && (type === 'select' || type === 'text')) {
        // A select sorts in its options' order (a funnel's stages), not by key.
        const opts = r.field.options;
        selects.push({
          alias: `__o_${d.key}`,
          frag: { sql: `CASE ${opts.map((_, j) => `WHEN ${value.sql} = ? THEN ${j}`).join(' ')} ELSE ${opts.length} END`, b: opts.map((o) => o.key) },
        });
        sortSql.set(d.key, q(`__o_${d.key}`));
      }
      if (type === 'money' && !d.grain && !d.transform) post.set(d.key, (v) => (v == null ? null : Number(v) / 100));
      else if (outType === 'number' || type === 'number' || type === 'percent') post.set(d.key, toNumber);
      if (type === 'boolean') post.set(d.key, (v) => (v == null ? null : v === true || v === 1 || v === '1'));
      columns.push({ key: d.key, kind: 'dimension', label: this.label(d.label, this.fieldLabel(r, d.field)), type: outType, ...(d.grain || d.transform ? {} : { options: this.optionsOf(r.field) }) });
      havingTypes.set(d.key, outType === 'text' ? 'text' : (type as FieldDef['type']));
      dimInfo.push({ d, r, kind });
    }
    const groupCount = selects.length;
    // The dimensions' titles (aggregates of their group) come after the group keys.
    selects.push(...titleAggs);
    const dimSelectCount = selects.length;

    // Base measures, then derived ones (which may build on each other).
    const measures = def.measures ?? [];
    const hiddenMeasures = new Set<string>();
    for (const [i, m] of measures.entries()) {
      if (m.op === 'ratio' || m.op === 'expr') continue;
      let r: Resolved | null = null;
      try {
        if (m.field) r = await this.resolve(m.field, `/measures/${i}/field`, true);
      } catch (e) {
        if (e instanceof Hidden) {
          hiddenMeasures.add(m.key);
          continue;
        }
        throw e;
      }
      if (r && (m.op === 'sum' || m.op === 'avg') && !['number', 'money', 'percent'].includes(r.field.type)) {
        throw invalid(`/measures/${i}/field`, `${m.op} 需要数值字段`, `${m.op} needs a number or money field, '${m.field}' is ${r.field.type}`);
      }
      if (r && (m.op === 'min' || m.op === 'max') && !fieldTypeSpec(r.field.type).comparable) {
        throw invalid(`/measures/${i}/field`, `${m.op} 需要可比较的字段`, `${m.op} needs a comparable field, '${m.field}' is ${r.field.type}`);
      }
      const cond = m.filter !== undefined ? await this.condition(m.filter, `/measures/${i}/filter`, false) : null;
      const x = r?.sql;
      const when = (v: string): Frag => (cond ? { sql: `CASE WHEN ${cond.sql} THEN ${v} END`, b: [...cond.b] } : { sql: v, b: [] });
      let frag: Frag;
      switch (m.op) {
        case 'count':
          frag = x
            ? ((w) => ({ sql: `COUNT(${w.sql})`, b: w.b }))(when(x))
            : cond ? { sql: `SUM(CASE WHEN ${cond.sql} THEN 1 ELSE 0 END)`, b: cond.b } : { sql: 'COUNT(*)', b: [] };
          break;
        case 'count_distinct': {
          const w = when(x!);
          frag = { sql: `COUNT(DISTINCT ${w.sql})`, b: w.b };
          break;
        }
        case 'sum': {
          const w = when(x!);
          frag = { sql: `COALESCE(SUM(${w.sql}), 0)`, b: w.b };
          break;
        }
        case 'avg': {
          const w = when(x!);
          frag = { sql: this.num(`AVG(${w.sql})`), b: w.b };
          break;
        }
        default: {
          const w = when(x!);
          frag = { sql: `${m.op.toUpperCase()}(${w.sql})`, b: w.b };
        }
      }
      const money = r?.field.type === 'money' && m.op !== 'count' && m.op !== 'count_distinct';
      const api = money ? { sql: `(${frag.sql} / 100.0)`, b: frag.b } : { sql: this.num(frag.sql), b: frag.b };
      measureSql.set(m.key, { frag, api, money });
      const fieldType = r?.field.type;
      const isDateMeasure = fieldType === 'date' || fieldType === 'datetime';
      const format = m.format ?? (money ? 'money' : fieldType === 'percent' && m.op !== 'count' && m.op !== 'count_distinct' ? 'percent' : isDateMeasure && (m.op === 'min' || m.op === 'max') ? fieldType : 'number');
      const precision = m.precision ?? (m.op === 'avg' ? 2 : 6);
      post.set(m.key, isDateMeasure && (m.op === 'min' || m.op === 'max') ? (v) => v ?? null : money ? (v) => (v == null ? null : Math.round(Number(v)) / 100) : round(precision));
      if (money && m.op === 'avg') post.set(m.key, (v) => (v == null ? null : Math.round(Number(v)) / 100));
      havingTypes.set(m.key, money ? 'money' : isDateMeasure ? (fieldType as FieldDef['type']) : 'number');
      columns.push({ key: m.key, kind: 'measure', label: this.label(m.label, r ? this.fieldLabel(r, m.field!) : m.key), type: format });
    }
    const derived = measures.filter((m) => m.op === 'ratio' || m.op === 'expr');
    const pending = new Set(derived.map((m) => m.key));
    while (pending.size) {
      let progressed = false;
      for (const m of derived) {
        if (!pending.has(m.key)) continue;
        const refs = m.op === 'ratio' ? m.of! : collectRefs(m.expr);
        if (refs.some((k) => pending.has(k))) continue;
        pending.delete(m.key);
        progressed = true;
        if (refs.some((k) => hiddenMeasures.has(k))) {
          hiddenMeasures.add(m.key);
          continue;
        }
        const expr = m.op === 'ratio' ? { '/': [{ measure: m.of![0] }, { measure: m.of![1] }] } : m.expr;
        const api = await this.arithmetic(expr, async (k) => measureSql.get(k)!.api);
        measureSql.set(m.key, { frag: api, api, money: false });
        const format = m.format ?? (m.op === 'ratio' ? 'percent' : 'number');
        post.set(m.key, round(m.precision ?? (m.op === 'ratio' ? 4 : 2)));
        havingTypes.set(m.key, 'number');
        columns.push({ key: m.key, kind: 'measure', label: this.label(m.label, m.key), type: format });
      }
      if (!progressed) break;
    }
    for (const k of hiddenMeasures) this.omitted.push(k);
    // Measures in their declared order.
    const measureOrder = measures.map((m) => m.key).filter((k) => measureSql.has(k));
    for (const k of measureOrder) selects.push({ alias: k, frag: measureSql.get(k)!.frag });
    const dimKeys = columns.filter((c) => !measureSql.has(c.key)).map((c) => c.key);
    columns.sort((a, b) => {
      const ia = dimKeys.includes(a.key) ? dimKeys.indexOf(a.key) : dimKeys.length + measureOrder.indexOf(a.key);
      const ib = dimKeys.includes(b.key) ? dimKeys.indexOf(b.key) : dimKeys.length + measureOrder.indexOf(b.key);
      return ia - ib;
    });

    // Detail columns.
    if (!aggregate) {
      selects.push({ alias: '__id', frag: { sql: '"t"."id"', b: [] } });
      for (const [i, c] of (def.columns ?? []).entries()) {
        try {
          if (c.field) {
            const r = await this.resolve(c.field, `/columns/${i}/field`, true);
            const type = r.field.type;
            if ((type === 'user' || type === 'department') && !r.field.multiple) {
              // A person or a department by name.
              const alias = `p${++this.aliasSeq}`;
              const [table, name] = type === 'user' ? ['fw_users', 'display_name'] : ['fw_departments', 'name'];
              this.joins.push({ sql: ` LEFT JOIN ${q(table)} AS ${q(alias)} ON ${q(alias)}."id" = ${r.sql}`, b: [] });
              selects.push({ alias: c.key, frag: { sql: `${q(alias)}.${q(name)}`, b: [] } });
              columns.push({ key: c.key, kind: 'column', label: this.label(c.label, this.fieldLabel(r, c.field)), type: 'text' });
              havingTypes.set(c.key, 'text');
            } else if (type === 'relation') {
              const target = await env.form(r.field.relation!.form);
              let sql = r.sql;
              if (target.def.titleField) {
                try {
                  sql = (await this.resolve(`${c.field}.${target.def.titleField}`, `/columns/${i}/field`, true)).sql;
                } catch (e) {
                  if (!(e instanceof Hidden)) throw e;
                }
              }
              selects.push({ alias: c.key, frag: { sql, b: [] } });
              columns.push({ key: c.key, kind: 'column', label: this.label(c.label, this.fieldLabel(r, c.field)), type: 'text' });
              havingTypes.set(c.key, 'text');
            } else {
              selects.push({ alias: c.key, frag: { sql: r.sql, b: [] } });
              if (type === 'money') post.set(c.key, (v) => (v == null ? null : Number(v) / 100));
              else if (type === 'number' || type === 'percent') post.set(c.key, toNumber);
              else if (type === 'boolean') post.set(c.key, (v) => (v == null ? null : v === true || v === 1 || v === '1'));
              else if (columnKind(r.field) === 'json') post.set(c.key, (v) => (typeof v === 'string' ? JSON.parse(v) : v ?? null));
              columns.push({ key: c.key, kind: 'column', label: this.label(c.label, this.fieldLabel(r, c.field)), type: c.format ?? type, options: this.optionsOf(r.field) });
              havingTypes.set(c.key, columnKind(r.field) === 'json' ? 'tags' : type);
            }
          } else {
            const frag = await this.arithmetic(c.expr, async (path) => {
              const r = await this.resolve(path, `/columns/${i}/expr`, true);
              if (!['number', 'money', 'percent'].includes(r.field.type)) throw invalid(`/columns/${i}/expr`, `${path} 不是数值字段`, `'${path}' is not a number field`);
              return { sql: this.apiUnits(r), b: [] };
            });
            selects.push({ alias: c.key, frag });
            post.set(c.key, round(2));
            columns.push({ key: c.key, kind: 'column', label: this.label(c.label, c.key), type: c.format ?? 'number' });
            havingTypes.set(c.key, 'number');
          }
          sortSql.set(c.key, q(c.key));
        } catch (e) {
          if (e instanceof Hidden) {
            this.omitted.push(c.key);
            continue;
          }
          throw e;
        }
      }
    }
    for (const m of measureOrder) sortSql.set(m, q(m));

    // WHERE: the caller's rows, the report's filter, the params.
    const where: Frag[] = [this.scopeSql(this.source)];
    if (def.filter !== undefined && def.filter !== null) where.push(await this.condition(def.filter, '/filter', false));
    for (const [i, cond] of env.paramConditions.entries()) where.push(await this.condition(cond, `/params/${i}`, false));
    const whereSql = where.filter((w) => w.sql !== '1=1');

    // HAVING over output keys.
    let having: Frag | null = null;
    if (def.having !== undefined && def.having !== null) {
      const resolver = (key: string): SqlField | undefined => {
        const t = havingTypes.get(key);
        if (!t) return undefined;
        return { sql: `"q".${q(key)}`, field: { id: key, key, type: t === 'tags' ? 'text' : t, label: key } as FieldDef };
      };
      try {
        const c = compileFilter(def.having, { dialect: env.dialect, field: resolver, vars: env.vars });
        having = { sql: c.sql, b: c.bindings };
      } catch (e) {
        if (e instanceof AppError && this.omitted.length) throw new AppError('forbidden', msg('报表的筛选用到了您无权查看的数据', 'The report filters on data you may not see'));
        throw e instanceof AppError ? rewrap(e, '/having') : e;
      }
    }

    // ORDER BY.
    const sorts: string[] = [];
    const nulls = (desc: boolean) => (env.dialect === 'pg' ? (desc ? ' NULLS LAST' : ' NULLS FIRST') : desc ? ' NULLS LAST' : ' NULLS FIRST');
    for (const s of def.sort ?? []) {
      const sql = sortSql.get(s.key);
      if (sql) sorts.push(`${sql} ${s.desc ? 'DESC' : 'ASC'}${nulls(!!s.desc)}`);
    }
    if (!def.sort?.length) for (const d of dimInfo) sorts.push(`${sortSql.get(d.d.key)} ASC${nulls(false)}`);
    if (!aggregate) sorts.push('"__id" ASC');
    else if (!sorts.length) sorts.push('1');
    const limit = def.limit ?? REPORT_DEFAULT_LIMIT;

    // Assemble.
    const selectList = selects.map((s) => ({ sql: `${s.frag.sql} AS ${q(s.alias)}`, b: s.frag.b }));
    const fromSql = ` FROM ${q(source.table)} AS "t"`;
    const joinSql = this.joins;
    const whereText = whereSql.length ? ` WHERE ${whereSql.map((w) => `(${w.sql})`).join(' AND ')}` : '';
    const whereB = whereSql.flatMap((w) => w.b);
    const groupText = aggregate && groupCount ? ` GROUP BY ${Array.from({ length: groupCount }, (_, i) => i + 1).join(', ')}` : '';
    const inner: Frag = {
      sql: `SELECT ${selectList.map((s) => s.sql).join(', ')}${fromSql}${joinSql.map((j) => j.sql).join('')}${whereText}${groupText}`,
      b: [...selectList.flatMap((s) => s.b), ...joinSql.flatMap((j) => j.b), ...whereB],
    };
    const havingText = having ? ` WHERE ${having.sql}` : '';
    const havingB = having ? having.b : [];
    let sql: string;
    let bindings: unknown[];
    const totals = !!def.totals && aggregate;
    const baseOps = new Map(measures.filter((m) => measureSql.has(m.key) && m.op !== 'ratio' && m.op !== 'expr').map((m) => [m.key, m.op]));
    const rollable = groupCount > 0 && [...baseOps.values()].every((op) => op === 'count' || op === 'sum' || op === 'min' || op === 'max');
    if (totals && rollable) {
      // Totals from the groups themselves (counts and sums add up, minima and maxima nest): the
      // records are scanned once; the grouped rows are a materialised CTE read twice.
      const rollup = new Map<string, Frag>();
      for (const [k, op] of baseOps) rollup.set(k, { sql: op === 'min' ? `MIN("g".${q(k)})` : op === 'max' ? `MAX("g".${q(k)})` : `COALESCE(SUM("g".${q(k)}), 0)`, b: [] });
      const rollupApi = async (k: string): Promise<Frag> => {
        const base = rollup.get(k);
        if (base) return measureSql.get(k)!.money ? { sql: `(${base.sql} / 100.0)`, b: [] } : { sql: this.num(base.sql), b: [] };
        const m = measures.find((x) => x.key === k)!;
        const expr = m.op === 'ratio' ? { '/': [{ measure: m.of![0] }, { measure: m.of![1] }] } : m.expr;
        return this.arithmetic(expr, rollupApi);
      };
      const tparts: Frag[] = [];
      for (const k of measureOrder) tparts.push(rollup.get(k) ?? (await rollupApi(k)));
      const tsql = [...selects.slice(0, dimSelectCount).map((s) => `NULL AS ${q(s.alias)}`), ...tparts.map((f, i) => `${f.sql} AS ${q(measureOrder[i]!)}`)].join(', ');
      sql =
        `WITH "g" AS MATERIALIZED (${inner.sql}) ` +
        `SELECT * FROM (SELECT * FROM (SELECT 0 AS "__total", "q".* FROM "g" "q"${havingText} ORDER BY ${sorts.join(', ')} LIMIT ${limit}) "a"` +
        ` UNION ALL SELECT 1 AS "__total", ${tsql} FROM "g") "u" ORDER BY "__total", ${sorts.join(', ')}`;
      bindings = [...inner.b, ...havingB, ...tparts.flatMap((f) => f.b)];
    } else if (totals) {
      const totalSelects = [
        ...selects.slice(0, dimSelectCount).map((s) => `NULL AS ${q(s.alias)}`),
        ...measureOrder.map((k) => ({ sql: `${measureSql.get(k)!.frag.sql} AS ${q(k)}`, b: measureSql.get(k)!.frag.b })),
      ];
      const tsql = totalSelects.map((t) => (typeof t === 'string' ? t : t.sql)).join(', ');
      const tb = totalSelects.flatMap((t) => (typeof t === 'string' ? [] : t.b));
      sql =
        `SELECT * FROM (SELECT * FROM (SELECT 0 AS "__total", "q".* FROM (${inner.sql}) "q"${havingText} ORDER BY ${sorts.join(', ')} LIMIT ${limit}) "a"` +
        ` UNION ALL SELECT 1 AS "__total", ${tsql}${fromSql}${joinSql.map((j) => j.sql).join('')}${whereText}) "u" ORDER BY "__total", ${sorts.join(', ')}`;
      bindings = [...inner.b, ...havingB, ...tb, ...joinSql.flatMap((j) => j.b), ...whereB];
    } else {
      sql = `SELECT "q".* FROM (${inner.sql}) "q"${havingText} ORDER BY ${sorts.join(', ')} LIMIT ${limit}`;
      bindings = [...inner.b, ...havingB];
    }

    const outKeys = columns.map((c) => c.key);
    const drillable = aggregate && dimInfo.length > 0 && this.portableFilter() !== undefined && dimInfo.every((d) => d.r.direct && !d.r.child);
    const finish = (rows: any[]): ReportResult => {
      const result: ReportResult = { columns, rows: [] };
      const drill: Array<DrillTarget | null> = [];
      const ids: number[] = [];
      for (const row of rows) {
        const out: Record<string, unknown> = {};
        for (const k of outKeys) {
          const f = post.get(k);
          out[k] = f ? f(row[k]) : row[k] ?? null;
        }
        for (const [k, idKey] of fallbacks) if (out[k] == null && row[idKey] != null) out[k] = `#${row[idKey]}`;
        if (totals && Number(row.__total) === 1) {
          result.totals = out;
          continue;
        }
        result.rows.push(out);
        if (!aggregate) ids.push(Number(row.__id));
        if (drillable) drill.push(this.drillFor(dimInfo, row));
      }
      if (!aggregate) result.ids = ids;
      if (drillable) result.drill = drill;
      return result;
    };
    return { sql, bindings, columns, omitted: this.omitted, finish };
  }

  // ----- drill-down --------------------------------------------------------------------------

  /** The report's filter and params as a list filter on the source form, or undefined when they cannot be one. */
  private portableFilter(): JsonLogic[] | undefined {
    const parts: JsonLogic[] = [];
    const conds = [this.def.filter, ...this.env.paramConditions];
    for (const c of conds) {
      if (c === undefined || c === null) continue;
      const resolved = substituteVars(c, this.env.vars);
      if (resolved === undefined) return undefined;
      parts.push(resolved);
    }
    return parts;
  }

  private drillFor(dims: Array<{ d: ReportDimension; r: Resolved; kind: string }>, row: any): DrillTarget | null {
    const parts = [...(this.portableFilter() ?? [])];
    for (const { d, r, kind } of dims) {
      const v = { var: d.field };
      const value = kind !== 'plain' ? row[`__id_${d.key}`] : row[d.key];
      if (value === null || value === undefined) {
        if (d.grain || d.transform || d.buckets) return null;
        parts.push({ '==': [v, null] });
        continue;
      }
      if (d.grain) {
        const range = grainRange(d.grain, String(value));
        if (!range) return null;
        parts.push({ '>=': [v, range[0]] }, { '<': [v, range[1]] });
        continue;
      }
      if (d.transform === 'days_since') {
        // days = today − date: a band of days is a band of dates.
        let lo: number | undefined;
        let hi: number | undefined;
        if (d.buckets) {
          const j = d.buckets.findIndex((b) => b.key === value);
          if (j < 0) return null;
          hi = d.buckets[j]!.max;
          lo = j > 0 ? d.buckets[j - 1]!.max : undefined;
        } else {
          lo = Number(value) - 1;
          hi = Number(value);
        }
        if (hi !== undefined) parts.push({ '>=': [v, addDays(this.env.today, -Math.floor(hi))] });
        if (lo !== undefined) parts.push({ '<': [v, addDays(this.env.today, -Math.floor(lo))] });
        continue;
      }
      if (d.buckets) {
        const j = d.buckets.findIndex((b) => b.key === value);
        if (j < 0) return null;
        if (d.buckets[j]!.max !== undefined) parts.push({ '<=': [v, d.buckets[j]!.max] });
        if (j > 0) parts.push({ '>': [v, d.buckets[j - 1]!.max] });
        continue;
      }
      const f = r.field;
      parts.push({ '==': [v, f.type === 'money' ? Number(value) / 100 : f.type === 'boolean' ? value === true || value === 1 : typeof value === 'string' || typeof value === 'number' ? value : String(value)] });
    }
    return { form: this.def.source, filter: parts.length === 1 ? parts[0] : { and: parts } };
  }
}

function collectRefs(expr: unknown, out: string[] = []): string[] {
  if (expr && typeof expr === 'object') {
    if (Array.isArray(expr)) for (const e of expr) collectRefs(e, out);
    else {
      const [op] = Object.keys(expr);
      const arg = (expr as Record<string, unknown>)[op!];
      if (op === 'measure') out.push(String(arg));
      else collectRefs(arg, out);
    }
  }
  return out;
}

/** Replace `$…` vars by their values; undefined when the condition cannot be a list filter (paths, related records). */
function substituteVars(expr: unknown, vars: Record<string, unknown>): unknown {
  if (expr === null || typeof expr !== 'object') return expr;
  if (Array.isArray(expr)) {
    const out: unknown[] = [];
    for (const e of expr) {
      const s = substituteVars(e, vars);
      if (s === undefined) return undefined;
      out.push(s);
    }
    return out;
  }
  const [op] = Object.keys(expr);
  const arg = (expr as Record<string, unknown>)[op!];
  if (op === 'no_related' || op === 'has_related') return undefined;
  if (op === 'var') {
    const name = Array.isArray(arg) ? arg[0] : arg;
    if (typeof name !== 'string') return undefined;
    if (name.startsWith('$')) {
      let v: unknown = vars;
      for (const seg of name.split('.')) {
        if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, seg)) return null;
        v = (v as Record<string, unknown>)[seg];
      }
      return v === undefined ? null : v;
    }
    return name.includes('.') ? undefined : expr;
  }
  const s = substituteVars(arg, vars);
  return s === undefined ? undefined : { [op!]: s };
}

const addDays = (date: string, days: number): string => dateAdd(date, days, 'day')!;

/** [first day, first day after] of a grain's value ('2026-03', '2026-Q1', a week's Monday…). */
export function grainRange(grain: NonNullable<ReportDimension['grain']>, value: string): [string, string] | null {
  const pad = (n: number) => String(n).padStart(2, '0');
  switch (grain) {
    case 'day':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? [value, addDays(value, 1)] : null;
    case 'week':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? [value, addDays(value, 7)] : null;
    case 'month': {
      const m = /^(\d{4})-(\d{2})$/.exec(value);
      if (!m) return null;
      const y = Number(m[1]);
      const mo = Number(m[2]);
      return [`${value}-01`, mo === 12 ? `${y + 1}-01-01` : `${y}-${pad(mo + 1)}-01`];
    }
    case 'quarter': {
      const m = /^(\d{4})-Q([1-4])$/.exec(value);
      if (!m) return null;
      const y = Number(m[1]);
      const qn = Number(m[2]);
      return [`${y}-${pad(qn * 3 - 2)}-01`, qn === 4 ? `${y + 1}-01-01` : `${y}-${pad(qn * 3 + 1)}-01`];
    }
    case 'year':
      return /^\d{4}$/.test(value) ? [`${value}-01-01`, `${Number(value) + 1}-01-01`] : null;
  }
}

/** Compile a report for one caller. */
export async function compileReport(def: ReportDef, env: ReportEnv): Promise<CompiledReport> {
  return new ReportCompiler(def, env).compile();
}

export type { ReportColumn, ReportMeasure };
