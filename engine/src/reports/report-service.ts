/**
 * ReportService: runs published reports for a caller (their row scopes and field sets inside the
 * one SQL query), checks a report against the published forms before it is published, and serves
 * dashboards (the widgets a caller may run, and their results under global filters mapped onto
 * report params).
 */
import type { Db } from '../store/connection.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { FormRegistry } from '../records/form-registry.js';
import type { RecordService } from '../records/record-service.js';
import type { DocumentService } from '../documents/document-service.js';
import { PublishedCache } from '../documents/published-cache.js';
import type { DepartmentService } from '../auth/departments.js';
import type { AccessPolicy } from '../auth/access-policy.js';
import type { Actor } from '../auth/actor.js';
import { actorVars } from '../auth/actor.js';
import { labelText, type JsonLogic } from '../meta/types.js';
import { REPORT_DEFAULT_LIMIT, validateDashboardDef, validateReportDef, type DashboardDef, type ReportDef, type ReportParamDef } from '../meta/report-schema.js';
import { applyRule, dateAdd, getRulesTimeZone, parseDate, rulesToday, zoneOffset } from '../rules/operations.js';
import { AppError, forbidden, msg, notFound, validationError, type Msg } from '../errors.js';
import { compileReport, type FormAccess, type Lang, type ReportEnv, type ReportResult } from './compiler.js';

export interface RunOptions {
  params?: Record<string, unknown>;
  lang?: Lang;
  /** At most this many rows (the designer's preview); more are cut off and `truncated` says so. */
  rowCap?: number;
  /** A database error is the definition's fault (a draft being previewed): `validation`, not `internal`. */
  draft?: boolean;
}

/** Most rows a preview of an unpublished report returns. */
export const PREVIEW_ROW_CAP = 500;

export interface ReportRun extends ReportResult {
  key: string;
  label: string;
  category: string;
  type: string;
  chart?: ReportDef['chart'];
  pivot?: ReportDef['pivot'];
  params: Record<string, unknown>;
  /** Only with a row cap (previews): more rows exist than were returned. */
  truncated?: boolean;
}

export interface WidgetRun {
  id: string;
  report: string;
  result?: ReportRun;
  error?: { code: string; message: string };
}

const SYSTEM_ACCESS: FormAccess = { readable: true, visible: null, masked: new Set(), rows: null };

/**
 * A param's or a dashboard filter's default: a value, or json-logic evaluated now (a date range's
 * `from` and `to` each: `{"from": {"date_add": [{"today": []}, -30, "day"]}, "to": {"today": []}}`).
 */
export function evalParamDefault(type: string, d: unknown): unknown {
  if (d === undefined) return undefined;
  if (type === 'date_range' && d && typeof d === 'object' && !Array.isArray(d)) {
    const r = d as Record<string, unknown>;
    return { from: r.from === undefined ? null : applyRule(r.from, {}), to: r.to === undefined ? null : applyRule(r.to, {}) };
  }
  return applyRule(d, {});
}

/** The current offset of a zone from UTC, in minutes. */
export function zoneOffsetMinutes(tz: string, at = new Date()): number {
  return Math.round(zoneOffset(at.getTime(), tz) / 60_000);
}

const addDays = (date: string, days: number): string => dateAdd(date, days, 'day')!;

export class ReportService {
  readonly reports: PublishedCache<ReportDef>;
  readonly dashboards: PublishedCache<DashboardDef>;

  constructor(
    private readonly db: Db,
    docs: DocumentService,
    private readonly forms: FormRegistry,
    private readonly records: RecordService,
    private readonly policy: AccessPolicy,
    private readonly departments: DepartmentService,
  ) {
    this.reports = new PublishedCache<ReportDef>(docs, 'reports', (d) => d as ReportDef);
    this.dashboards = new PublishedCache<DashboardDef>(docs, 'dashboards', (d) => d as DashboardDef);
    docs.setPublishCheck('reports', (doc) => this.check(doc as ReportDef));
    docs.setPublishCheck('dashboards', (doc) => this.checkDashboard(doc as DashboardDef));
  }

  async load(): Promise<void> {
    await Promise.all([this.reports.load(), this.dashboards.load()]);
  }

  private async report(key: string): Promise<ReportDef> {
    await this.reports.fresh();
    const def = this.reports.peek(key) ?? (await this.reports.fresh(true), this.reports.peek(key));
    if (!def) throw notFound('报表不存在', `No published report '${key}'`);
    return def;
  }

