/**
 * Reading an uploaded CSV or XLSX file for an import: rows streamed from the file, the header
 * row mapped onto the form's fields, and cell text turned into API values per field type.
 * The job that writes the rows through RecordService is records/import-jobs.ts.
 *
 * Rows are numbered as a person sees them in a spreadsheet: the header is row 1.
 */
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Knex } from 'knex';
import type { CompiledForm } from '../store/compiled-form.js';
import type { ReadScope } from '../store/record-query.js';
import type { FieldAccess } from '../auth/access-policy.js';
import type { FieldDef, Label } from '../meta/types.js';
import { labelText } from '../meta/types.js';
import { isComputed } from '../meta/field-types.js';
import { getRulesTimeZone } from '../rules/operations.js';
import { AppError, msg, type Msg } from '../errors.js';

export type FileKind = 'csv' | 'xlsx';
export type RawCell = string | number | boolean | Date | null;

export interface SheetRow {
  /** The row number as a spreadsheet shows it (header = 1). */
  row: number;
  cells: RawCell[];
}

/** One problem of one row (or of the header, row 1). */
export interface RowIssue {
  row: number;
  /** The header text of the column, when the problem is a cell's. */
  column?: string | null;
  field?: string | null;
  message: Msg;
}

// ---------- reading ----------

/** Is this file a zip (XLSX) or text (CSV)? By its first bytes, whatever the Content-Type said. */
export function sniffKind(head: Buffer): FileKind {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04 ? 'xlsx' : 'csv';
}

/** The rows of the file's first worksheet (XLSX) or of the CSV, header included, blank rows left out. */
export async function* readRows(file: string, kind: FileKind): AsyncGenerator<SheetRow> {
  if (kind === 'xlsx') yield* readXlsx(file);
  else yield* readCsv(file);
}

async function* readCsv(file: string): AsyncGenerator<SheetRow> {
  const head = await readHead(file, 64 * 1024);
  // Excel in a Chinese locale saves "CSV" as GB18030 (GBK); anything that is not valid UTF-8 is read as that.
  let utf8 = true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    utf8 = false;
  }
  const firstLine = (utf8 ? head.toString('utf8') : new TextDecoder('gb18030').decode(head)).split(/\r?\n/, 1)[0] ?? '';
  const delimiter = firstLine.includes(',') ? ',' : firstLine.includes('\t') ? '\t' : firstLine.includes(';') ? ';' : ',';
  let source: NodeJS.ReadableStream = fs.createReadStream(file);
  if (!utf8) {
    const decoder = new TextDecoder('gb18030');
    source = source.pipe(new Transform({
      transform(chunk: Buffer, _enc, cb) { cb(null, decoder.decode(chunk, { stream: true })); },
      flush(cb) { cb(null, decoder.decode()); },
    }));
  }
  const parser = source.pipe(parseCsv({ bom: true, delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }));
  let row = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    row++;
    if (record.every((c) => c.trim() === '')) continue;
    yield { row, cells: record };
  }
}

async function* readXlsx(file: string): AsyncGenerator<SheetRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', entries: 'emit',
  });
  let first = true;
  for await (const sheet of reader) {
    // Only the first worksheet is imported; the others are read through (the zip is one stream).
    for await (const r of sheet) {
      if (!first) continue;
      const values = (r.values as unknown[]) ?? [];
      const cells: RawCell[] = [];
      for (let i = 1; i < values.length; i++) cells.push(cellValue(values[i]));
      if (cells.every((c) => c == null || (typeof c === 'string' && c.trim() === ''))) continue;
      yield { row: r.number, cells };
    }
    first = false;
  }
}

function cellValue(v: unknown): RawCell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') {
    const o = v as Record<string, any>;
    if (Array.isArray(o.richText)) return o.richText.map((t: any) => t?.text ?? '').join('');
    if ('result' in o) return cellValue(o.result);
    if ('formula' in o || 'sharedFormula' in o) return null;
    if (typeof o.text === 'string') return o.text;
    if ('error' in o) return String(o.error);
  }
  return String(v);
}

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

// ---------- header → fields ----------

export interface MappedColumn {
  index: number;
  header: string;
  field: FieldDef;
}

