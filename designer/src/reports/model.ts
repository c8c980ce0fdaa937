/**
 * The report and dashboard designer's document helpers: the ReportDef / DashboardDef types (from
 * the engine, types only: the metaschema stays on the server), field paths a report may use,
 * where a 422's JSON Pointers belong, and the 24-column grid arithmetic. Pure functions.
 */
import type {
  DashboardDef, DashboardFilterDef, DashboardWidget, ReportDef, ReportDimension, ReportMeasure, ReportParamDef,
} from '../../../engine/src/meta/report-schema';
import type { FieldDef, FormDef, Label } from '../../../engine/src/meta/types';
import { uniqueKey } from '../forms/model';
import { label } from '../i18n';

export type { DashboardDef, DashboardFilterDef, DashboardWidget, ReportDef, ReportDimension, ReportMeasure, ReportParamDef, FieldDef, FormDef, Label };
export { uniqueKey };

// The engine's vocabularies (report-schema.ts), repeated here so the designer does not bundle ajv.
export const CATEGORIES = ['operations', 'finance', 'risk', 'custom'] as const;
export const GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export const MEASURE_OPS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max', 'ratio', 'expr'] as const;
export const CHART_KINDS = ['bar', 'line', 'pie', 'funnel', 'kpi'] as const;
export const PARAM_TYPES = ['date_range', 'date', 'department', 'user', 'select', 'text', 'number'] as const;
export const FILTER_TYPES = ['date_range', 'department', 'user', 'select'] as const;
export const FORMATS = ['number', 'money', 'percent'] as const;
export const REPORT_TYPES = ['table', 'pivot', 'chart'] as const;
export const GRID_COLUMNS = 24;
/** Pixel height of one grid row in the dashboard designer. */
export const ROW_PX = 40;

/** What the run and preview endpoints answer. */
export interface ResultColumn { key: string; label: string; type: string; kind: 'dimension' | 'measure' | 'column'; options?: Record<string, string> | Array<{ key: string; label: unknown }> }
export interface ReportResult {
  key?: string; label?: string; type: string; columns: ResultColumn[]; rows: Array<Record<string, unknown>>;
  chart?: ReportDef['chart'] | null; totals?: Record<string, unknown>; truncated?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Field paths

export interface PathOption {
  path: string;
  /** Shown: "Model / Brand". */
  text: string;
  type: string;
  field?: FieldDef;
}

const SYSTEM_PATHS: Array<{ path: string; type: string; zh: string; en: string }> = [
  { path: '_createdAt', type: 'datetime', zh: '创建时间', en: 'Created at' },
  { path: '_updatedAt', type: 'datetime', zh: '修改时间', en: 'Updated at' },
  { path: '_createdBy', type: 'user', zh: '创建人', en: 'Created by' },
  { path: '_owner', type: 'user', zh: '负责人', en: 'Owner' },
  { path: '_dept', type: 'department', zh: '所属部门', en: 'Department' },
];

const NOT_REPORTABLE = new Set(['attachment', 'image', 'signature', 'location', 'address']);

/**
 * The paths a report over `source` may name: its fields, its subtables' row fields
 * (`lines.price`), one step through each relation (`model.brand`, with `related` holding the
 * target forms) and the system keys.
 */
export function fieldPaths(source: FormDef | null, related: Record<string, FormDef>, lang: string): PathOption[] {
  if (!source) return [];
  const out: PathOption[] = [];
  const live = (f: FormDef) => f.fields.filter((x) => !x.deleted && !x.sensitive && !NOT_REPORTABLE.has(x.type));
  for (const f of live(source)) {
    const name = label(f.label, f.key);
    if (f.type === 'subtable') {
      for (const c of (f.fields ?? []).filter((x) => !x.sensitive && !NOT_REPORTABLE.has(x.type))) {
        out.push({ path: `${f.key}.${c.key}`, text: `${name} / ${label(c.label, c.key)}`, type: c.type, field: c });
      }
      continue;
    }
    out.push({ path: f.key, text: name, type: f.type, field: f });
    if (f.type === 'relation' && f.relation?.form && related[f.relation.form]) {
      for (const c of live(related[f.relation.form]!)) {
        if (c.type === 'subtable') continue;
        out.push({ path: `${f.key}.${c.key}`, text: `${name} / ${label(c.label, c.key)}`, type: c.type, field: c });
      }
    }
  }
  for (const s of SYSTEM_PATHS) out.push({ path: s.path, text: lang === 'en' ? s.en : s.zh, type: s.type });
  return out;
}

export const isDateType = (type: string | undefined) => type === 'date' || type === 'datetime';
export const isNumberType = (type: string | undefined) => type === 'number' || type === 'money' || type === 'percent';

/** A key for an output column from a path ('model.brand' → 'model_brand'). */
export const keyFromPath = (path: string) => path.replace(/^_+/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]/g, '_');

/** Every output key of a report (dimensions, measures, columns). */
export const outputKeys = (def: ReportDef): Set<string> =>
  new Set([...(def.dimensions ?? []), ...(def.measures ?? []), ...(def.columns ?? [])].map((x) => x.key));

// ---------------------------------------------------------------------------------------------
// Server errors

export type Errors = Record<string, string[]>;

/** Messages for exactly this JSON Pointer. */
export const errorsAt = (errors: Errors, path: string): string[] => errors[path] ?? [];

