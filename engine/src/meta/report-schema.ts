/**
 * ReportDef and DashboardDef: the documents behind reports and dashboards, their metaschemas
 * (ajv) and the checks a schema cannot express (unique output keys, references between
 * measures, sort and pivot keys that exist). Checks against forms (do the field paths exist,
 * may they be aggregated) happen when a report is compiled (engine/src/reports/compiler.ts),
 * which is also run when a report is published.
 *
 * ## ReportDef
 * - `source`: the form whose records the report reads. Field paths are field keys of the
 *   source, or go through relation fields (`model.brand`, `order.customer.name`; up to four
 *   steps) and at most one subtable of the source (`accessories.price`: one row per subtable
 *   row). System keys (`id`, `_createdAt`, `_owner`, `_dept`…) may end a path.
 * - `filter`: json-logic over source field keys (the list-filter subset of rules/sql.ts), with
 *   `{"var": "$params.KEY"}` and `{"var": "$user.id"}`, plus `{"no_related": [FORM, VIA, FILTER?]}` (no record of FORM whose relation field VIA points at
 *   this one and matches FILTER) and `{"has_related": …}`.
 * - `params`: what a caller (or a dashboard's global filter) may pass: a date range, a date, a
 *   department (its subtree), a user, a select, text or a number; a param with `field` filters
 *   that field path when given (a date range as from ≤ field ≤ to).
 * - Aggregate reports: `dimensions` (a field path; a date `grain`; `transform: 'days_since'`
 *   (whole days from the date to today); `buckets` over a number, such as age bands) and
 *   `measures` (count, count_distinct, sum, avg, min, max over a path, optionally only rows
 *   matching `filter`; `ratio` of two measures; `expr`, arithmetic over measures).
 *   Detail reports: `columns` (a path or an arithmetic `expr` over paths), one row per record.
 * - `having` (json-logic over output keys), `sort`, `limit`, `totals` (a last row over all rows),
 *   `pivot` (one dimension's values become columns), `type` table | pivot | chart, `chart`
 *   (bar, line, pie, funnel, kpi), `category` operations | finance | risk | custom.
 *
 * Isomorphic: no Node or database imports.
 */
import type { ValidateFunction } from 'ajv';
import { msg, validationError } from '../errors.js';
import type { JsonLogic, Label, OptionDef } from './types.js';
import {
  KEY_SCHEMA, LABEL_SCHEMA, LOGIC_SCHEMA, TEXT_SCHEMA,
  addError, createMetaAjv, schemaErrors, structuralErrors, type FieldErrors,
} from './metaschema.js';

export const REPORT_CATEGORIES = ['operations', 'finance', 'risk', 'custom'] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];
export const DATE_GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type DateGrain = (typeof DATE_GRAINS)[number];
export const MEASURE_OPS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max', 'ratio', 'expr'] as const;
export type MeasureOp = (typeof MEASURE_OPS)[number];
export const CHART_KINDS = ['bar', 'line', 'pie', 'funnel', 'kpi'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];
export const PARAM_TYPES = ['date_range', 'date', 'department', 'user', 'select', 'text', 'number'] as const;
export type ReportParamType = (typeof PARAM_TYPES)[number];
/** Most rows a report returns. */
export const REPORT_MAX_LIMIT = 10_000;
export const REPORT_DEFAULT_LIMIT = 1000;

export interface ReportParamDef {
  key: string;
  label?: Label;
  type: ReportParamType;
  /** The field path this param filters when it is given. */
  field?: string;
  required?: boolean;
  default?: unknown;
  /** select: the choices. */
  options?: OptionDef[];
}

export interface BucketDef {
  key: string;
  label?: Label;
  /** Values ≤ max fall in this bucket (the first that fits); the last bucket may omit it. */
  max?: number;
}

export interface ReportDimension {
  key: string;
  label?: Label;
  field: string;
  grain?: DateGrain;
  transform?: 'days_since';
  buckets?: BucketDef[];
}