export interface HeaderMapping {
  columns: MappedColumn[];
  /** header → field key (null: ignored), as applied. */
  mapping: Record<string, string | null>;
  warnings: RowIssue[];
}

/** Field types a cell cannot carry. */
const UNSUPPORTED = new Set(['subtable', 'attachment', 'image', 'signature']);
/** Headers of the system columns an export writes: ignored without a word. */
const SYSTEM_HEADERS = new Set(['id', '创建时间', '更新时间', 'created at', 'updated at', '_createdat', '_updatedat', '_version', '_owner', '_createdby', '版本']);

const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, ' ').replace(/[*＊]$/, '').trim();
const lower = (s: string) => norm(s).toLowerCase();

/**
 * Map the header row onto the fields the caller may write. Automatic: a header equal to a
 * field's key, its zh-CN label or its English label (keys and English case-insensitive; a
 * trailing * for "required" ignored). `explicit` ({header: key | null}) wins over the automatic
 * match. A field the caller may not see is not there for them: a header naming it is an unknown
 * header (ignored), an explicit mapping onto it is `bad_request` like any unknown field.
 */
export function mapHeaders(form: CompiledForm, headerCells: RawCell[], access: FieldAccess, explicit?: Record<string, string | null>): HeaderMapping {
  const headers = headerCells.map((c) => (c == null ? '' : norm(String(c))));
  const visible = (f: FieldDef) => !access.visible || access.visible.has(f.key);
  const byName = new Map<string, FieldDef>();
  const add = (name: string | undefined, f: FieldDef, ci: boolean) => {
    if (!name) return;
    const k = ci ? 'ci:' + lower(name) : 'cs:' + norm(name);
    if (!byName.has(k)) byName.set(k, f);
  };
  for (const f of form.fields) {
    if (!visible(f)) continue;
    add(f.key, f, true);
    const l: Label = f.label;
    if (typeof l === 'string') { add(l, f, false); add(l, f, true); }
    else { add(l['zh-CN'], f, false); add(l.en, f, true); }
  }
  const explicitNorm = new Map<string, string | null>();
  if (explicit) {
    for (const [h, key] of Object.entries(explicit)) {
      if (key !== null && typeof key !== 'string') throw badMapping(h, `映射“${h}”的值必须是字段键或 null`, `The mapping of '${h}' must be a field key or null`);
      if (!headers.includes(norm(h))) throw badMapping(h, `文件中没有列“${h}”`, `The file has no column '${h}'`);
      explicitNorm.set(norm(h), key);
    }
  }
  const columns: MappedColumn[] = [];
  const mapping: Record<string, string | null> = {};
  const warnings: RowIssue[] = [];
  const taken = new Map<string, string>();
  headers.forEach((header, index) => {
    if (!header) return;
    let field: FieldDef | undefined;
    if (explicitNorm.has(header)) {
      const key = explicitNorm.get(header)!;
      if (key === null) { mapping[header] = null; return; }
      field = form.byKey.get(key);
      if (!field || !visible(field)) throw badMapping(header, `表单没有字段“${key}”`, `The form has no field '${key}'`);
      const why = notImportable(field, access);
      if (why) throw badMapping(header, `字段“${key}”不能导入：${why['zh-CN']}`, `Field '${key}' cannot be imported: ${why.en}`);
    } else {
      field = byName.get('cs:' + header) ?? byName.get('ci:' + lower(header));
      if (!field) {
        mapping[header] = null;
        if (!SYSTEM_HEADERS.has(lower(header))) warnings.push({ row: 1, column: header, field: null, message: msg('没有对应的字段，此列已忽略', 'No field of this name: the column is ignored') });
        return;
      }
      const why = notImportable(field, access);
      if (why) {
        mapping[header] = null;
        warnings.push({ row: 1, column: header, field: field.key, message: msg(`此列已忽略：${why['zh-CN']}`, `Column ignored: ${why.en}`) });
        return;
      }
    }
    const other = taken.get(field.key);
    if (other !== undefined) throw badMapping(header, `列“${other}”和“${header}”都对应字段“${field.key}”`, `Columns '${other}' and '${header}' both map to field '${field.key}'`);
    taken.set(field.key, header);
    mapping[header] = field.key;
    columns.push({ index, header, field });
  });
  if (!columns.length) {
    throw new AppError('bad_request', msg('文件的表头没有对应表单的任何字段', "No column of the file's header row maps to a field of the form"), {
      details: { headers: headers.filter(Boolean).slice(0, 100) },
    });
  }
  return { columns, mapping, warnings };
}

