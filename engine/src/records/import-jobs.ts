/**
 * Import jobs: an uploaded CSV/XLSX file written into a form through RecordService, as the
 * importing user (their permissions apply) and not silently (each created record's outbox
 * event fires its automations).
 *
 * A job is a `fw_imports` row (its progress updated every batch, so any process can report it)
 * and a temp file that this process works through in the background, one job at a time.
 *
 * Passes:
 *   - validation (dry runs, and the first pass of all_or_nothing): every row converted and sent
 *     through the real write path — `createIn` in a savepoint inside a batch transaction that is
 *     rolled back — so types, rules, relations and unique indexes are all checked; duplicates
 *     of a unique value within the file are caught across batches by remembering the values.
 *   - valid_only: one pass; batches of BATCH rows, each in a committed transaction with a
 *     savepoint per row, so one bad row (which aborts a PostgreSQL transaction) only rolls back
 *     itself.
 *   - all_or_nothing: validation first (batch transactions, so the server keeps answering
 *     between them and progress is readable); if every row passed, the rows are written in ONE
 *     transaction — the only way to really be all-or-nothing. On PostgreSQL that transaction
 *     holds no one else up; on SQLite (one connection, one writer) other requests wait for it,
 *     which is why validation runs apart first and a failed check never takes that lock.
 *
 * Permissions are read once when the job starts (PinnedPolicy): the job acts with the rights
 * the user had then, and never asks the policy's caches to refresh inside a transaction (on
 * SQLite a refresh there would wait for the transaction's own connection).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { ReadScope } from '../store/record-query.js';
import { RecordService, mapDbError } from './record-service.js';
import type { AccessPolicy, FieldAccess, RecordAction } from '../auth/access-policy.js';
import type { Actor } from '../auth/actor.js';
import { actorVars } from '../auth/actor.js';
import type { FieldDef, JsonLogic } from '../meta/types.js';
import { columnKind, toColumnValue } from '../meta/field-types.js';
import { AppError, forbidden, msg, notFound, type Lang, type Msg } from '../errors.js';
import { nowIso } from '../store/system.js';
import type { Logger } from '../http/logger.js';
import { mapHeaders, readRows, RowConverter, sniffKind, type FileKind, type RefLookup, type RowIssue, type SheetRow } from './import.js';

export type ImportMode = 'all_or_nothing' | 'valid_only';
export type ImportStatus = 'queued' | 'running' | 'done' | 'failed';

export interface ImportOptions {
  dryRun?: boolean;
  mode?: ImportMode;
  /** {header text: field key | null}; headers not named are matched automatically. */
  mapping?: Record<string, string | null>;
  fileName?: string;
}

export interface UploadedFile {
  path: string;
  size: number;
  kind: FileKind;
}

/** An import as the API shows it. */
export interface ImportView {
  id: string;
  form: string;
  status: ImportStatus;
  phase: 'validating' | 'writing' | null;
  dryRun: boolean;
  mode: ImportMode;
  fileName: string | null;
  fileKind: FileKind;
  total: number | null;
  processed: number;
  created: number;
  failedRows: number;
  errorCount: number;
  /** Whether the rows were written (false for dry runs and for all_or_nothing imports with a bad row). */
  committed: boolean;
  errors?: Array<{ row: number; column: string | null; field: string | null; message: string }>;
  warnings?: Array<{ row: number; column: string | null; field: string | null; message: string }>;
  mapping: Record<string, string | null>;
  failure: { code: string; message: string } | null;
  createdBy: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Rows per batch transaction. */
const BATCH = 500;
/** Row issues kept with the job (the count covers them all). */
const MAX_STORED_ERRORS = 1000;
/** A queued or running job whose row has not moved for this long was interrupted (its process ended). */
const STALE_MS = 10 * 60_000;
export const DEFAULT_MAX_IMPORT_BYTES = 100 * 1024 * 1024;

class Rollback extends Error {}

interface StoredIssue {
  row: number;
  column: string | null;
  field: string | null;
  message: Msg;
}

interface Job {
  id: string;
  actor: Actor;
  form: CompiledForm;
  file: UploadedFile;
  dryRun: boolean;
  mode: ImportMode;
  access: FieldAccess;
  mapping: ReturnType<typeof mapHeaders>;
  /** The running figures (also in the row; the row lags during an all_or_nothing write on SQLite). */
  live: {
    status: ImportStatus; phase: 'validating' | 'writing' | null; total: number | null; processed: number; created: number;
    failedRows: number; errorCount: number; committed: boolean; updatedAt: string;
  };
  errors: StoredIssue[];
  done: Promise<void>;
}

/**
 * The answers of the access policy for one actor, read before the job's transactions and kept
 * for the job: `can`, `rowScope` and `fields` of the forms the job touches.
 */
class PinnedPolicy implements AccessPolicy {
  private cans = new Map<string, boolean>();
  private rows = new Map<string, JsonLogic | null>();
  private fieldSets = new Map<string, FieldAccess>();