export interface ReportMeasure {
  key: string;
  label?: Label;
  op: MeasureOp;
  field?: string;
  /** Only rows matching this condition count (json-logic over field paths). */
  filter?: JsonLogic;
  /** ratio: [numerator measure key, denominator measure key]. */
  of?: [string, string];
  /** expr: arithmetic (+ - * /) over {"measure": KEY} and numbers. */
  expr?: JsonLogic;
  /** How to show the value; default from the field (money) or number. */
  format?: 'number' | 'money' | 'percent';
  /** Decimal places of a derived value (ratio, expr, avg). Default 4 for ratios, 2 otherwise. */
  precision?: number;
}

export interface ReportColumn {
  key: string;
  label?: Label;
  field?: string;
  /** Arithmetic (+ - * /) over {"var": PATH} and numbers. */
  expr?: JsonLogic;
  format?: 'number' | 'money' | 'percent';
}

export interface ReportDef {
  key: string;
  label: Label;
  module?: string;
  description?: Label;
  category: ReportCategory;
  source: string;
  filter?: JsonLogic;
  params?: ReportParamDef[];
  dimensions?: ReportDimension[];
  measures?: ReportMeasure[];
  columns?: ReportColumn[];
  having?: JsonLogic;
  sort?: Array<{ key: string; desc?: boolean }>;
  limit?: number;
  totals?: boolean;
  type?: 'table' | 'pivot' | 'chart';
  pivot?: { columns: string };
  chart?: { kind: ChartKind; x?: string; series?: string; y?: string[]; stacked?: boolean };
  /** Roles that may run it (besides administrators); default: whoever may read the source form. */
  roles?: string[];
}

export interface DashboardFilterDef {
  key: string;
  label?: Label;
  type: 'date_range' | 'department' | 'user' | 'select';
  default?: unknown;
  options?: OptionDef[];
}

export interface DashboardWidget {
  id: string;
  report: string;
  title?: Label;
  /** Grid position (24 columns): x, y, w, h. */
  layout: { x: number; y: number; w: number; h: number };
  /** Report param → a dashboard filter (`"$filters.period"`) or a literal. */
  params?: Record<string, unknown>;
  /** Overrides the report's chart. */
  chart?: ReportDef['chart'];
}

export interface DashboardDelivery {
  frequency: 'daily' | 'weekly' | 'monthly';
  /** Local time HH:mm (default 08:00). */
  at?: string;
  /** weekly: 1 (Monday) … 7 (Sunday); monthly: day of month 1–28. */
  day?: number;
  timezone?: string;
  /** Recipients: users with these roles and these usernames (each gets what they may see). */
  roles?: string[];
  users?: string[];
  lang?: 'zh-CN' | 'en';
}