function notImportable(f: FieldDef, access: FieldAccess): Msg | null {
  if (isComputed(f)) return msg('由系统计算', 'computed by the server');
  if (UNSUPPORTED.has(f.type)) return msg('此类型不支持导入', 'this field type cannot be imported');
  if (access.readOnly.has(f.key)) return msg('对你只读', 'read-only for you');
  return null;
}

function badMapping(header: string, zh: string, en: string): AppError {
  return new AppError('bad_request', msg(zh, en), { details: { param: 'mapping', column: header } });
}

// ---------- cells → API values ----------

/** Looks up ids for relation, user and department cells (batched, cached for the whole job). */
export interface RefLookup {
  /** Ids of records of the field's target form whose title (or a unique field) equals each text, within the caller's read scope. */
  relation(trx: Knex, f: FieldDef, texts: string[]): Promise<Map<string, number[]>>;
  users(trx: Knex, texts: string[]): Promise<Map<string, number[]>>;
  departments(trx: Knex, texts: string[]): Promise<Map<string, number[]>>;
}

type Conv = { value: unknown } | { error: Msg } | { ref: string[]; multiple: boolean };

const LIST_SPLIT = /[,，;；、\n]+/;
const TRUE_WORDS = new Set(['是', '真', '对', 'true', 'yes', 'y', '1', 't', '√', '✓', 'on']);
const FALSE_WORDS = new Set(['否', '假', '错', 'false', 'no', 'n', '0', 'f', '×', '✗', 'off']);

/**
 * Turns the mapped cells of a batch of rows into record inputs, resolving references in one
 * query per field and batch. Lookups are cached for the job.
 */
export class RowConverter {
  private cache = new Map<string, Map<string, number[]>>();

  constructor(private readonly columns: MappedColumn[], private readonly lookup: RefLookup) {}

  async convert(trx: Knex, rows: SheetRow[]): Promise<Array<{ row: number; input: Record<string, unknown>; issues: RowIssue[] }>> {
    const out = rows.map((r) => ({ row: r.row, input: {} as Record<string, unknown>, issues: [] as RowIssue[] }));
    const pending: Array<{ i: number; col: MappedColumn; texts: string[]; multiple: boolean }> = [];
    rows.forEach((r, i) => {
      for (const col of this.columns) {
        const raw = r.cells[col.index] ?? null;
        if (raw === null || (typeof raw === 'string' && raw.trim() === '')) continue;
        const c = convertCell(col.field, raw);
        if ('error' in c) out[i]!.issues.push({ row: r.row, column: col.header, field: col.field.key, message: c.error });
        else if ('ref' in c) pending.push({ i, col, texts: c.ref, multiple: c.multiple });
        else out[i]!.input[col.field.key] = c.value;
      }
    });
    // References: one look-up per field for the texts not seen before.
    const byField = new Map<string, { col: MappedColumn; texts: Set<string> }>();
    for (const p of pending) {
      const e = byField.get(p.col.field.key) ?? { col: p.col, texts: new Set<string>() };
      byField.set(p.col.field.key, e);
      for (const t of p.texts) e.texts.add(t);
    }
    for (const [key, { col, texts }] of byField) {
      const cache = this.cache.get(key) ?? new Map<string, number[]>();
      this.cache.set(key, cache);
      const missing = [...texts].filter((t) => !cache.has(t));
      for (let i = 0; i < missing.length; i += 500) {
        const part = missing.slice(i, i + 500);
        const f = col.field;
        const found = f.type === 'relation' ? await this.lookup.relation(trx, f, part) : f.type === 'user' ? await this.lookup.users(trx, part) : await this.lookup.departments(trx, part);
        for (const t of part) cache.set(t, found.get(t) ?? []);
      }
      if (this.cache.size > 50 || cache.size > 200_000) cache.clear(); // bounded memory on huge files (re-looked-up later)
    }
    for (const p of pending) {
      const f = p.col.field;
      const cache = this.cache.get(f.key)!;
      const ids: number[] = [];
      for (const t of p.texts) {
        const hit = cache.get(t) ?? (await this.lookupOne(trx, f, t));
        if (hit.length === 1) ids.push(hit[0]!);
        else {
          out[p.i]!.issues.push({
            row: rows[p.i]!.row, column: p.col.header, field: f.key,
            message: hit.length === 0
              ? msg(`找不到“${t}”`, `No ${f.type === 'relation' ? 'record' : f.type} matches '${t}'`)
              : msg(`“${t}”对应多条记录，请填写 id`, `'${t}' matches ${hit.length} ${f.type === 'relation' ? 'records' : f.type + 's'}: give the id`),
          });
        }
      }
      if (ids.length === p.texts.length) out[p.i]!.input[f.key] = p.multiple ? [...new Set(ids)] : ids[0];
    }
    return out;
  }

