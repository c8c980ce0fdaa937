/**
 * CSV and XLSX export of a form's records (`GET /api/records/:form/export`).
 *
 * Reads through RecordQuery.iterate (keyset pages, no OFFSET) with the caller's read scope: the
 * row condition of their roles (for `read` and for `export`), their filter over the fields they
 * may see unmasked, hidden fields absent, masked fields masked. Values are written for people:
 * option labels, money as a decimal, dates as text, 是/否, the related record's title (looked up
 * per page within the caller's read scope of the target form), user and department names.
 *
 * CSV: UTF-8 with a BOM (so Excel opens Chinese text), RFC 4180 quoting, CRLF, and text cells
 * starting with = + - @ (or a tab / carriage return) prefixed with ' against formula injection.
 * XLSX: exceljs's streaming writer, one worksheet, zh-CN (or English) headers.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Db } from '../store/connection.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { ApiRecord, ReadScope } from '../store/record-query.js';
import type { RecordService } from '../records/record-service.js';
import type { AccessPolicy } from '../auth/access-policy.js';
import type { Actor } from '../auth/actor.js';
import { actorVars } from '../auth/actor.js';
import type { FieldDef, JsonLogic } from '../meta/types.js';
import { labelText } from '../meta/types.js';
import { getRulesTimeZone } from '../rules/operations.js';
import { forbidden, type Lang } from '../errors.js';

export type ExportFormat = 'csv' | 'xlsx';

export interface ExportRequest {
  format: ExportFormat;
  filter?: JsonLogic;
  lang?: Lang;
}

export interface PreparedExport {
  filename: string;
  contentType: string;
  /** RFC 6266 / 5987 Content-Disposition (an ASCII fallback plus the UTF-8 name). */
  contentDisposition: string;
  /** Write the whole file to `out` (does not end `out`). */
  write(out: Writable): Promise<void>;
}

/** A cell as exported: text, a number, or empty. */
type Cell = string | number | null;

interface Column {
  header: string;
  field?: FieldDef;
  system?: 'id' | '_createdAt' | '_updatedAt';
  money?: boolean;
  /** The caller sees this field masked: its masked text goes out as it is. */
  masked?: boolean;
}