  /** May this caller run the report at all (its roles, and reading its source form)? */
  async canRun(actor: Actor, def: ReportDef): Promise<boolean> {
    if (def.roles?.length && !actor.isAdmin && !actor.isSystem && !def.roles.some((r) => actor.roles.includes(r))) return false;
    const form = this.forms.peek(def.source) ?? (await this.forms.get(def.source).catch(() => null));
    if (!form) return false;
    return this.policy.can(actor, form, 'read');
  }

  private async access(actor: Actor, form: CompiledForm): Promise<FormAccess> {
    if (actor.isSystem) return SYSTEM_ACCESS;
    if (!(await this.policy.can(actor, form, 'read'))) return { readable: false, visible: new Set(), masked: new Set(), rows: { '==': [1, 0] } };
    const { scope } = await this.records.scope(actor, form, 'read');
    return { readable: true, visible: scope.fields ?? null, masked: scope.masked ?? new Set(), rows: scope.rows ?? null };
  }

  private env(actor: Actor, params: Record<string, unknown>, conditions: JsonLogic[], lang: Lang): ReportEnv {
    const tz = getRulesTimeZone();
    return {
      dialect: this.db.dialect,
      form: async (key) => {
        try {
          return await this.forms.get(key);
        } catch (e) {
          if (e instanceof AppError && e.code === 'not_found') {
            throw validationError({ '/source': [msg(`表单 ${key} 不存在或未发布`, `Form '${key}' does not exist or is not published`)] });
          }
          throw e;
        }
      },
      access: (form) => this.access(actor, form),
      vars: { ...actorVars(actor), $params: params },
      paramConditions: conditions,
      today: rulesToday(),
      timezone: tz,
      tzOffsetMinutes: zoneOffsetMinutes(tz),
      lang,
    };
  }

  /** Validate the params a caller gave against the report's declarations; their conditions. */
  async params(def: ReportDef, given: Record<string, unknown> = {}): Promise<{ values: Record<string, unknown>; conditions: JsonLogic[] }> {
    if (given === null || typeof given !== 'object' || Array.isArray(given)) throw validationError({ params: [msg('params 必须是对象', 'params must be an object')] });
    const decl = new Map((def.params ?? []).map((p) => [p.key, p]));
    const errors: Record<string, Msg[]> = {};
    for (const k of Object.keys(given)) {
      if (!decl.has(k)) errors[`params.${k}`] = [msg(`报表没有参数 ${k}`, `the report has no param '${k}'`)];
    }
    const values: Record<string, unknown> = {};
    const conditions: JsonLogic[] = [];
    for (const p of def.params ?? []) {
      let v = Object.prototype.hasOwnProperty.call(given, p.key) ? given[p.key] : undefined;
      if ((v === undefined || v === null || v === '') && p.default !== undefined) v = this.evalDefault(p);
      if (v === undefined || v === null || v === '') {
        if (p.required) errors[`params.${p.key}`] = [msg('必填', 'required')];
        continue;
      }
      const problem = await this.addParam(p, v, values, conditions);
      if (problem) errors[`params.${p.key}`] = [problem];
    }
    if (Object.keys(errors).length) throw validationError(errors);
    return { values, conditions };
  }

  private evalDefault(p: ReportParamDef): unknown {
    return evalParamDefault(p.type, p.default);
  }