  private async lookupOne(trx: Knex, f: FieldDef, t: string): Promise<number[]> {
    const found = f.type === 'relation' ? await this.lookup.relation(trx, f, [t]) : f.type === 'user' ? await this.lookup.users(trx, [t]) : await this.lookup.departments(trx, [t]);
    return found.get(t) ?? [];
  }
}

function text(raw: RawCell): string {
  if (raw instanceof Date) return raw.toISOString().slice(0, 10);
  return String(raw).trim();
}

/** One cell → an API value, an error, or texts to look up (relations, users, departments). */
export function convertCell(f: FieldDef, raw: RawCell): Conv {
  const s = text(raw);
  const bad = (zh: string, en: string): Conv => ({ error: msg(`“${s.slice(0, 60)}”${zh}`, `'${s.slice(0, 60)}' ${en}`) });
  switch (f.type) {
    case 'text': case 'textarea': case 'phone': case 'email': case 'url': case 'autonumber':
      return { value: typeof raw === 'number' ? String(raw) : raw instanceof Date ? s : String(raw).trim() };
    case 'number': case 'percent': case 'money': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else {
        let t = s.replace(/[\s,，_]/g, '').replace(/^[¥￥]|^CNY|^RMB|元$/i, '');
        let pct = false;
        if (t.endsWith('%') || t.endsWith('％')) { pct = true; t = t.slice(0, -1); }
        if (t.startsWith('(') && t.endsWith(')')) t = '-' + t.slice(1, -1);
        if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return bad('不是数字', 'is not a number');
        n = Number(t);
        if (pct) {
          if (f.type !== 'percent') return bad('不是数字', 'is not a number');
          n = n / 100;
        }
      }
      if (!Number.isFinite(n)) return bad('不是数字', 'is not a number');
      if (f.type === 'money') n = Math.round(n * 100) / 100;
      if (f.type === 'percent' || f.type === 'number') n = Number(n.toPrecision(15));
      return { value: n };
    }
    case 'date': {
      const d = parseDateCell(raw);
      return d ? { value: d } : bad('不是日期（如 2024-06-30）', 'is not a date (such as 2024-06-30)');
    }
    case 'datetime': {
      const d = parseDatetimeCell(raw);
      return d ? { value: d } : bad('不是日期时间（如 2024-06-30 14:30）', 'is not a date and time (such as 2024-06-30 14:30)');
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      const t = s.toLowerCase();
      if (TRUE_WORDS.has(t)) return { value: true };
      if (FALSE_WORDS.has(t)) return { value: false };
      return bad('不是“是”或“否”', 'is not yes or no');
    }
    case 'select': {
      const key = optionKey(f, s);
      return key != null ? { value: key } : bad('不是可选的选项', 'is not one of the options');
    }
    case 'multiselect': case 'tags': {
      const parts = [...new Set(s.split(LIST_SPLIT).map((p) => p.trim()).filter(Boolean))];
      const keys: string[] = [];
      for (const p of parts) {
        const key = optionKey(f, p);
        if (key != null) keys.push(key);
        else if (f.type === 'tags' && f.allowNewOptions !== false) keys.push(p);
        else return { error: msg(`“${p.slice(0, 60)}”不是可选的选项`, `'${p.slice(0, 60)}' is not one of the options`) };
      }
      return { value: [...new Set(keys)] };
    }
    case 'relation':
      if (typeof raw === 'number' && Number.isInteger(raw)) return { value: raw };
      // A whole number is the related record's id; other text is looked up by the target's title.
      if (/^#?\d{1,15}$/.test(s)) return { value: Number(s.replace('#', '')) };
      return { ref: [s], multiple: false };
    case 'user': case 'department': {
      const parts = f.multiple ? [...new Set(s.split(LIST_SPLIT).map((p) => p.trim()).filter(Boolean))] : [s];
      return { ref: parts, multiple: !!f.multiple };
    }
    case 'address':
      if (s.startsWith('{')) {
        try { return { value: JSON.parse(s) }; } catch { return bad('不是地址', 'is not an address'); }
      }
      return { value: { detail: s } };
    case 'location': {
      const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*[,，]\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(s);
      return m ? { value: { lat: Number(m[1]), lng: Number(m[2]) } } : bad('不是“纬度,经度”', 'is not "lat,lng"');
    }
    default:
      return bad('此类型不支持导入', 'cannot be imported into this field type');
  }
}