  constructor(private readonly real: AccessPolicy) {}

  async warm(actor: Actor, forms: CompiledForm[], actions: RecordAction[]): Promise<void> {
    for (const f of forms) {
      for (const a of actions) {
        this.cans.set(`${f.key}|${a}`, await this.real.can(actor, f, a));
        this.rows.set(`${f.key}|${a}`, await this.real.rowScope(actor, f, a));
      }
      this.fieldSets.set(f.key, await this.real.fields(actor, f));
    }
  }

  can(actor: Actor, form: CompiledForm, action: RecordAction) {
    return this.cans.get(`${form.key}|${action}`) ?? this.real.can(actor, form, action);
  }

  rowScope(actor: Actor, form: CompiledForm, action: RecordAction) {
    const k = `${form.key}|${action}`;
    return this.rows.has(k) ? this.rows.get(k)! : this.real.rowScope(actor, form, action);
  }

  fields(actor: Actor, form: CompiledForm) {
    return this.fieldSets.get(form.key) ?? this.real.fields(actor, form);
  }
}

export class ImportService {
  /** Largest accepted upload (bytes). */
  maxBytes = Number(process.env.FORMWORK_IMPORT_MAX_BYTES) || DEFAULT_MAX_IMPORT_BYTES;
  private jobs = new Map<string, Job>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly records: RecordService,
    private readonly policy: AccessPolicy,
    private readonly logger?: Logger,
  ) {}

  /** `forbidden` unless the actor may create and import records of the form (checked again when the job starts). */
  async checkRights(actor: Actor, formKey: string): Promise<CompiledForm> {
    const form = await this.records.forms.get(formKey);
    if (!(await this.policy.can(actor, form, 'create')) || !(await this.policy.can(actor, form, 'import'))) {
      throw forbidden('没有导入此表单的权限', `Not allowed to import records into '${form.key}'`);
    }
    return form;
  }