export interface DashboardDef {
  key: string;
  label: Label;
  module?: string;
  description?: Label;
  filters?: DashboardFilterDef[];
  widgets: DashboardWidget[];
  deliveries?: DashboardDelivery[];
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

type Schema = Record<string, unknown>;

/**
 * The two metaschemas, built on first use: this module and metaschema.ts import each other, so
 * nothing here reads metaschema.ts's values at the top level.
 */
let schemas: { report: Schema; dashboard: Schema } | null = null;
export function reportSchemas(): { report: Schema; dashboard: Schema } {
  if (schemas) return schemas;
  const PATH_PATTERN = '^([a-z][a-z0-9_]{0,47}\\.){0,4}([a-z][a-z0-9_]{0,47}|_createdAt|_updatedAt|_createdBy|_owner|_dept)$';
  const PATH: Schema = {
    type: 'string', pattern: PATH_PATTERN,
    'x-messages': { pattern: msg('字段路径须为字段键，用“.”经关联字段连接（如 model.brand）', "a field path is field keys joined by '.' through relation fields (e.g. model.brand)") },
  };
  const OPTION: Schema = {
    type: 'object', required: ['key', 'label'], additionalProperties: false,
    properties: { key: KEY_SCHEMA, label: LABEL_SCHEMA, color: { type: 'string', maxLength: 32 } },
  };
  const FORMAT: Schema = { enum: ['number', 'money', 'percent'] };
  const CHART: Schema = {
    type: 'object', required: ['kind'], additionalProperties: false,
    properties: {
      kind: { enum: [...CHART_KINDS] },
      x: KEY_SCHEMA,
      series: KEY_SCHEMA,
      y: { type: 'array', items: KEY_SCHEMA, maxItems: 20 },
      stacked: { type: 'boolean' },
    },
  };

  const REPORT_DEF_SCHEMA: Schema = {
    type: 'object',
    required: ['key', 'label', 'category', 'source'],
    additionalProperties: false,
    properties: {
      key: KEY_SCHEMA,
      label: LABEL_SCHEMA,
      module: { type: 'string', minLength: 1, maxLength: 64 },
      description: TEXT_SCHEMA,
      category: { enum: [...REPORT_CATEGORIES] },
      source: KEY_SCHEMA,
      filter: LOGIC_SCHEMA,
      params: {
        type: 'array', maxItems: 20,
        items: {
          type: 'object', required: ['key', 'type'], additionalProperties: false,
          properties: {
            key: KEY_SCHEMA, label: LABEL_SCHEMA, type: { enum: [...PARAM_TYPES] }, field: PATH,
            required: { type: 'boolean' }, default: {}, options: { type: 'array', items: OPTION, maxItems: 500 },
          },
        },
      },
      dimensions: {
        type: 'array', maxItems: 6,
        items: {
          type: 'object', required: ['key', 'field'], additionalProperties: false,
          properties: {
            key: KEY_SCHEMA, label: LABEL_SCHEMA, field: PATH,
            grain: { enum: [...DATE_GRAINS] },
            transform: { enum: ['days_since'] },
            buckets: {
              type: 'array', minItems: 1, maxItems: 50,
              items: {
                type: 'object', required: ['key'], additionalProperties: false,
                properties: { key: KEY_SCHEMA, label: LABEL_SCHEMA, max: { type: 'number' } },
              },
            },
          },
        },
      },
      measures: {
        type: 'array', maxItems: 30,
        items: {
          type: 'object', required: ['key', 'op'], additionalProperties: false,
          properties: {
            key: KEY_SCHEMA, label: LABEL_SCHEMA, op: { enum: [...MEASURE_OPS] }, field: PATH, filter: LOGIC_SCHEMA,
            of: { type: 'array', items: KEY_SCHEMA, minItems: 2, maxItems: 2 },
            expr: LOGIC_SCHEMA, format: FORMAT, precision: { type: 'integer', minimum: 0, maximum: 8 },
          },
        },
      },
      columns: {
        type: 'array', maxItems: 50,
        items: {
          type: 'object', required: ['key'], additionalProperties: false,
          properties: { key: KEY_SCHEMA, label: LABEL_SCHEMA, field: PATH, expr: LOGIC_SCHEMA, format: FORMAT },
        },
      },
      having: LOGIC_SCHEMA,
      sort: {
        type: 'array', maxItems: 10,
        items: { type: 'object', required: ['key'], additionalProperties: false, properties: { key: KEY_SCHEMA, desc: { type: 'boolean' } } },
      },
      limit: { type: 'integer', minimum: 1, maximum: REPORT_MAX_LIMIT },
      totals: { type: 'boolean' },
      type: { enum: ['table', 'pivot', 'chart'] },
      pivot: { type: 'object', required: ['columns'], additionalProperties: false, properties: { columns: KEY_SCHEMA } },
      chart: CHART,
      roles: { type: 'array', items: KEY_SCHEMA, uniqueItems: true, maxItems: 100 },
    },
  };

  const GRID: Schema = {
    type: 'object', required: ['x', 'y', 'w', 'h'], additionalProperties: false,
    properties: {
      x: { type: 'integer', minimum: 0, maximum: 23 },
      y: { type: 'integer', minimum: 0, maximum: 1000 },
      w: { type: 'integer', minimum: 1, maximum: 24 },
      h: { type: 'integer', minimum: 1, maximum: 100 },
    },
  };

  const DASHBOARD_DEF_SCHEMA: Schema = {
    type: 'object',
    required: ['key', 'label', 'widgets'],
    additionalProperties: false,
    properties: {
      key: KEY_SCHEMA,
      label: LABEL_SCHEMA,
      module: { type: 'string', minLength: 1, maxLength: 64 },
      description: TEXT_SCHEMA,
      filters: {
        type: 'array', maxItems: 10,
        items: {
          type: 'object', required: ['key', 'type'], additionalProperties: false,
          properties: {
            key: KEY_SCHEMA, label: LABEL_SCHEMA, type: { enum: ['date_range', 'department', 'user', 'select'] },
            default: {}, options: { type: 'array', items: OPTION, maxItems: 500 },
          },
        },
      },
      widgets: {
        type: 'array', maxItems: 50,
        items: {
          type: 'object', required: ['id', 'report', 'layout'], additionalProperties: false,
          properties: {
            id: KEY_SCHEMA, report: KEY_SCHEMA, title: LABEL_SCHEMA, layout: GRID,
            params: { type: 'object', maxProperties: 20, propertyNames: KEY_SCHEMA },
            chart: CHART,
          },
        },
      },
      deliveries: {
        type: 'array', maxItems: 10,
        items: {
          type: 'object', required: ['frequency'], additionalProperties: false,
          properties: {
            frequency: { enum: ['daily', 'weekly', 'monthly'] },
            at: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
            day: { type: 'integer', minimum: 1, maximum: 28 },
            timezone: { type: 'string', maxLength: 64 },
            roles: { type: 'array', items: KEY_SCHEMA, uniqueItems: true, maxItems: 50 },
            users: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, uniqueItems: true, maxItems: 200 },
            lang: { enum: ['zh-CN', 'en'] },
          },
        },
      },
    },
  };