const PAGE = 1000;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export class RecordExporter {
  constructor(
    private readonly db: Db,
    private readonly records: RecordService,
    private readonly policy: AccessPolicy,
  ) {}

  /**
   * Check the caller's rights and the filter, read the first page: everything that can fail
   * with an error response fails here, before any byte of the file is sent.
   */
  async prepare(actor: Actor, formKey: string, req: ExportRequest): Promise<PreparedExport> {
    const lang = req.lang ?? 'zh-CN';
    const form = await this.records.forms.get(formKey);
    if (!(await this.policy.can(actor, form, 'read')) || !(await this.policy.can(actor, form, 'export'))) {
      throw forbidden('没有导出此表单的权限', `Not allowed to export records of '${form.key}'`);
    }
    const { scope: readScope } = await this.records.scope(actor, form, 'read');
    const exportRows = await this.policy.rowScope(actor, form, 'export');
    const rows = [readScope.rows, exportRows].filter((r) => r != null);
    const scope: ReadScope = { ...readScope, rows: rows.length === 0 ? null : rows.length === 1 ? rows[0] : { and: rows } };
    const columns = this.columns(form, scope, lang);
    const wantsSubtables = columns.some((c) => c.field?.type === 'subtable');
    const pages = this.records.query.iterate(form, { filter: req.filter, subtables: wantsSubtables }, scope, PAGE);
    const first = await pages.next(); // compiles the filter: a bad one throws bad_request now
    const lookups = new Lookups(this.db, this.records, this.policy, actor);
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    const base = `${labelText(form.def.label, lang) || form.key}-${stamp}`;
    const filename = `${base}.${req.format}`;
    const ascii = `${form.key}-${stamp}.${req.format}`;
    const contentDisposition = `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(filename)}`;

    const pagesFrom = async function* (): AsyncGenerator<ApiRecord[]> {
      if (first.done) return;
      yield first.value;
      yield* pages;
    };
    const rowsOf = async function* (): AsyncGenerator<Cell[]> {
      for await (const page of pagesFrom()) {
        await lookups.prime(form, columns, page);
        for (const rec of page) yield columns.map((c) => lookups.cell(c, rec, lang));
      }
    };

    if (req.format === 'csv') {
      return {
        filename, contentDisposition, contentType: 'text/csv; charset=utf-8',
        async write(out) {
          let buf = '\uFEFF' + columns.map((c) => csvCell(c.header)).join(',') + '\r\n';
          for await (const cells of rowsOf()) {
            buf += cells.map(csvCell).join(',') + '\r\n';
            if (buf.length > 64 * 1024) {
              await writeChunk(out, buf);
              buf = '';
            }
          }
          if (buf) await writeChunk(out, buf);
        },
      };
    }
    return {
      filename, contentDisposition, contentType: XLSX_TYPE,
      async write(out) {
        const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
        const sheet = wb.addWorksheet(sheetName(labelText(form.def.label, lang) || form.key));
        sheet.columns = columns.map((c) => ({
          header: c.header, key: c.header,
          width: Math.min(40, Math.max(10, c.header.length * 2 + 4)),
          ...(c.money ? { style: { numFmt: '#,##0.00' } } : {}),
        }));
        sheet.getRow(1).font = { bold: true };
        sheet.getRow(1).commit();
        let n = 0;
        for await (const cells of rowsOf()) {
          sheet.addRow(cells).commit();
          if (++n % 500 === 0 && out.writableNeedDrain) await new Promise((r) => out.once('drain', r));
        }
        sheet.commit();
        await wb.commit();
      },
    };
  }

  private columns(form: CompiledForm, scope: ReadScope, lang: Lang): Column[] {
    const zh = lang === 'zh-CN';
    const cols: Column[] = [{ header: 'ID', system: 'id' }];
    for (const f of form.fields) {
      if (scope.fields && !scope.fields.has(f.key)) continue;
      cols.push({ header: labelText(f.label, lang) || f.key, field: f, money: f.type === 'money' && !scope.masked?.has(f.key), masked: !!scope.masked?.has(f.key) });
    }
    cols.push({ header: zh ? '创建时间' : 'Created at', system: '_createdAt' });
    cols.push({ header: zh ? '更新时间' : 'Updated at', system: '_updatedAt' });
    // Two fields with the same label would make two identical headers: tell them apart by key.
    const seen = new Map<string, number>();
    for (const c of cols) seen.set(c.header, (seen.get(c.header) ?? 0) + 1);
    for (const c of cols) if (c.field && seen.get(c.header)! > 1) c.header = `${c.header} (${c.field.key})`;
    return cols;
  }
}

/** Names of related records, users and departments, looked up once per page and cached. */
class Lookups {
  private titles = new Map<string, Map<number, string>>();
  private users = new Map<number, string>();
  private depts = new Map<number, string>();

  constructor(
    private readonly db: Db,
    private readonly records: RecordService,
    private readonly policy: AccessPolicy,
    private readonly actor: Actor,
  ) {}

  async prime(form: CompiledForm, columns: Column[], page: ApiRecord[]): Promise<void> {
    const wantUsers = new Set<number>();
    const wantDepts = new Set<number>();
    for (const c of columns) {
      const f = c.field;
      if (!f) continue;
      const ids = (rec: ApiRecord): number[] => {
        const v = rec[f.key];
        return (Array.isArray(v) ? v : [v]).filter((x): x is number => typeof x === 'number');
      };
      if (f.type === 'user') for (const r of page) for (const id of ids(r)) if (!this.users.has(id)) wantUsers.add(id);
      if (f.type === 'department') for (const r of page) for (const id of ids(r)) if (!this.depts.has(id)) wantDepts.add(id);
      if (f.type === 'relation' && f.relation?.form) {
        const cache = this.titles.get(f.key) ?? new Map<number, string>();
        this.titles.set(f.key, cache);
        const want = [...new Set(page.flatMap(ids))].filter((id) => !cache.has(id));
        if (want.length) await this.relationTitles(f, want, cache);
      }
    }
    void form;
    if (wantUsers.size) {
      const rows = await this.db.knex('fw_users').whereIn('id', [...wantUsers]).select('id', 'username', 'display_name');
      for (const r of rows) this.users.set(Number(r.id), r.display_name || r.username);
    }
    if (wantDepts.size) {
      const rows = await this.db.knex('fw_departments').whereIn('id', [...wantDepts]).select('id', 'name');
      for (const r of rows) this.depts.set(Number(r.id), r.name);
    }
  }