  private async addParam(p: ReportParamDef, v: unknown, values: Record<string, unknown>, conditions: JsonLogic[]): Promise<Msg | null> {
    const f = p.field ? { var: p.field } : null;
    switch (p.type) {
      case 'date_range': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return msg('需要 {from, to}', 'needs {"from", "to"} dates');
        const { from, to } = v as { from?: unknown; to?: unknown };
        for (const x of [from, to]) if (x !== undefined && x !== null && x !== '' && !parseDate(x)) return msg('日期格式为 YYYY-MM-DD', "dates are 'YYYY-MM-DD'");
        if (from && to && String(from) > String(to)) return msg('开始日期晚于结束日期', 'from is after to');
        values[p.key] = { from: from || null, to: to || null };
        if (f && from) conditions.push({ '>=': [f, from] });
        if (f && to) conditions.push({ '<': [f, addDays(String(to), 1)] });
        return null;
      }
      case 'date':
        if (!parseDate(v)) return msg('日期格式为 YYYY-MM-DD', "a date is 'YYYY-MM-DD'");
        values[p.key] = v;
        if (f) conditions.push({ '==': [f, v] });
        return null;
      case 'department': {
        if (!Number.isInteger(v)) return msg('需要部门编号', 'needs a department id');
        const ids = await this.departments.subtree(v as number);
        values[p.key] = v;
        if (f) conditions.push({ in: [f, ids.length ? ids : [v]] });
        return null;
      }
      case 'user':
      case 'number':
        if (p.type === 'user' ? !Number.isInteger(v) : typeof v !== 'number' || !Number.isFinite(v)) return msg('需要数字', 'needs a number');
        values[p.key] = v;
        if (f) conditions.push({ '==': [f, v] });
        return null;
      case 'select': {
        const list = Array.isArray(v) ? v : [v];
        if (!list.length || list.length > 100 || list.some((x) => typeof x !== 'string')) return msg('需要选项键', 'needs option keys');
        if (p.options?.length && list.some((x) => !p.options!.some((o) => o.key === x))) return msg('不是可选的值', 'not one of the options');
        values[p.key] = v;
        if (f) conditions.push(Array.isArray(v) ? { in: [f, list] } : { '==': [f, v] });
        return null;
      }
      case 'text':
        if (typeof v !== 'string' || v.length > 200) return msg('需要文本', 'needs text (at most 200 characters)');
        values[p.key] = v;
        if (f) conditions.push({ '==': [f, v] });
        return null;
    }
  }

  async run(actor: Actor, key: string, opts: RunOptions = {}): Promise<ReportRun> {
    const def = await this.report(key);
    return this.runDef(actor, def, opts);
  }

  async runDef(actor: Actor, def: ReportDef, opts: RunOptions = {}): Promise<ReportRun> {
    if (!(await this.canRun(actor, def))) throw forbidden('没有权限查看此报表', `Not allowed to run report '${def.key}'`);
    const lang = opts.lang ?? 'zh-CN';
    const { values, conditions } = await this.params(def, opts.params ?? {});
    // A row cap below the report's own limit: ask for one row more, to know whether rows were cut off.
    const capped = opts.rowCap !== undefined && (def.limit ?? REPORT_DEFAULT_LIMIT) > opts.rowCap;
    const compiled = await compileReport(capped ? { ...def, limit: opts.rowCap! + 1 } : def, this.env(actor, values, conditions, lang));
    const raw = await this.db.knex.raw(compiled.sql, compiled.bindings as any[]).catch((e: unknown) => {
      if (!opts.draft || e instanceof AppError) throw e;
      throw validationError({ '': [msg(`报表无法执行：${(e as Error).message}`, `the report's query fails: ${(e as Error).message}`)] });
    });
    const rows = this.db.dialect === 'pg' ? (raw as any).rows : (raw as any[]);
    const result = compiled.finish(rows);
    let truncated = false;
    if (capped && result.rows.length > opts.rowCap!) {
      truncated = true;
      result.rows = result.rows.slice(0, opts.rowCap);
      if (result.drill) result.drill = result.drill.slice(0, opts.rowCap);
      if (result.ids) result.ids = result.ids.slice(0, opts.rowCap);
    }
    const out: ReportRun = {
      key: def.key,
      label: labelText(def.label, lang) || def.key,
      category: def.category,
      type: def.type ?? (def.chart ? 'chart' : def.pivot ? 'pivot' : 'table'),
      ...(def.chart ? { chart: def.chart } : {}),
      ...(def.pivot ? { pivot: def.pivot } : {}),
      params: values,
      ...result,
      ...(opts.rowCap !== undefined ? { truncated } : {}),
    };
    return def.pivot && out.type === 'pivot' ? pivotResult(out, def.pivot.columns) : out;
  }

  /**
   * Run a report definition that is not published (the designer's live preview): checked with the
   * report metaschema first (`validation` naming JSON paths), then compiled and run like a
   * published report under the caller's row scope and field set, at most PREVIEW_ROW_CAP rows.
   * The definition's `roles` are not applied: they say who may run it once published, and the
   * caller (a metadata manager, checked by the HTTP layer) still sees only what they may read.
   */
  async preview(actor: Actor, definition: unknown, opts: RunOptions = {}): Promise<ReportRun> {
    const { roles: _roles, ...def } = validateReportDef(definition);
    return this.runDef(actor, def, { ...opts, rowCap: Math.min(opts.rowCap ?? PREVIEW_ROW_CAP, PREVIEW_ROW_CAP), draft: true });
  }

  /** The SQL a report runs for this caller (tests, benchmarks and the designer's preview). */
  async explain(actor: Actor, def: ReportDef, params: Record<string, unknown> = {}): Promise<{ sql: string; bindings: unknown[] }> {
    const { values, conditions } = await this.params(def, params);
    const compiled = await compileReport(def, this.env(actor, values, conditions, 'zh-CN'));
    return { sql: compiled.sql, bindings: compiled.bindings };
  }

  /** Before publishing: the report compiles against the published forms (every path, type and expression). */
  async check(def: ReportDef): Promise<void> {
    const system = { userId: null, username: 'system', roles: [], departmentId: null, isAdmin: true, isSystem: true } as unknown as Actor;
    const env = this.env(system, {}, [], 'zh-CN');
    // Param fields are checked as conditions with a value of their type.
    const probe: JsonLogic[] = [];
    for (const p of def.params ?? []) if (p.field) probe.push({ '!!': [{ var: p.field }] });
    env.paramConditions = probe;
    const compiled = await compileReport(def, env);
    // Let the database parse it too (no rows: LIMIT 0 around it).
    await this.db.knex.raw(`SELECT * FROM (${compiled.sql}) "chk" LIMIT 0`, compiled.bindings as any[]).catch((e: Error) => {
      throw validationError({ '': [msg(`报表无法执行：${e.message}`, `the report's query fails: ${e.message}`)] });
    });
  }

  async checkDashboard(def: DashboardDef): Promise<void> {
    await this.reports.fresh();
    const errors: Record<string, Msg[]> = {};
    def.widgets.forEach((w, i) => {
      const r = this.reports.peek(w.report);
      if (!r) {
        errors[`/widgets/${i}/report`] = [msg(`报表 ${w.report} 不存在或未发布`, `report '${w.report}' does not exist or is not published`)];
        return;
      }
      for (const k of Object.keys(w.params ?? {})) {
        if (!(r.params ?? []).some((p) => p.key === k)) errors[`/widgets/${i}/params/${k}`] = [msg(`报表 ${w.report} 没有参数 ${k}`, `report '${w.report}' has no param '${k}'`)];
      }
    });
    if (Object.keys(errors).length) throw validationError(errors);
  }

  // ----- dashboards ------------------------------------------------------------------------

  private async dashboard(key: string): Promise<DashboardDef> {
    await this.dashboards.fresh();
    const def = this.dashboards.peek(key) ?? (await this.dashboards.fresh(true), this.dashboards.peek(key));
    if (!def) throw notFound('仪表盘不存在', `No published dashboard '${key}'`);
    return def;
  }

  /** The dashboards a caller may open: those with at least one widget they may run. */
  async listDashboards(actor: Actor, lang: Lang = 'zh-CN'): Promise<Array<{ key: string; label: string; module: string | null }>> {
    await this.dashboards.fresh();
    const out = [];
    for (const d of this.dashboards.values()) {
      const view = await this.view(actor, d, lang);
      if (view.widgets.length) out.push({ key: d.key, label: view.label, module: d.module ?? null });
    }
    return out;
  }

  /** The reports a caller may run. */
  async listReports(actor: Actor, lang: Lang = 'zh-CN'): Promise<Array<{ key: string; label: string; category: string; module: string | null; params: unknown[] }>> {
    await this.reports.fresh();
    const out = [];
    for (const r of this.reports.values()) {
      if (!(await this.canRun(actor, r))) continue;
      out.push({ key: r.key, label: labelText(r.label, lang) || r.key, category: r.category, module: r.module ?? null, params: r.params ?? [] });
    }
    return out;
  }

  /** GET /api/dashboards/:key: its layout and the widgets this caller may run. */
  async get(actor: Actor, key: string, lang: Lang = 'zh-CN') {
    const def = await this.dashboard(key);
    const view = await this.view(actor, def, lang);
    if (!view.widgets.length && def.widgets.length) throw forbidden('没有权限查看此仪表盘', `Not allowed to view dashboard '${key}'`);
    return view;
  }

  private async view(actor: Actor, def: DashboardDef, lang: Lang) {
    await this.reports.fresh();
    const widgets = [];
    for (const w of def.widgets) {
      const r = this.reports.peek(w.report);
      if (!r || !(await this.canRun(actor, r))) continue;
      widgets.push({
        id: w.id, report: w.report, title: labelText(w.title ?? r.label, lang) || w.report, layout: w.layout,
        params: w.params ?? {}, type: r.type ?? (r.chart ? 'chart' : r.pivot ? 'pivot' : 'table'), chart: w.chart ?? r.chart ?? null,
      });
    }
    return {
      key: def.key, label: labelText(def.label, lang) || def.key, module: def.module ?? null,
      description: def.description ? labelText(def.description, lang) : null,
      filters: (def.filters ?? []).map((f) => ({ ...f, label: labelText(f.label, lang) || f.key, value: evalParamDefault(f.type, f.default) ?? null })),
      widgets,
    };
  }

  /** Run every widget a caller may run, under the dashboard's global filters. One widget's failure does not fail the rest. */
  async runDashboard(actor: Actor, key: string, filters: Record<string, unknown> = {}, lang: Lang = 'zh-CN'): Promise<{ key: string; widgets: WidgetRun[] }> {
    return this.runDashboardDef(actor, await this.dashboard(key), filters, lang);
  }

  /**
   * A dashboard definition that is not published (the designer's preview), checked with the
   * dashboard metaschema, its widgets run like runDashboard's (published reports; a widget whose
   * report is not published, or that the caller may not run, is left out). Each widget at most
   * PREVIEW_ROW_CAP rows.
   */
  async previewDashboard(actor: Actor, definition: unknown, filters: Record<string, unknown> = {}, lang: Lang = 'zh-CN'): Promise<{ key: string; widgets: WidgetRun[] }> {
    return this.runDashboardDef(actor, validateDashboardDef(definition), filters, lang, PREVIEW_ROW_CAP);
  }

  private async runDashboardDef(actor: Actor, def: DashboardDef, filters: Record<string, unknown>, lang: Lang, rowCap?: number): Promise<{ key: string; widgets: WidgetRun[] }> {
    if (filters === null || typeof filters !== 'object' || Array.isArray(filters)) throw validationError({ filters: [msg('filters 必须是对象', 'filters must be an object')] });
    const known = new Map((def.filters ?? []).map((f) => [f.key, f]));
    for (const k of Object.keys(filters)) if (!known.has(k)) throw validationError({ [`filters.${k}`]: [msg(`仪表盘没有筛选 ${k}`, `the dashboard has no filter '${k}'`)] });
    const values: Record<string, unknown> = {};
    for (const f of def.filters ?? []) {
      const v = Object.prototype.hasOwnProperty.call(filters, f.key) ? filters[f.key] : evalParamDefault(f.type, f.default);
      if (v !== undefined && v !== null && v !== '') values[f.key] = v;
    }
    const view = await this.view(actor, def, lang);
    const out: WidgetRun[] = [];
    for (const w of view.widgets) {
      const params: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(w.params)) {
        if (typeof v === 'string' && v.startsWith('$filters.')) {
          const fv = values[v.slice('$filters.'.length)];
          if (fv !== undefined) params[k] = fv;
        } else params[k] = v;
      }
      try {
        const def = await this.report(w.report);
        const result = await this.runDef(actor, w.chart ? { ...def, chart: w.chart } : def, { params, lang, ...(rowCap !== undefined ? { rowCap } : {}) });
        out.push({ id: w.id, report: w.report, result });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        out.push({ id: w.id, report: w.report, error: { code: e.code, message: e.text[lang === 'en' ? 'en' : 'zh-CN'] ?? e.text.en } });
      }
    }
    return { key: def.key, widgets: out };
  }
}

