/**
 * Print templates: a form's `prints` (FormDef.prints, PrintTemplateDef) rendered over one record
 * into a full HTML page with A4/A5 print CSS, for `GET /api/records/:form/:id/print/:template`.
 *
 * Safety. The templates are admin-authored, the values user-typed; the page is served from the
 * API's origin, with a Content-Security-Policy that forbids scripts (`PRINT_CSP`, also as a
 * `<meta>` so a copy shown in a `srcdoc` iframe keeps it). Templates compile on a dedicated
 * handlebars instance: only the built-in block helpers (`if`, `unless`, `each`, `with`, `lookup`;
 * no `log`) and the fixed set below (`knownHelpersOnly`, so any other helper fails to compile); no
 * partials and no decorators (none registered, refused at save time: nothing is read from disk);
 * output always HTML-escaped (`{{{…}}}` refused at save time); no prototype access
 * (`allowProtoPropertiesByDefault` / `allowProtoMethodsByDefault` false, and paths naming
 * `constructor`, `__proto__`… refused at save time). `strict` is off on purpose: a field the
 * reader may not see is absent from the record and must print as nothing, not fail the page.
 * meta/print-template.ts holds the save-time checks (the form metaschema runs them).
 *
 * The context a template sees:
 *   record     the record as the caller may read it (RecordService.get: hidden fields absent,
 *              masked ones masked); subtables are arrays of rows — `{{#each record.accessories}}`.
 *              A subtable row with relation fields also carries `_related` (`{{_related.part.name}}`).
 *   related    for each relation field of the form: the related record as the caller may read it,
 *              or null (not set, or outside the caller's read scope) — `{{related.customer.name}}`
 *   form       `{ key, label }` (label in zh-CN)
 *   print      `{ key, label }` of the template
 *   labels     field key → zh-CN label of the fields the caller may see; subtable row fields as
 *              'subtable.field' (`{{lookup labels "accessories.item"}}`)
 *   today      'YYYY-MM-DD' (the rules time zone)        printedAt  ISO 8601 UTC
 *   printedBy  the caller's display name
 *
 * The helper set (fixed; an empty or non-numeric value prints as nothing):
 *   yuan v                 ¥1,234,567.00 — thousands separators, 2 decimals, -¥12.50 when negative
 *   number v [decimals]    1,234,567.5 — thousands separators; `decimals` (0–10) fixes the places
 *   date v [format]        'YYYY-MM-DD' (default), 'YYYY/MM/DD', 'YYYY年MM月DD日', 'YYYY年M月D日';
 *                          a datetime is first taken to its date in the rules time zone
 *   datetime v [format]    'YYYY-MM-DD HH:mm' (default), 'YYYY-MM-DD HH:mm:ss', 'YYYY年M月D日 HH:mm'
 *                          in the rules time zone (default Asia/Shanghai)
 *   upper_amount v         人民币大写金额: 壹万贰仟叁佰肆拾伍元陆角柒分, 壹万零伍元整, 零元整, 负…
 *   option "field" v       the zh-CN label of a select/multiselect/tags option key (arrays joined
 *                          with 、); a subtable row's field as "subtable.field"
 *   eq a b                 a === b (for `{{#if (eq record.status "paid")}}`)
 *   add a b / sub a b / mul a b   arithmetic (nothing when either side is not a number)
 *   sum rows "field"       the sum of a numeric field over a subtable's rows
 *   index1 @index          the row number from 1
 *   default v fallback     v, or `fallback` when v is null, '' or an empty array
 * A row field that shares a helper's name (`date`, `number`) is read as `{{this.date}}`.
 *
 * CSS classes the page provides: `num` (right-aligned figures), `center`, `right`, `plain` (a
 * table without borders), `sign` (a signature line), `box` (a checkbox ☐), `pre` (keeps a
 * textarea's line breaks), `muted`, `small`, `page-break`.
 */