  /** Stream a request body into a temp file, refusing more than `maxBytes`. */
  async receive(body: Readable, contentLength?: number): Promise<UploadedFile> {
    const tooLarge = () => new AppError('payload_too_large', msg(`文件超过 ${Math.round(this.maxBytes / 1048576)} MB`, `The file is larger than ${Math.round(this.maxBytes / 1048576)} MB`));
    if (contentLength != null && contentLength > this.maxBytes) throw tooLarge();
    const file = path.join(os.tmpdir(), `formwork-import-${crypto.randomUUID()}`);
    let size = 0;
    const max = this.maxBytes;
    try {
      await pipeline(body, new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (size > max) cb(tooLarge());
          else cb(null, chunk);
        },
      }), fs.createWriteStream(file));
    } catch (e) {
      await fs.promises.rm(file, { force: true });
      if (e instanceof AppError) throw e;
      throw new AppError('bad_request', msg('上传中断', 'The upload was interrupted'));
    }
    if (size === 0) {
      await fs.promises.rm(file, { force: true });
      throw new AppError('bad_request', msg('文件是空的', 'The file is empty'));
    }
    const head = Buffer.alloc(4);
    const fh = await fs.promises.open(file, 'r');
    try {
      await fh.read(head, 0, 4, 0);
    } finally {
      await fh.close();
    }
    return { path: file, size, kind: sniffKind(head) };
  }

  /**
   * Check the caller's rights and the header row, then queue the job. Errors a caller can fix
   * (no right, a bad mapping, a file that is not a table) are thrown here, before the 202.
   * The file is the job's from then on (deleted when it ends, or now on an error).
   */
  async start(actor: Actor, formKey: string, file: UploadedFile, opts: ImportOptions = {}): Promise<ImportView> {
    try {
      const form = await this.checkRights(actor, formKey);
      const access = await this.policy.fields(actor, form);
      let header: SheetRow | undefined;
      try {
        const rows = readRows(file.path, file.kind);
        header = (await rows.next()).value || undefined;
        await rows.return(undefined);
      } catch {
        throw new AppError('bad_request', msg('无法读取文件：不是 CSV 或 XLSX 表格', 'Cannot read the file: not a CSV or XLSX table'));
      }
      if (!header) throw new AppError('bad_request', msg('文件中没有表头行', 'The file has no header row'));
      const mapping = mapHeaders(form, header.cells, access, opts.mapping);
      const id = crypto.randomUUID();
      const now = nowIso();
      const mode = opts.mode ?? 'all_or_nothing';
      const dryRun = !!opts.dryRun;
      await this.db.knex('fw_imports').insert({
        id, form: form.key, created_by: actor.userId, status: 'queued', phase: null, dry_run: dryRun, mode,
        file_name: opts.fileName?.slice(0, 255) ?? null, file_kind: file.kind, file_size: file.size, total: null, processed: 0, created: 0,
        failed_rows: 0, error_count: 0, errors: '[]', warnings: JSON.stringify(mapping.warnings.map(storeIssue)), mapping: JSON.stringify(mapping.mapping),
        failure: null, created_at: now, started_at: null, updated_at: now, finished_at: null,
      });
      const job: Job = {
        id, actor, form, file, dryRun, mode, access, mapping, errors: [],
        live: { status: 'queued', phase: null, total: null, processed: 0, created: 0, failedRows: 0, errorCount: 0, committed: false, updatedAt: now },
        done: Promise.resolve(),
      };
      this.jobs.set(id, job);
      job.done = this.queue = this.queue.then(() => this.run(job)).catch(() => {});
      return (await this.find(id))!;
    } catch (e) {
      await fs.promises.rm(file.path, { force: true });
      throw e;
    }
  }

  /** Resolves when the job has finished (for `?wait=1` and tests). */
  async wait(id: string): Promise<void> {
    await this.jobs.get(id)?.done;
  }

  /** The job as its creator or an administrator may see it; `not_found` for anyone else. */
  async get(actor: Actor, id: string, lang: Lang = 'zh-CN'): Promise<ImportView> {
    const row = await this.db.knex('fw_imports').where({ id }).first();
    if (!row || (!actor.isAdmin && (actor.userId == null || Number(row.created_by) !== actor.userId))) {
      throw notFound('导入任务不存在', `No import '${id.slice(0, 40)}'`);
    }
    return this.view(row, lang, true);
  }

  /** The caller's recent imports (administrators: `all` for everyone's), newest first, without their row issues. */
  async list(actor: Actor, opts: { form?: string; all?: boolean; limit?: number }, lang: Lang = 'zh-CN'): Promise<ImportView[]> {
    const q = this.db.knex('fw_imports').orderBy('created_at', 'desc').limit(Math.min(opts.limit ?? 50, 200));
    if (!(opts.all && actor.isAdmin)) q.where({ created_by: actor.userId ?? -1 });
    if (opts.form) q.where({ form: opts.form });
    return (await q).map((r: any) => this.view(r, lang, false));
  }

  /** Stop taking jobs (engine shutdown); the running one ends at its next batch. */
  close(): void {
    this.closed = true;
  }

  private async find(id: string): Promise<ImportView | null> {
    const row = await this.db.knex('fw_imports').where({ id }).first();
    return row ? this.view(row, 'zh-CN', false) : null;
  }

  private view(row: any, lang: Lang, withIssues: boolean): ImportView {
    const live = this.jobs.get(row.id)?.live;
    let status: ImportStatus = live?.status ?? row.status;
    let failure = row.failure ? JSON.parse(row.failure) : null;
    const updated = live?.updatedAt ?? row.updated_at ?? row.created_at;
    if ((status === 'queued' || status === 'running') && !live && Date.now() - Date.parse(updated) > STALE_MS) {
      status = 'failed';
      failure = { code: 'internal', message: msg('导入被中断（服务重启？）', 'The import was interrupted (the server restarted?)') };
    }
    const render = (i: StoredIssue) => ({ row: i.row, column: i.column ?? null, field: i.field ?? null, message: i.message?.[lang] ?? i.message?.en ?? '' });
    const num = (v: unknown) => (v == null ? null : Number(v));
    const out: ImportView = {
      id: row.id, form: row.form, status,
      phase: live ? live.phase : row.phase ?? null,
      dryRun: !!row.dry_run && row.dry_run !== 'false', mode: row.mode, fileName: row.file_name ?? null, fileKind: row.file_kind,
      total: live ? live.total : num(row.total),
      processed: live ? live.processed : Number(row.processed),
      created: live ? live.created : Number(row.created),
      failedRows: live ? live.failedRows : Number(row.failed_rows),
      errorCount: live ? live.errorCount : Number(row.error_count),
      committed: live ? live.committed : Number(row.created) > 0,
      mapping: row.mapping ? JSON.parse(row.mapping) : {},
      failure: failure ? { code: failure.code, message: failure.message?.[lang] ?? failure.message?.en ?? '' } : null,
      createdBy: num(row.created_by), createdAt: row.created_at, startedAt: row.started_at ?? null, finishedAt: row.finished_at ?? null,
    };
    if (withIssues) {
      const job = this.jobs.get(row.id);
      out.errors = (job ? job.errors : JSON.parse(row.errors ?? '[]')).map(render);
      out.warnings = JSON.parse(row.warnings ?? '[]').map(render);
    }
    return out;
  }

  // ---------- the run ----------

  private async run(job: Job): Promise<void> {
    const { form } = job;
    const started = nowIso();
    try {
      if (this.closed) throw new AppError('internal', msg('服务正在停止', 'The server is stopping'));
      job.live.status = 'running';
      await this.save(job, { status: 'running', started_at: started });
      // The job's own RecordService: the same write path, with the policy's answers pinned.
      const pinned = new PinnedPolicy(this.policy);
      const targets = [...new Set(form.relations.map((f) => f.relation?.form).filter((k): k is string => !!k))]
        .map((k) => this.records.forms.peek(k)).filter((f): f is CompiledForm => !!f && f.key !== form.key);
      await pinned.warm(job.actor, [form], ['create', 'import', 'read']);
      await pinned.warm(job.actor, targets, ['read']);
      const service = new RecordService(this.db, this.records.forms, pinned, this.records.query.codec);
      const converter = new RowConverter(job.mapping.columns, this.lookups(job.actor, pinned));

      if (job.dryRun || job.mode === 'all_or_nothing') {
        await this.pass(job, service, converter, 'validate');
        if (!job.dryRun && job.live.failedRows === 0) {
          job.live.phase = 'writing';
          job.live.processed = 0;
          await this.save(job, { phase: 'writing', processed: 0 });
          await this.pass(job, service, converter, 'write_all');
          job.live.committed = true;
        }
      } else {
        await this.pass(job, service, converter, 'write_valid');
        job.live.committed = job.live.created > 0;
      }
      job.live.status = 'done';
      await this.save(job, { status: 'done', finished_at: nowIso(), errors: JSON.stringify(job.errors.map(storeIssue)) });
    } catch (e) {
      const err = e instanceof AppError ? e : null;
      if (!err) this.logger?.error('import failed', { import: job.id, form: form.key, error: String((e as Error)?.message ?? e).slice(0, 500) });
      const failure = { code: err?.code ?? 'internal', message: err?.text ?? msg('导入失败', 'The import failed') };
      job.live.status = 'failed';
      job.live.created = 0;
      job.live.committed = false;
      await this.save(job, { status: 'failed', finished_at: nowIso(), created: 0, failure: JSON.stringify(failure), errors: JSON.stringify(job.errors.map(storeIssue)) }).catch(() => {});
    } finally {
      await fs.promises.rm(job.file.path, { force: true }).catch(() => {});
      // The row holds everything from now on.
      this.jobs.delete(job.id);
    }
  }

  /**
   * One pass over the file. `validate`: batch transactions rolled back. `write_valid`: batch
   * transactions committed, a savepoint per row. `write_all`: one transaction for every row.
   */
  private async pass(job: Job, service: RecordService, converter: RowConverter, kind: 'validate' | 'write_valid' | 'write_all'): Promise<void> {
    const { actor, form } = job;
    const headers = new Map(job.mapping.columns.map((c) => [c.field.key, c.header]));
    const uniques = form.uniques.filter((f) => f.type !== 'autonumber' && headers.has(f.key));
    const seen = new Map<string, Map<string, number>>(uniques.map((f) => [f.key, new Map()]));
    const sqliteOneTrx = kind === 'write_all' && this.db.dialect === 'sqlite';

    const runBatch = async (trx: Knex.Transaction, batch: SheetRow[]) => {
      const converted = await converter.convert(trx, batch);
      let created = 0;
      let failed = 0;
      for (const r of converted) {
        let issues = r.issues;
        if (!issues.length && kind === 'validate') issues = this.duplicateIssues(r.row, r.input, uniques, seen, headers);
        if (!issues.length) {
          try {
            if (kind === 'write_all') await service.createIn(trx, actor, form.key, r.input);
            else await savepoint(trx, () => service.createIn(trx, actor, form.key, r.input));
            created++;
            if (kind === 'validate') this.remember(r.row, r.input, uniques, seen);
          } catch (e) {
            if (kind === 'write_all') throw e;
            issues = issuesOf(e, r.row, form, headers, this.logger);
          }
        }
        if (issues.length) {
          failed++;
          job.live.errorCount += issues.length;
          for (const i of issues) if (job.errors.length < MAX_STORED_ERRORS) job.errors.push(toStored(i));
        }
      }
      return { created, failed };
    };

    const afterBatch = async (n: number, res: { created: number; failed: number }, persist: boolean) => {
      job.live.processed += n;
      job.live.failedRows += kind === 'write_all' ? 0 : res.failed;
      if (kind !== 'validate') job.live.created += res.created;
      job.live.updatedAt = nowIso();
      if (persist) await this.save(job, {});
    };

    const rows = readRows(job.file.path, job.file.kind);
    await rows.next(); // the header
    let total = 0;
    const batches = async function* (): AsyncGenerator<SheetRow[]> {
      let batch: SheetRow[] = [];
      for await (const r of rows) {
        total++;
        batch.push(r);
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    };

    if (kind === 'write_all') {
      try {
        await this.db.knex.transaction(async (trx) => {
          for await (const batch of batches()) {
            if (this.closed) throw new AppError('internal', msg('服务正在停止', 'The server is stopping'));
            const res = await runBatch(trx, batch);
            // PostgreSQL: other connections may record the progress; SQLite's one connection is ours.
            await afterBatch(batch.length, res, !sqliteOneTrx);
          }
        });
      } catch (e) {
        const mapped = mapDbError(e, form);
        if (mapped instanceof AppError) throw mapped;
        throw e;
      }
    } else {
      for await (const batch of batches()) {
        if (this.closed) throw new AppError('internal', msg('服务正在停止', 'The server is stopping'));
        let res = { created: 0, failed: 0 };
        try {
          await this.db.knex.transaction(async (trx) => {
            res = await runBatch(trx, batch);
            if (kind === 'validate') throw new Rollback();
          });
        } catch (e) {
          if (!(e instanceof Rollback)) throw e;
        }
        await afterBatch(batch.length, res, true);
      }
    }
    job.live.total = total;
    await this.save(job, { total });
  }

  /** A unique value already used by an earlier row of the file (the validation pass rolls each batch back, so the index cannot tell). */
  private duplicateIssues(row: number, input: Record<string, unknown>, uniques: FieldDef[], seen: Map<string, Map<string, number>>, headers: Map<string, string>): RowIssue[] {
    const out: RowIssue[] = [];
    for (const f of uniques) {
      const v = input[f.key];
      if (v == null || v === '') continue;
      const first = seen.get(f.key)!.get(String(toColumnValue(f, v)));
      if (first !== undefined) {
        out.push({ row, column: headers.get(f.key) ?? null, field: f.key, message: msg(`与第 ${first} 行重复`, `Same value as row ${first}`) });
      }
    }
    return out;
  }

  private remember(row: number, input: Record<string, unknown>, uniques: FieldDef[], seen: Map<string, Map<string, number>>): void {
    for (const f of uniques) {
      const v = input[f.key];
      if (v != null && v !== '') seen.get(f.key)!.set(String(toColumnValue(f, v)), row);
    }
  }

  private async save(job: Job, extra: Record<string, unknown>): Promise<void> {
    const l = job.live;
    await this.db.knex('fw_imports').where({ id: job.id }).update({
      processed: l.processed, created: l.created, failed_rows: l.failedRows, error_count: l.errorCount, updated_at: nowIso(), ...extra,
    });
  }

  /** Reference look-ups within the importing user's read scope of the target forms. */
  private lookups(actor: Actor, pinned: PinnedPolicy): RefLookup {
    const records = this.records;
    const byIdOrName = async (trx: Knex, table: string, names: string[], texts: string[]) => {
      const out = new Map<string, number[]>();
      const ids = texts.filter((t) => /^\d{1,15}$/.test(t)).map(Number);
      const q = trx(table).select('id', ...names).where((w) => {
        for (const n of names) w.orWhereIn(n, texts);
        if (ids.length) w.orWhereIn('id', ids);
      });
      const rows = await q;
      for (const t of texts) {
        // The first name that matches wins (a username over a display name).
        let hit: number[] = [];
        for (const n of [...names, 'id']) {
          hit = rows.filter((r: any) => String(r[n]) === t).map((r: any) => Number(r.id));
          if (hit.length) break;
        }
        out.set(t, [...new Set(hit)]);
      }
      return out;
    };
    return {
      async relation(trx, f, texts) {
        const out = new Map<string, number[]>();
        const target = records.forms.peek(f.relation!.form);
        if (!target || !(await pinned.can(actor, target, 'read'))) return out;
        const access = await pinned.fields(actor, target);
        const scope: ReadScope = { rows: await pinned.rowScope(actor, target, 'read'), fields: access.visible, masked: access.masked, vars: actorVars(actor) };
        const keys: string[] = [];
        const title = f.relation!.displayField ?? target.def.titleField;
        if (title) keys.push(title);
        for (const u of target.uniques) if (!keys.includes(u.key)) keys.push(u.key);
        let left = texts;
        for (const key of keys) {
          const tf = target.byKey.get(key);
          if (!tf || !left.length || !isTextColumn(tf)) continue;
          const found = await records.query.idsByValue(target, key, left, scope, trx);
          for (const t of left) {
            const ids = [...new Set(found.filter((r) => String(r.value) === t).map((r) => r.id))];
            if (ids.length) out.set(t, ids);
          }
          left = left.filter((t) => !out.has(t));
        }
        return out;
      },
      users: (trx, texts) => byIdOrName(trx, 'fw_users', ['username', 'display_name'], texts),
      departments: (trx, texts) => byIdOrName(trx, 'fw_departments', ['key', 'name'], texts),
    };
  }
}