  schemas = { report: REPORT_DEF_SCHEMA, dashboard: DASHBOARD_DEF_SCHEMA };
  return schemas;
}

let validators: { report: ValidateFunction; dashboard: ValidateFunction } | null = null;
function compiled() {
  if (!validators) {
    const ajv = createMetaAjv();
    const { report, dashboard } = reportSchemas();
    validators = { report: ajv.compile(report), dashboard: ajv.compile(dashboard) };
  }
  return validators;
}

// ---------------------------------------------------------------------------------------------
// Checks beyond the schema
// ---------------------------------------------------------------------------------------------

const ARITH = new Set(['+', '-', '*', '/']);

/** Walk an arithmetic expression; `leaf` sees each {"measure"|"var": x}. Returns an error text or null. */
export function checkArithmetic(expr: unknown, leafOp: 'measure' | 'var', leaf: (name: string) => string | null, depth = 0): string | null {
  if (depth > 16) return 'too deeply nested';
  if (typeof expr === 'number') return Number.isFinite(expr) ? null : 'numbers must be finite';
  if (expr === null || typeof expr !== 'object' || Array.isArray(expr)) return `expected a number or an operation, got ${JSON.stringify(expr)?.slice(0, 40)}`;
  const keys = Object.keys(expr);
  if (keys.length !== 1) return 'an object must hold exactly one operation';
  const op = keys[0]!;
  const arg = (expr as Record<string, unknown>)[op];
  if (op === leafOp) return typeof arg === 'string' ? leaf(arg) : `${leafOp} needs a name`;
  if (!ARITH.has(op)) return `operation '${op}' is not allowed here (only + - * / and ${leafOp})`;
  if (!Array.isArray(arg) || arg.length < 1 || arg.length > 20 || ((op === '/' || op === '-') && arg.length > 2)) return `operation '${op}' has the wrong number of arguments`;
  for (const a of arg) {
    const e = checkArithmetic(a, leafOp, leaf, depth + 1);
    if (e) return e;
  }
  return null;
}