import Handlebars from 'handlebars';
import type { CompiledForm } from '../store/compiled-form.js';
import type { ApiRecord } from '../store/record-query.js';
import type { RecordService } from '../records/record-service.js';
import type { AccessPolicy } from '../auth/access-policy.js';
import type { Actor } from '../auth/actor.js';
import { labelText, type FieldDef, type PrintTemplateDef } from '../meta/types.js';
import { DATE_FORMATS, DATETIME_FORMATS, printCompileOptions, printTemplateProblem } from '../meta/print-template.js';
import { getRulesTimeZone, roundHalfAway, rulesNow, rulesToday } from '../rules/operations.js';
import { AppError, forbidden, notFound, validationError } from '../errors.js';

/** The Content-Security-Policy of a printed page: no scripts, inline styles, data: images only. */
export const PRINT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

// ---------------------------------------------------------------------------------------------
// Formatting (exported for tests and other renderers)
// ---------------------------------------------------------------------------------------------

/** A number from a number or a numeric string; NaN otherwise (null, '', objects…). */
function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

const group = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** 1234567.5 → '1,234,567.5'; with `decimals`, that many places (half away from zero). '' for a non-number. */
export function formatNumber(v: unknown, decimals?: number): string {
  const n = toNum(v);
  if (!Number.isFinite(n)) return '';
  const places = decimals === undefined ? undefined : Math.min(10, Math.max(0, Math.trunc(decimals)));
  const abs = Math.abs(places === undefined ? n : roundHalfAway(n, places));
  let text = places === undefined ? String(abs) : abs.toFixed(places);
  if (/e/i.test(text)) return String(n); // beyond what grouping can show
  const [int, frac] = text.split('.');
  text = group(int!) + (frac ? '.' + frac : '');
  return (n < 0 && abs !== 0 ? '-' : '') + text;
}

/** 1234567 → '¥1,234,567.00'; -12.5 → '-¥12.50'; '' for a non-number. */
export function formatYuan(v: unknown): string {
  const text = formatNumber(v, 2);
  if (!text) return '';
  return text.startsWith('-') ? '-¥' + text.slice(1) : '¥' + text;
}

const DIGITS = '零壹贰叁肆伍陆柒捌玖';

/** 1–9999 in capital numerals: 壹仟零伍, 壹拾 (always 壹 before 拾). */
function fourDigits(n: number): string {
  const units = ['仟', '佰', '拾', ''];
  const d = [Math.floor(n / 1000), Math.floor(n / 100) % 10, Math.floor(n / 10) % 10, n % 10];
  let out = '';
  let zero = false;
  d.forEach((x, i) => {
    if (x === 0) {
      if (out) zero = true;
      return;
    }
    if (zero) out += '零';
    zero = false;
    out += DIGITS[x]! + units[i]!;
  });
  return out;
}

/** A positive integer in capital numerals with 万 and 亿: 壹亿零壹佰万, 壹万零伍亿. */
function integerText(n: number): string {
  if (n >= 1e8) {
    const high = Math.floor(n / 1e8);
    const low = n % 1e8;
    return integerText(high) + '亿' + (low === 0 ? '' : (low < 1e7 ? '零' : '') + integerText(low));
  }
  if (n >= 1e4) {
    const high = Math.floor(n / 1e4);
    const low = n % 1e4;
    return fourDigits(high) + '万' + (low === 0 ? '' : (low < 1000 ? '零' : '') + fourDigits(low));
  }
  return fourDigits(n);
}

/**
 * 人民币大写金额, after the rules for filling in bills (《正确填写票据和结算凭证的基本规定》):
 * 0 → 零元整; 1005 → 壹仟零伍元整; 10 → 壹拾元整; 12345.67 → 壹万贰仟叁佰肆拾伍元陆角柒分;
 * 100.01 → 壹佰元零壹分 (零 after 元 when 角 is 0 and 分 is not); 107000.53 → 壹拾万柒仟元零伍角叁分
 * (one 零 for the zeros up to 角); 0.5 → 伍角; -3 → 负叁元整. Rounded to 分 (half away from
 * zero). '' for a non-number or beyond what a double holds to the 分 (about 9 × 10^13 yuan).
 */