/**
 * A savepoint around one row, in plain SQL on the batch transaction: knex's nested
 * `trx.transaction()` builds a whole transaction object per call, which cost more than the
 * row's own statements. A failed row rolls back to the savepoint (PostgreSQL's transaction
 * stays usable; SQLite drops the row's partial writes).
 */
async function savepoint<T>(trx: Knex.Transaction, fn: () => Promise<T>): Promise<T> {
  await trx.raw('savepoint fw_import_row');
  try {
    const out = await fn();
    await trx.raw('release savepoint fw_import_row');
    return out;
  } catch (e) {
    await trx.raw('rollback to savepoint fw_import_row');
    await trx.raw('release savepoint fw_import_row');
    throw e;
  }
}

function isTextColumn(f: FieldDef): boolean {
  const k = columnKind(f);
  return k === 'string' || k === 'text';
}

function toStored(i: RowIssue): StoredIssue {
  return { row: i.row, column: i.column ?? null, field: i.field ?? null, message: i.message };
}

function storeIssue(i: RowIssue | StoredIssue): StoredIssue {
  return toStored(i as RowIssue);
}

/** A failed create as row issues: one per field message, or one for the row. */
function issuesOf(e: unknown, row: number, form: CompiledForm, headers: Map<string, string>, logger?: Logger): RowIssue[] {
  const err = mapDbError(e, form);
  if (err instanceof AppError) {
    if (err.fields && Object.keys(err.fields).length) {
      const out: RowIssue[] = [];
      for (const [key, msgs] of Object.entries(err.fields)) {
        const top = key.split('.')[0]!;
        for (const m of msgs) out.push({ row, column: headers.get(top) ?? null, field: key, message: m });
      }
      return out;
    }
    return [{ row, column: null, field: null, message: err.text }];
  }
  logger?.error('import row failed', { form: form.key, row, error: String((e as Error)?.message ?? e).slice(0, 300) });
  return [{ row, column: null, field: null, message: msg('此行无法写入', 'The row could not be written') }];
}