function semanticReportErrors(def: ReportDef): FieldErrors {
  const out: FieldErrors = {};
  const dims = def.dimensions ?? [];
  const measures = def.measures ?? [];
  const columns = def.columns ?? [];
  if (columns.length && (dims.length || measures.length)) {
    addError(out, '/columns', msg('明细列（columns）不能与维度、指标同时使用', 'columns (a detail report) cannot be combined with dimensions or measures'));
  }
  if (!columns.length && !measures.length) {
    addError(out, '', msg('报表至少需要一个指标或一个明细列', 'a report needs at least one measure or one column'));
  }
  const keys = new Map<string, string>();
  const claim = (key: string, path: string) => {
    if (keys.has(key)) addError(out, path + '/key', msg(`输出键 ${key} 重复`, `output key '${key}' is used twice (also at ${keys.get(key)})`));
    else keys.set(key, path);
  };
  dims.forEach((d, i) => {
    claim(d.key, `/dimensions/${i}`);
    if (d.buckets) {
      d.buckets.forEach((b, j) => {
        const last = j === d.buckets!.length - 1;
        if (!last && b.max === undefined) addError(out, `/dimensions/${i}/buckets/${j}/max`, msg('除最后一档外每档都需要上限 max', 'every bucket but the last needs max'));
        if (j > 0 && b.max !== undefined && d.buckets![j - 1]!.max !== undefined && b.max <= d.buckets![j - 1]!.max!) {
          addError(out, `/dimensions/${i}/buckets/${j}/max`, msg('分档上限须递增', 'bucket bounds must increase'));
        }
      });
      if (d.grain) addError(out, `/dimensions/${i}/grain`, msg('分档与日期粒度不能同时使用', 'buckets and a date grain cannot be combined'));
    }
    if (d.grain && d.transform) addError(out, `/dimensions/${i}/transform`, msg('日期粒度与 days_since 不能同时使用', 'a grain and days_since cannot be combined'));
  });
  measures.forEach((m, i) => claim(m.key, `/measures/${i}`));
  columns.forEach((c, i) => {
    claim(c.key, `/columns/${i}`);
    if ((c.field === undefined) === (c.expr === undefined)) addError(out, `/columns/${i}`, msg('明细列需要 field 或 expr 之一', 'a column needs exactly one of field and expr'));
    if (c.expr !== undefined) {
      const e = checkArithmetic(c.expr, 'var', () => null);
      if (e) addError(out, `/columns/${i}/expr`, msg(`表达式无效：${e}`, `invalid expression: ${e}`));
    }
  });
  const measureKeys = new Set(measures.map((m) => m.key));
  measures.forEach((m, i) => {
    const p = `/measures/${i}`;
    const base = m.op !== 'ratio' && m.op !== 'expr';
    if (base && m.op !== 'count' && !m.field) addError(out, `${p}/field`, msg(`指标 ${m.op} 需要字段`, `measure op '${m.op}' needs a field`));
    if (!base && (m.field || m.filter !== undefined)) addError(out, p, msg('比值和表达式指标不能带 field 或 filter', 'ratio and expr measures take no field or filter'));
    if (m.op === 'ratio') {
      if (!m.of) addError(out, `${p}/of`, msg('比值需要 of: [分子, 分母]', 'ratio needs of: [numerator, denominator]'));
      else m.of.forEach((k, j) => {
        if (!measureKeys.has(k) || k === m.key) addError(out, `${p}/of/${j}`, msg(`没有指标 ${k}`, `no other measure '${k}'`));
      });
    }
    if (m.op === 'expr') {
      if (m.expr === undefined) addError(out, `${p}/expr`, msg('表达式指标需要 expr', 'expr measure needs expr'));
      else {
        const e = checkArithmetic(m.expr, 'measure', (k) => (measureKeys.has(k) && k !== m.key ? null : `no other measure '${k}'`));
        if (e) addError(out, `${p}/expr`, msg(`表达式无效：${e}`, `invalid expression: ${e}`));
      }
    }
  });
  // Derived measures may build on each other, but not in a circle.
  const deps = new Map<string, string[]>();
  for (const m of measures) {
    if (m.op === 'ratio' && m.of) deps.set(m.key, [...m.of]);
    if (m.op === 'expr') {
      const names: string[] = [];
      checkArithmetic(m.expr, 'measure', (k) => (names.push(k), null));
      deps.set(m.key, names);
    }
  }
  const state = new Map<string, number>();
  const cyclic = (k: string): boolean => {
    if (state.get(k) === 1) return true;
    if (state.get(k) === 2) return false;
    state.set(k, 1);
    const hit = (deps.get(k) ?? []).some(cyclic);
    state.set(k, 2);
    return hit;
  };
  measures.forEach((m, i) => {
    if (deps.has(m.key) && cyclic(m.key)) addError(out, `/measures/${i}`, msg(`指标 ${m.key} 循环引用`, `measure '${m.key}' refers to itself in a circle`));
  });
  (def.sort ?? []).forEach((s, i) => {
    if (!keys.has(s.key)) addError(out, `/sort/${i}/key`, msg(`没有输出列 ${s.key}`, `no output column '${s.key}'`));
  });
  const paramKeys = new Set<string>();
  (def.params ?? []).forEach((p, i) => {
    if (paramKeys.has(p.key)) addError(out, `/params/${i}/key`, msg(`参数 ${p.key} 重复`, `param '${p.key}' is declared twice`));
    paramKeys.add(p.key);
    if (p.type === 'select' && !p.options?.length && !p.field) addError(out, `/params/${i}/options`, msg('选择参数需要选项或字段', 'a select param needs options or a field'));
  });
  if (def.pivot) {
    const d = dims.find((x) => x.key === def.pivot!.columns);
    if (!d) addError(out, '/pivot/columns', msg(`没有维度 ${def.pivot.columns}`, `no dimension '${def.pivot.columns}'`));
    else if (dims.length < 2) addError(out, '/pivot', msg('交叉表需要至少两个维度', 'a pivot needs at least two dimensions'));
  }
  if (def.type === 'pivot' && !def.pivot) addError(out, '/pivot', msg('交叉表需要 pivot.columns', "type 'pivot' needs pivot.columns"));
  if (def.type === 'chart' && !def.chart) addError(out, '/chart', msg('图表报表需要 chart', "type 'chart' needs chart"));
  if (def.chart) {
    const c = def.chart;
    if (c.x && !dims.some((d) => d.key === c.x)) addError(out, '/chart/x', msg(`没有维度 ${c.x}`, `no dimension '${c.x}'`));
    if (c.series && !dims.some((d) => d.key === c.series)) addError(out, '/chart/series', msg(`没有维度 ${c.series}`, `no dimension '${c.series}'`));
    (c.y ?? []).forEach((y, i) => {
      if (!measureKeys.has(y)) addError(out, `/chart/y/${i}`, msg(`没有指标 ${y}`, `no measure '${y}'`));
    });
  }
  return out;
}