export function upperAmount(v: unknown): string {
  const n = toNum(v);
  if (!Number.isFinite(n)) return '';
  const cents = Math.round(Math.abs(roundHalfAway(n, 2)) * 100);
  if (!Number.isSafeInteger(cents)) return '';
  if (cents === 0) return '零元整';
  const int = Math.floor(cents / 100);
  const jiao = Math.floor(cents / 10) % 10;
  const fen = cents % 10;
  let out = n < 0 ? '负' : '';
  if (int > 0) out += integerText(int) + '元';
  if (jiao === 0 && fen === 0) return out + '整';
  if (jiao > 0) {
    if (int > 0 && int % 10 === 0) out += '零';
    out += DIGITS[jiao]! + '角';
  } else if (int > 0) {
    out += '零';
  }
  if (fen > 0) out += DIGITS[fen]! + '分';
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

interface Wall { y: number; m: number; d: number; h: number; mi: number; s: number }

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
/** The wall-clock time of an instant in the rules time zone. */
function wallClock(ms: number): Wall {
  const tz = getRulesTimeZone();
  let f = zoneFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    zoneFormats.set(tz, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { y: out.year!, m: out.month!, d: out.day!, h: out.hour! % 24, mi: out.minute!, s: out.second! };
}

/** A date ('YYYY-MM-DD') or a datetime (ISO 8601) as wall-clock fields; null when it is neither. */
function parseWhen(v: unknown): Wall | null {
  if (typeof v !== 'string') return null;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (day) return { y: Number(day[1]), m: Number(day[2]), d: Number(day[3]), h: 0, mi: 0, s: 0 };
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : wallClock(ms);
}

/** A date in one of DATE_FORMATS (default 'YYYY-MM-DD'); '' for anything else. */
export function formatDate(v: unknown, format?: unknown): string {
  const w = parseWhen(v);
  if (!w) return '';
  const f = typeof format === 'string' && (DATE_FORMATS as readonly string[]).includes(format) ? format : DATE_FORMATS[0];
  switch (f) {
    case 'YYYY/MM/DD': return `${pad(w.y, 4)}/${pad(w.m)}/${pad(w.d)}`;
    case 'YYYY年MM月DD日': return `${pad(w.y, 4)}年${pad(w.m)}月${pad(w.d)}日`;
    case 'YYYY年M月D日': return `${w.y}年${w.m}月${w.d}日`;
    default: return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}`;
  }
}

/** A datetime in one of DATETIME_FORMATS (default 'YYYY-MM-DD HH:mm'), in the rules time zone. */
export function formatDatetime(v: unknown, format?: unknown): string {
  const w = parseWhen(v);
  if (!w) return '';
  const f = typeof format === 'string' && (DATETIME_FORMATS as readonly string[]).includes(format) ? format : DATETIME_FORMATS[0];
  const hm = `${pad(w.h)}:${pad(w.mi)}`;
  switch (f) {
    case 'YYYY-MM-DD HH:mm:ss': return `${formatDate(v)} ${hm}:${pad(w.s)}`;
    case 'YYYY年M月D日 HH:mm': return `${formatDate(v, 'YYYY年M月D日')} ${hm}`;
    default: return `${formatDate(v)} ${hm}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The handlebars instance
// ---------------------------------------------------------------------------------------------

/** What `option` needs to know about the page being rendered, keyed by the root context. */
interface RenderInfo {
  form: CompiledForm;
}
const renderInfo = new WeakMap<object, RenderInfo>();

type HelperOptions = Handlebars.HelperOptions;
/** The helper's arguments without handlebars' trailing options object. */
const argsOf = (args: unknown[]): { params: unknown[]; options: HelperOptions } => ({
  params: args.slice(0, -1),
  options: args[args.length - 1] as HelperOptions,
});

/** Kill floating-point noise (0.1 + 0.2) without rounding real figures. */
const clean = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(15)) : NaN);
const arith = (op: (a: number, b: number) => number) => (...args: unknown[]) => {
  const [a, b] = argsOf(args).params.map(toNum);
  const r = clean(op(a!, b!));
  return Number.isFinite(r) ? r : '';
};

function optionLabel(form: CompiledForm, path: unknown, value: unknown): string {
  if (typeof path !== 'string') return '';
  const [top, sub] = path.split('.');
  let field: FieldDef | undefined = form.byKey.get(top!);
  if (sub !== undefined) field = field?.type === 'subtable' ? field.fields?.find((f) => f.key === sub && !f.deleted) : undefined;
  const one = (k: unknown) => {
    if (k == null || k === '') return '';
    const o = field?.options?.find((x) => x.key === k);
    return o ? labelText(o.label, 'zh-CN') : String(k);
  };
  return Array.isArray(value) ? value.map(one).filter(Boolean).join('、') : one(value);
}

export const PRINT_HELPER_FUNCTIONS: Record<string, (...args: any[]) => unknown> = {
  yuan: (...a: unknown[]) => formatYuan(argsOf(a).params[0]),
  number: (...a: unknown[]) => {
    const [v, d] = argsOf(a).params;
    const places = toNum(d);
    return formatNumber(v, Number.isFinite(places) ? places : undefined);
  },
  date: (...a: unknown[]) => formatDate(...(argsOf(a).params as [unknown, unknown])),
  datetime: (...a: unknown[]) => formatDatetime(...(argsOf(a).params as [unknown, unknown])),
  upper_amount: (...a: unknown[]) => upperAmount(argsOf(a).params[0]),
  option: (...a: unknown[]) => {
    const { params, options } = argsOf(a);
    const root = options?.data?.root;
    const info = root && typeof root === 'object' ? renderInfo.get(root) : undefined;
    return info ? optionLabel(info.form, params[0], params[1]) : params[1] == null ? '' : String(params[1]);
  },
  eq: (...a: unknown[]) => {
    const [x, y] = argsOf(a).params;
    return x === y;
  },
  add: arith((x, y) => x + y),
  sub: arith((x, y) => x - y),
  mul: arith((x, y) => x * y),
  sum: (...a: unknown[]) => {
    const [rows, key] = argsOf(a).params;
    if (!Array.isArray(rows) || typeof key !== 'string') return 0;
    let total = 0;
    for (const r of rows) {
      const v = r !== null && typeof r === 'object' && Object.prototype.hasOwnProperty.call(r, key) ? toNum((r as Record<string, unknown>)[key]) : NaN;
      if (Number.isFinite(v)) total += v;
    }
    return clean(total);
  },
  index1: (...a: unknown[]) => {
    const i = toNum(argsOf(a).params[0]);
    return Number.isFinite(i) ? i + 1 : '';
  },
  default: (...a: unknown[]) => {
    const [v, fallback] = argsOf(a).params;
    const empty = v == null || v === '' || (Array.isArray(v) && v.length === 0);
    return empty ? fallback : v;
  },
};

const hb = Handlebars.create();
hb.unregisterHelper('log');
hb.unregisterDecorator('inline');
for (const [name, fn] of Object.entries(PRINT_HELPER_FUNCTIONS)) hb.registerHelper(name, fn);

const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  partials: {},
  decorators: {},
};