/** Messages for this pointer and everything below it. */
export const errorsUnder = (errors: Errors, path: string): string[] =>
  Object.entries(errors).filter(([p]) => p === path || p.startsWith(path + '/')).flatMap(([, m]) => m);

/** antd Form.Item props showing the messages of one pointer. */
export function itemStatus(errors: Errors, path: string): { validateStatus?: 'error'; help?: string } {
  const m = errorsAt(errors, path);
  return m.length ? { validateStatus: 'error', help: m.join('；') } : {};
}

// ---------------------------------------------------------------------------------------------
// New documents

export function newReport(key: string, lbl: Label, source: string, module?: string): ReportDef {
  return {
    key, label: lbl, category: 'custom', source, ...(module ? { module } : {}),
    measures: [{ key: 'count', op: 'count', label: { 'zh-CN': '数量', en: 'Count' } }],
    type: 'table',
  };
}

export function newDashboard(key: string, lbl: Label, module?: string): DashboardDef {
  return { key, label: lbl, ...(module ? { module } : {}), widgets: [] };
}

// ---------------------------------------------------------------------------------------------
// The grid

export type Layout = DashboardWidget['layout'];

const overlaps = (a: Layout, b: Layout) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** Keep a layout on the grid: 0 ≤ x, x + w ≤ 24, 0 ≤ y, 1 ≤ h ≤ 100. */
export function clampLayout(l: Layout): Layout {
  const w = Math.max(1, Math.min(GRID_COLUMNS, Math.round(l.w)));
  const h = Math.max(1, Math.min(100, Math.round(l.h)));
  const x = Math.max(0, Math.min(GRID_COLUMNS - w, Math.round(l.x)));
  const y = Math.max(0, Math.min(1000, Math.round(l.y)));
  return { x, y, w, h };
}

/** The first free place for a w × h widget, row by row. */
export function freePlace(widgets: DashboardWidget[], w: number, h: number): Layout {
  for (let y = 0; y < 1000; y++) {
    for (let x = 0; x + w <= GRID_COLUMNS; x++) {
      const l = { x, y, w, h };
      if (!widgets.some((o) => overlaps(o.layout, l))) return l;
    }
  }
  return { x: 0, y: 0, w, h };
}

/**
 * Put one widget at a new layout; widgets it now overlaps are pushed down below it (and those
 * they then overlap, in turn: each lands below the one that pushed it), so nothing ends up on
 * top of anything else.
 */
export function placeWidget(widgets: DashboardWidget[], id: string, layout: Layout): DashboardWidget[] {
  const next = widgets.map((w) => (w.id === id ? { ...w, layout: clampLayout(layout) } : w));
  const queue = [id];
  while (queue.length) {
    const curId = queue.shift();
    const cur = next.find((w) => w.id === curId)!;
    for (let i = 0; i < next.length; i++) {
      const o = next[i]!;
      if (o.id === cur.id || !overlaps(o.layout, cur.layout)) continue;
      next[i] = { ...o, layout: { ...o.layout, y: cur.layout.y + cur.layout.h } };
      queue.push(o.id);
    }
  }
  return next;
}

/** Rows the grid needs. */
export const gridRows = (widgets: DashboardWidget[]) => Math.max(8, ...widgets.map((w) => w.layout.y + w.layout.h)) + 2;

// ---------------------------------------------------------------------------------------------
// Renaming an output key

const renameInLogic = (x: unknown, from: string, to: string): unknown => {
  if (Array.isArray(x)) return x.map((y) => renameInLogic(y, from, to));
  if (x && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === 'measure' && v === from ? to : renameInLogic(v, from, to)]));
  }
  return x;
};

/** Every reference to output key `from` (chart, sort, pivot, ratio and expr measures, having) now names `to`. */
export function renameOutput(def: ReportDef, from: string, to: string): ReportDef {
  if (from === to) return def;
  const r = (k: string | undefined) => (k === from ? to : k);
  const out: ReportDef = { ...def };
  if (def.chart) {
    out.chart = { ...def.chart };
    if (def.chart.x) out.chart.x = r(def.chart.x);
    if (def.chart.series) out.chart.series = r(def.chart.series);
    if (def.chart.y) out.chart.y = def.chart.y.map((y) => r(y)!);
  }
  if (def.sort) out.sort = def.sort.map((s) => ({ ...s, key: r(s.key)! }));
  if (def.pivot) out.pivot = { columns: r(def.pivot.columns)! };
  if (def.measures) {
    out.measures = def.measures.map((m) => ({
      ...m,
      ...(m.of ? { of: [r(m.of[0])!, r(m.of[1])!] as [string, string] } : {}),
      ...(m.expr !== undefined ? { expr: renameInLogic(m.expr, from, to) as ReportMeasure['expr'] } : {}),
    }));
  }
  if (def.having !== undefined) out.having = JSON.parse(JSON.stringify(def.having).split(`{"var":"${from}"}`).join(`{"var":"${to}"}`));
  return out;
}

/** A list edit that changed keys in place (same length): follow each rename through the report. */
export function followRenames(def: ReportDef, before: Array<{ key: string }>, after: Array<{ key: string }>): ReportDef {
  if (before.length !== after.length) return def;
  let out = def;
  before.forEach((b, i) => {
    const a = after[i]!;
    if (a.key !== b.key && !after.some((x, j) => j !== i && x.key === b.key)) out = renameOutput(out, b.key, a.key);
  });
  return out;
}