function semanticDashboardErrors(def: DashboardDef): FieldErrors {
  const out: FieldErrors = {};
  const ids = new Set<string>();
  const filters = new Set((def.filters ?? []).map((f) => f.key));
  def.widgets.forEach((w, i) => {
    if (ids.has(w.id)) addError(out, `/widgets/${i}/id`, msg(`组件 id ${w.id} 重复`, `widget id '${w.id}' is used twice`));
    ids.add(w.id);
    if (w.layout.x + w.layout.w > 24) addError(out, `/widgets/${i}/layout`, msg('组件超出 24 列网格', 'the widget goes past the 24-column grid'));
    for (const [k, v] of Object.entries(w.params ?? {})) {
      if (typeof v === 'string' && v.startsWith('$filters.') && !filters.has(v.slice('$filters.'.length))) {
        addError(out, `/widgets/${i}/params/${k}`, msg(`没有全局筛选 ${v}`, `no dashboard filter '${v}'`));
      }
    }
  });
  (def.deliveries ?? []).forEach((d, i) => {
    if (!d.roles?.length && !d.users?.length) addError(out, `/deliveries/${i}`, msg('推送需要收件角色或用户', 'a delivery needs roles or users to send to'));
    if (d.frequency === 'weekly' && d.day !== undefined && d.day > 7) addError(out, `/deliveries/${i}/day`, msg('每周推送的 day 为 1–7', 'weekly day is 1–7'));
    if (d.timezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: d.timezone });
      } catch {
        addError(out, `/deliveries/${i}/timezone`, msg(`未知时区 ${d.timezone}`, `unknown time zone '${d.timezone}'`));
      }
    }
  });
  return out;
}

/** Structure, then the metaschema, then the checks beyond it; the first stage that finds problems throws. */
function validateWith<T>(doc: unknown, v: ValidateFunction, semantic: (d: T) => FieldErrors): T {
  const structural = structuralErrors(doc);
  if (Object.keys(structural).length) throw validationError(structural);
  if (!v(doc)) throw validationError(schemaErrors(v.errors, doc));
  const errors = semantic(doc as T);
  if (Object.keys(errors).length) throw validationError(errors);
  return doc as T;
}

export function validateReportDef(doc: unknown): ReportDef {
  return validateWith(doc, compiled().report, semanticReportErrors);
}

export function validateDashboardDef(doc: unknown): DashboardDef {
  return validateWith(doc, compiled().dashboard, semanticDashboardErrors);
}