/** Compile a template under the print rules; throws the save-time problem as a validation error. */
export function compilePrintTemplate(source: string, pointer = '/template'): HandlebarsTemplateDelegate {
  const problem = printTemplateProblem(source);
  if (problem) throw validationError({ [pointer]: [problem] });
  return hb.compile(source, printCompileOptions());
}

/** Render a compiled template over a context (the helpers' `option` looks fields up in `form`). */
export function runPrintTemplate(template: HandlebarsTemplateDelegate, context: Record<string, unknown>, form?: CompiledForm): string {
  if (form) renderInfo.set(context, { form });
  return template(context, RUNTIME_OPTIONS);
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

const PAPER_MM: Record<'A4' | 'A5', [number, number]> = { A4: [210, 297], A5: [148, 210] };

/** The page's CSS: the paper, a Chinese font stack, bordered tables, a few utility classes. */
export function printCss(paper: 'A4' | 'A5' = 'A4', orientation: 'portrait' | 'landscape' = 'portrait'): string {
  const [w, h] = orientation === 'landscape' ? [PAPER_MM[paper][1], PAPER_MM[paper][0]] : PAPER_MM[paper];
  return `@page { size: ${paper} ${orientation}; margin: 15mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #000; font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", SimSun, "Songti SC", sans-serif; font-size: 10.5pt; line-height: 1.6; }
@media screen { body { background: #e8e8e8; } .fw-page { background: #fff; width: ${w}mm; min-height: ${h}mm; margin: 8mm auto; padding: 15mm; box-shadow: 0 1px 4px rgba(0,0,0,.3); } }
h1 { font-size: 18pt; text-align: center; letter-spacing: .15em; margin: 0 0 5mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; }
p { margin: 1.5mm 0; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0; }
th, td { border: 1px solid #000; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
th { background: #f0f0f0; font-weight: bold; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
table.plain, table.plain th, table.plain td { border: none; background: none; padding-left: 0; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.center { text-align: center; }
.right { text-align: right; }
.muted { color: #555; }
.pre { white-space: pre-wrap; }
.small { font-size: 9pt; }
.box { display: inline-block; width: 3.5mm; height: 3.5mm; border: 1px solid #000; vertical-align: -0.5mm; margin-right: 1mm; }
.sign { display: inline-block; min-width: 45mm; border-bottom: 1px solid #000; height: 7mm; vertical-align: bottom; }
.page-break { page-break-after: always; break-after: page; }
`;
}

/** A whole HTML document around a rendered body. */
export function printPage(title: string, body: string, def: Pick<PrintTemplateDef, 'paper' | 'orientation'> = {}): string {
  const esc = Handlebars.escapeExpression;
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(PRINT_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>
${printCss(def.paper ?? 'A4', def.orientation ?? 'portrait')}</style>
</head>
<body>
<div class="fw-page">
${body}
</div>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// PrintService: the record, what it points at, the page
// ---------------------------------------------------------------------------------------------

export interface PrintTemplateInfo {
  key: string;
  label: PrintTemplateDef['label'];
  paper: 'A4' | 'A5';
  orientation: 'portrait' | 'landscape';
}

export interface PrintedPage {
  html: string;
  title: string;
}

/** Compiled templates by form, revision and print key. */
const MAX_CACHED = 500;

export class PrintService {
  private readonly compiled = new Map<string, HandlebarsTemplateDelegate>();

  constructor(
    private readonly records: RecordService,
    private readonly policy: AccessPolicy,
  ) {}

  /** The form's print templates, for a caller who may read its records. */
  async list(actor: Actor, formKey: string): Promise<PrintTemplateInfo[]> {
    const form = await this.records.forms.get(formKey);
    if (!(await this.policy.can(actor, form, 'read'))) throw forbidden('没有权限执行此操作', `Not allowed to read records of '${form.key}'`);
    return (form.def.prints ?? []).map((p) => ({ key: p.key, label: p.label, paper: p.paper ?? 'A4', orientation: p.orientation ?? 'portrait' }));
  }

  /**
   * The page of print template `templateKey` over record `id`, as `actor` may read it: the
   * record's read check and row scope first (not_found outside it, as GET record), then the
   * template (not_found when the form has no such template).
   */
  async render(actor: Actor, formKey: string, id: number, templateKey: string): Promise<PrintedPage> {
    const form = await this.records.forms.get(formKey);
    const record = await this.records.get(actor, form.key, id);
    const index = (form.def.prints ?? []).findIndex((p) => p.key === templateKey);
    if (index < 0) throw notFound('打印模板不存在', `No print template '${templateKey.slice(0, 60)}' on form '${form.key}'`);
    const def = form.def.prints![index]!;
    const template = this.template(form, def, index);
    const context = await this.context(actor, form, def, record);
    const body = runPrintTemplate(template, context, form);
    const titleValue = form.def.titleField ? record[form.def.titleField] : undefined;
    const title = [labelText(def.label, 'zh-CN'), titleValue == null || titleValue === '' ? String(record.id) : String(titleValue)].join(' ');
    return { html: printPage(title, body, def), title };
  }

  private template(form: CompiledForm, def: PrintTemplateDef, index: number): HandlebarsTemplateDelegate {
    const cacheKey = `${form.key}\u0000${form.revision}\u0000${def.key}`;
    let t = this.compiled.get(cacheKey);
    if (!t) {
      t = compilePrintTemplate(def.template, `/prints/${index}/template`);
      if (this.compiled.size >= MAX_CACHED) this.compiled.clear();
      this.compiled.set(cacheKey, t);
    }
    return t;
  }

  private async context(actor: Actor, form: CompiledForm, def: PrintTemplateDef, record: ApiRecord): Promise<Record<string, unknown>> {
    const { access } = await this.records.scope(actor, form, 'read');
    const shown = (f: FieldDef) => !access.visible || access.visible.has(f.key);

    // Related records, each read once, within the caller's read scope (null outside it).
    const reads = new Map<string, Promise<ApiRecord | null>>();
    const read = (target: string, rid: unknown): Promise<ApiRecord | null> => {
      if (typeof rid !== 'number' || !Number.isInteger(rid)) return Promise.resolve(null);
      const k = `${target}:${rid}`;
      let p = reads.get(k);
      if (!p) {
        p = this.records.get(actor, target, rid).catch((e: unknown) => {
          if (e instanceof AppError && (e.code === 'not_found' || e.code === 'forbidden')) return null;
          throw e;
        });
        reads.set(k, p);
      }
      return p;
    };

    const labels: Record<string, string> = {};
    const related: Record<string, ApiRecord | null> = {};
    const out: Record<string, unknown> = { ...record };
    for (const f of form.fields) {
      if (!shown(f)) continue;
      labels[f.key] = labelText(f.label, 'zh-CN');
      if (f.type === 'relation' && f.relation) related[f.key] = await read(f.relation.form, record[f.key]);
      if (f.type === 'subtable') {
        const rowFields = (f.fields ?? []).filter((sf) => !sf.deleted);
        for (const sf of rowFields) labels[`${f.key}.${sf.key}`] = labelText(sf.label, 'zh-CN');
        const rowRelations = rowFields.filter((sf) => sf.type === 'relation' && sf.relation);
        const rows = record[f.key];
        if (rowRelations.length && Array.isArray(rows)) {
          out[f.key] = await Promise.all(rows.map(async (row: Record<string, unknown>) => {
            const rel: Record<string, ApiRecord | null> = {};
            for (const sf of rowRelations) rel[sf.key] = await read(sf.relation!.form, row[sf.key]);
            return { ...row, _related: rel };
          }));
        }
      }
    }
    return {
      record: out,
      related,
      labels,
      form: { key: form.key, label: labelText(form.def.label, 'zh-CN') },
      print: { key: def.key, label: labelText(def.label, 'zh-CN') },
      today: rulesToday(),
      printedAt: rulesNow(),
      printedBy: actor.displayName || actor.username,
    };
  }
}