  /** Titles of related records the caller may read (others stay ids). */
  private async relationTitles(f: FieldDef, ids: number[], cache: Map<number, string>): Promise<void> {
    const target = this.records.forms.peek(f.relation!.form);
    for (const id of ids) cache.set(id, String(id));
    if (!target) return;
    const titleKey = f.relation!.displayField ?? target.def.titleField;
    if (!titleKey || !target.byKey.has(titleKey)) return;
    if (!(await this.policy.can(this.actor, target, 'read'))) return;
    const { scope } = await this.records.scope(this.actor, target, 'read');
    if (scope.fields && !scope.fields.has(titleKey)) return;
    const narrow: ReadScope = { ...scope, fields: new Set([titleKey]), vars: scope.vars ?? actorVars(this.actor) };
    for (let i = 0; i < ids.length; i += 500) {
      for (const rec of await this.records.query.getMany(target, ids.slice(i, i + 500), narrow)) {
        const v = rec[titleKey];
        if (v != null && v !== '') cache.set(rec.id, typeof v === 'object' ? JSON.stringify(v) : String(v));
      }
    }
  }

  cell(c: Column, rec: ApiRecord, lang: Lang): Cell {
    if (c.system === 'id') return rec.id;
    if (c.system) return formatDatetime(rec[c.system] as string | null);
    const f = c.field!;
    const v = rec[f.key];
    if (v === null || v === undefined || v === '') return null;
    if (c.masked) return typeof v === 'object' ? JSON.stringify(v) : String(v);
    const zh = lang === 'zh-CN';
    const sep = zh ? '、' : ', ';
    const option = (key: unknown) => {
      const o = f.options?.find((x) => x.key === key);
      return o ? labelText(o.label, lang) || String(key) : String(key);
    };
    switch (f.type) {
      case 'number': case 'percent': case 'money':
        return typeof v === 'number' ? v : String(v);
      case 'boolean':
        return v === true ? (zh ? '是' : 'Yes') : v === false ? (zh ? '否' : 'No') : String(v);
      case 'select':
        return option(v);
      case 'multiselect': case 'tags':
        return Array.isArray(v) ? v.map(option).join(sep) : String(v);
      case 'datetime':
        return formatDatetime(v as string);
      case 'relation':
        return typeof v === 'number' ? this.titles.get(f.key)?.get(v) ?? String(v) : String(v);
      case 'user': case 'department': {
        const names = f.type === 'user' ? this.users : this.depts;
        const list = Array.isArray(v) ? v : [v];
        return list.map((id) => (typeof id === 'number' ? names.get(id) ?? String(id) : String(id))).join(sep);
      }
      case 'subtable':
        return Array.isArray(v) ? (zh ? `${v.length} 行` : `${v.length} row(s)`) : null;
      case 'attachment': case 'image':
        return Array.isArray(v) ? v.map((x: any) => x?.name ?? x?.id ?? '').join(sep) : String(v);
      case 'address': {
        const a = v as Record<string, string>;
        return typeof v === 'object' ? [a.province, a.city, a.district, a.detail].filter(Boolean).join(zh ? '' : ' ') : String(v);
      }
      case 'location': {
        const l = v as { lat: number; lng: number; name?: string };
        return typeof v === 'object' ? (l.name ? `${l.name} (${l.lat},${l.lng})` : `${l.lat},${l.lng}`) : String(v);
      }
      case 'signature':
        return zh ? '[签名]' : '[signature]';
      default:
        return typeof v === 'object' ? JSON.stringify(v) : (v as string | number);
    }
  }
}

// ---------- helpers ----------

const dtFormat = new Map<string, Intl.DateTimeFormat>();

/** An ISO instant as `YYYY-MM-DD HH:mm:ss` in the rules time zone (what people read and type). */
export function formatDatetime(v: string | null | undefined): string | null {
  if (v == null || v === '') return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  const tz = getRulesTimeZone();
  let fmt = dtFormat.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    dtFormat.set(tz, fmt);
  }
  return fmt.format(d);
}

/** One CSV field: formula-looking text defused, then RFC 4180 quoting. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Excel's worksheet names: at most 31 characters, none of []:*?/\ */
function sheetName(s: string): string {
  return s.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Sheet1';
}

function writeChunk(out: Writable, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed) return reject(new Error('client went away'));
    const ok = out.write(chunk, 'utf8');
    if (ok) return resolve();
    const onDrain = () => { out.off('close', onClose); resolve(); };
    const onClose = () => { out.off('drain', onDrain); reject(new Error('client went away')); };
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}