/** Reshape a grouped result: the pivot dimension's values become columns (measure × value). */
export function pivotResult(run: ReportRun, pivotKey: string): ReportRun {
  const dimCols = run.columns.filter((c) => c.kind === 'dimension');
  const measureCols = run.columns.filter((c) => c.kind === 'measure');
  const rowDims = dimCols.filter((c) => c.key !== pivotKey);
  const pivotCol = run.columns.find((c) => c.key === pivotKey);
  if (!pivotCol) return run;
  const values: unknown[] = [];
  for (const r of run.rows) if (!values.some((v) => v === r[pivotKey])) values.push(r[pivotKey]);
  const labelOf = (v: unknown) => pivotCol.options?.find((o) => o.key === v)?.label ?? (v == null ? '—' : String(v));
  const columns = [...rowDims];
  values.forEach((v, i) => {
    for (const m of measureCols) columns.push({ key: `${m.key}__${i}`, kind: 'measure', label: measureCols.length > 1 ? `${labelOf(v)} · ${m.label}` : labelOf(v), type: m.type });
  });
  const byRow = new Map<string, Record<string, unknown>>();
  for (const r of run.rows) {
    const id = JSON.stringify(rowDims.map((d) => r[d.key]));
    let out = byRow.get(id);
    if (!out) {
      out = Object.fromEntries(rowDims.map((d) => [d.key, r[d.key]]));
      byRow.set(id, out);
    }
    const i = values.indexOf(r[pivotKey]);
    for (const m of measureCols) out[`${m.key}__${i}`] = r[m.key];
  }
  const { drill: _drill, ...rest } = run;
  return { ...rest, columns, rows: [...byRow.values()], pivotValues: values } as ReportRun;
}