function optionKey(f: FieldDef, s: string): string | null {
  const opts = f.options ?? [];
  const l = s.toLowerCase();
  for (const o of opts) if (o.key === s) return o.key;
  for (const o of opts) {
    const lab = o.label;
    const names = typeof lab === 'string' ? [lab] : [lab['zh-CN'], lab.en];
    if (names.some((n) => n != null && n.trim().toLowerCase() === l)) return o.key;
  }
  for (const o of opts) if (o.key.toLowerCase() === l) return o.key;
  return null;
}

const pad = (n: number) => String(n).padStart(2, '0');

function validYmd(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1000 || y > 9999) return null;
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCMonth() !== m - 1) return null;
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** Excel serial day numbers (1900 system) → UTC midnight. */
function excelSerial(n: number): Date | null {
  if (!Number.isFinite(n) || n < 1 || n > 2_958_465) return null;
  return new Date(Math.round((n - 25569) * 86400_000));
}

/** YYYY-MM-DD, YYYY/M/D, YYYY.M.D, 2024年6月30日, an Excel date cell or serial number. */
export function parseDateCell(raw: RawCell): string | null {
  // exceljs gives a date cell as the wall-clock date at UTC.
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : raw.toISOString().slice(0, 10);
  if (typeof raw === 'number') {
    const d = excelSerial(raw);
    return d ? d.toISOString().slice(0, 10) : null;
  }
  const s = String(raw ?? '').trim();
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00(?:\.0+)?)?)?$/.exec(s);
  if (m) return validYmd(Number(m[1]), Number(m[2]), Number(m[3]));
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (compact) return validYmd(Number(compact[1]), Number(compact[2]), Number(compact[3]));
  return null;
}

/** An instant: ISO 8601 with a zone as it is; a wall-clock time (or an Excel cell) in the rules time zone. */
export function parseDatetimeCell(raw: RawCell): string | null {
  let y: number, mo: number, d: number, h = 0, mi = 0, sec = 0;
  if (raw instanceof Date || typeof raw === 'number') {
    const dt = raw instanceof Date ? raw : excelSerial(raw);
    if (!dt || Number.isNaN(dt.getTime())) return null;
    [y, mo, d, h, mi, sec] = [dt.getUTCFullYear(), dt.getUTCMonth() + 1, dt.getUTCDate(), dt.getUTCHours(), dt.getUTCMinutes(), dt.getUTCSeconds()];
  } else {
    const s = String(raw ?? '').trim();
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s)) {
      const t = new Date(s);
      return Number.isNaN(t.getTime()) ? null : t.toISOString();
    }
    const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(?:\.\d+)?)?秒?)?$/.exec(s);
    if (!m) return null;
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    [h, mi, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  }
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || sec > 59) return null;
  return zonedToUtc(y, mo, d, h, mi, sec, getRulesTimeZone()).toISOString();
}

/** The instant at which the wall clock of `tz` shows this time. */
function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, tz: string): Date {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const offset = (at: number) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    }).formatToParts(new Date(at));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - at;
  };
  const first = guess - offset(guess);
  return new Date(guess - offset(first));
}

/** The read scope a reference look-up uses on the target form (see import-jobs.ts). */
export type TargetScope = ReadScope;
