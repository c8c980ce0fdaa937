/**
 * Scheduled backups while the server runs: taken, verified, kept or deleted by a retention rule,
 * and recorded in a manifest in the backup folder.
 *
 * The schedule is a row in the database. Each due time is one durable job (`backup.scheduled`,
 * workflow/jobs.ts) with the idempotency key `backup.scheduled:<due ISO>` and the schedule in
 * its payload (folder, interval or time of day, time zone, retention). So
 *  - with several processes on one database exactly one of them claims each due time (the
 *    job's lease; an external job: its lease is renewed while the backup runs);
 *  - after a downtime the pending job is simply late: it runs ONCE, and the next due time is
 *    the first one after max(now, its due time) — never one backup per missed period;
 *  - every engine registers the handler, so any process may take a backup; the folder must be
 *    the same path for all of them (a shared or local disk of the one host).
 * `reconcile()` (at start and every 10 minutes in a process started with a backup folder)
 * keeps exactly one pending job: it cancels pending jobs of another schedule (the flags
 * changed) or duplicates, and queues the next due time when there is none. It and the
 * handler's "queue the next" run in one transaction behind a lock (PostgreSQL advisory lock),
 * so two processes reconciling at once agree.
 *
 * Due times: `every` (e.g. 24h) — the multiples of the interval since 1970-01-01 UTC (24h is
 * 00:00 UTC each day); `at` — a time of day `HH:MM` (or a 5-field cron expression) in the
 * schedule's time zone.
 *
 * A backup: `DIR/formwork-YYYYMMDDTHHMMSSZ.sqlite|.pgdump` (backup.ts, with the row counts of its
 * own snapshot), then verified by restoring it into a scratch database (backup-verify.ts). The
 * result goes into `DIR/backups.json`; a failed backup or verification is logged at error level
 * ("BACKUP FAILED" / "BACKUP VERIFICATION FAILED") and recorded as failed.
 *
 * Retention (`planRetention`), over the verified backups of the manifest, days and ISO weeks
 * in the schedule's time zone:
 *  - daily: the newest backup of each of the `keepDaily` most recent days that have one;
 *  - weekly: among the backups older than the oldest daily one, the FIRST (oldest) backup of
 *    each of the `keepWeekly` most recent ISO weeks (a week's first backup is also the first of
 *    its days to leave the daily window, so the weekly backups never change once chosen);
 *  - the newest verified backup is always kept;
 *  - failed backups are not counted; their files are kept for inspection until they are older
 *    than the oldest kept backup;
 *  - only files the manifest lists and that are named `formwork-<time>.sqlite|.pgdump` are ever
 *    deleted: nothing else in the folder is touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { CronExpressionParser } from 'cron-parser';
import type { Db, Dialect } from './connection.js';
import { backupDatabase, maskUrls, type BackupOptions, type BackupResult } from './backup.js';
import { verifyBackup } from './backup-verify.js';
import type { Job, JobQueue } from '../workflow/jobs.js';
import type { Logger } from '../http/logger.js';

export const BACKUP_JOB = 'backup.scheduled';
export const MANIFEST = 'backups.json';
export const BACKUP_FILE = /^formwork-\d{8}T\d{6}Z(?:-\d+)?\.(?:sqlite|pgdump)$/;
const RECONCILE_MS = 10 * 60 * 1000;
const MIN_EVERY_MS = 60 * 1000;

export interface BackupScheduleConfig {
  /** The backup folder (absolute). */
  dir: string;
  /** An interval in ms: due at its multiples since the epoch. */
  every?: number;
  /** A time of day `HH:MM`, or a 5-field cron expression, in `timezone`. */
  at?: string;
  /** IANA zone for `at` and for retention's days and weeks. */
  timezone: string;
  keepDaily: number;
  keepWeekly: number;
}

export interface BackupJobPayload extends BackupScheduleConfig {
  /** The due time this job stands for (ISO). */
  due: string;
}

export interface ManifestEntry {
  /** File name inside the folder. */
  file: string;
  takenAt: string;
  /** The scheduled due time (absent for one-off backups). */
  due?: string;
  dialect: Dialect;
  schema?: string;
  bytes?: number;
  status: 'verified' | 'failed';
  /** Row counts at backup time (the backup's own snapshot). */
  sourceCounts?: Record<string, number>;
  verify?: {
    at: string;
    ms: number;
    tables: number;
    rows: number;
    counts: Record<string, number>;
    missing: string[];
    mismatched: Array<{ table: string; expected: number; actual: number | null }>;
    error?: string;
  };
  /** Why the backup or its verification failed. */
  error?: string;
}

export interface Manifest {
  version: 1;
  backups: ManifestEntry[];
}

// ---------- configuration ----------

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `24h`, `30m`, `1d12h`, `7d`, `90s` → ms. */
export function parseDuration(s: string): number {
  const t = s.trim().toLowerCase();
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) throw new Error(`invalid duration '${s}' (e.g. 24h, 30m, 1d12h)`);
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return Math.round(ms);
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** `HH:MM` → a cron expression; a 5-field cron expression as it is. */
function cronOf(at: string): string {
  const m = /^(\d{1,2}):(\d{2})$/.exec(at.trim());
  if (m) {
    const h = Number(m[1]);
    const min = Number(m[2]);
    if (h > 23 || min > 59) throw new Error(`invalid time of day '${at}' (HH:MM)`);
    return `${min} ${h} * * *`;
  }
  const cron = at.trim().split(/\s+/).join(' ');
  if (cron.split(' ').length !== 5) throw new Error(`invalid backup time '${at}' (HH:MM or a 5-field cron expression)`);
  return cron;
}

export interface BackupFlags {
  dir?: string;
  every?: string;
  at?: string;
  keepDaily?: string;
  keepWeekly?: string;
  timezone?: string;
}

function count(v: string, what: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n > 100_000) throw new Error(`invalid ${what}: ${v} (a whole number)`);
  return n;
}

/**
 * The schedule from `formwork serve` flags, else the environment (FORMWORK_BACKUP_DIR,
 * FORMWORK_BACKUP_EVERY, FORMWORK_BACKUP_AT, FORMWORK_BACKUP_KEEP_DAILY, FORMWORK_BACKUP_KEEP_WEEKLY,
 * FORMWORK_BACKUP_TZ). Null without a folder. Default: at 02:30, keep 7 daily and 4 weekly,
 * the process's time zone.
 */
export function backupConfigFrom(flags: BackupFlags, env: NodeJS.ProcessEnv = process.env): BackupScheduleConfig | null {
  const dir = flags.dir ?? env.FORMWORK_BACKUP_DIR;
  if (!dir) {
    if (flags.every || flags.at) throw new Error('--backup-every / --backup-at need --backup-dir DIR (or FORMWORK_BACKUP_DIR)');
    return null;
  }
  const every = flags.every ?? env.FORMWORK_BACKUP_EVERY;
  const at = flags.at ?? env.FORMWORK_BACKUP_AT;
  if (every && at) throw new Error('choose one of --backup-every and --backup-at');
  const timezone = flags.timezone ?? env.FORMWORK_BACKUP_TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  if (!validZone(timezone)) throw new Error(`invalid time zone '${timezone}'`);
  const cfg: BackupScheduleConfig = {
    dir: path.resolve(dir),
    timezone,
    keepDaily: count(flags.keepDaily ?? env.FORMWORK_BACKUP_KEEP_DAILY ?? '7', 'daily backups to keep'),
    keepWeekly: count(flags.keepWeekly ?? env.FORMWORK_BACKUP_KEEP_WEEKLY ?? '4', 'weekly backups to keep'),
  };
  if (every) {
    cfg.every = parseDuration(every);
    if (cfg.every < MIN_EVERY_MS) throw new Error(`backup interval ${every} is shorter than a minute`);
  } else cfg.at = at ?? '02:30';
  if (cfg.at) CronExpressionParser.parse(cronOf(cfg.at), { tz: cfg.timezone }); // throws when invalid
  return cfg;
}

/** The first due time strictly after `after`. */
export function nextDue(cfg: Pick<BackupScheduleConfig, 'every' | 'at' | 'timezone'>, after: Date): Date {
  if (cfg.every) return new Date((Math.floor(after.getTime() / cfg.every) + 1) * cfg.every);
  const it = CronExpressionParser.parse(cronOf(cfg.at ?? '02:30'), { tz: cfg.timezone, currentDate: after });
  return it.next().toDate();
}

/** The schedule's identity (two payloads with the same identity are the same schedule). */
function specOf(c: BackupScheduleConfig): string {
  return JSON.stringify([c.dir, c.every ?? null, c.at ?? null, c.timezone, c.keepDaily, c.keepWeekly]);
}

function configOf(p: BackupJobPayload): BackupScheduleConfig {
  return { dir: p.dir, every: p.every ?? undefined, at: p.at ?? undefined, timezone: p.timezone, keepDaily: p.keepDaily, keepWeekly: p.keepWeekly };
}

export function describeSchedule(c: BackupScheduleConfig): string {
  return `${c.every ? `every ${c.every / 1000}s` : `at ${c.at} ${c.timezone}`}, keep ${c.keepDaily} daily + ${c.keepWeekly} weekly, in ${c.dir}`;
}

// ---------- retention ----------

/** The calendar day `YYYY-MM-DD` of an instant in a time zone. */
export function dayOf(iso: string, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

/** The ISO week `YYYY-Www` of a day `YYYY-MM-DD`. */
export function isoWeekOf(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  const dow = (t.getUTCDay() + 6) % 7; // Monday 0
  t.setUTCDate(t.getUTCDate() - dow + 3); // the Thursday of its week decides the year
  const year = t.getUTCFullYear();
  const week = 1 + Math.floor((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export interface RetentionPlan {
  /** Kept files and why: daily, weekly, newest (newest verified, neither daily nor weekly), failed (kept for inspection). */
  keep: Map<string, 'daily' | 'weekly' | 'newest' | 'failed'>;
  /** Entries to delete (files and manifest entries). */
  remove: ManifestEntry[];
}

export function planRetention(entries: ManifestEntry[], rule: { keepDaily: number; keepWeekly: number; timezone: string }): RetentionPlan {
  const keep: RetentionPlan['keep'] = new Map();
  const byTime = (a: ManifestEntry, b: ManifestEntry) => (a.takenAt < b.takenAt ? -1 : a.takenAt > b.takenAt ? 1 : 0);
  const verified = entries.filter((e) => e.status === 'verified').sort(byTime).reverse(); // newest first
  const days = new Set<string>();
  let oldestDaily: string | null = null;
  for (const e of verified) {
    if (days.size >= rule.keepDaily) break;
    const day = dayOf(e.takenAt, rule.timezone);
    if (days.has(day)) continue;
    days.add(day);
    keep.set(e.file, 'daily');
    oldestDaily = e.takenAt;
  }
  const firstOfWeek = new Map<string, ManifestEntry>();
  for (const e of [...verified].reverse()) {
    // oldest first
    if (keep.has(e.file) || (oldestDaily !== null && e.takenAt >= oldestDaily)) continue;
    const week = isoWeekOf(dayOf(e.takenAt, rule.timezone));
    if (!firstOfWeek.has(week)) firstOfWeek.set(week, e);
  }
  const weekly = [...firstOfWeek.values()].sort(byTime).reverse().slice(0, rule.keepWeekly);
  for (const e of weekly) keep.set(e.file, 'weekly');
  if (verified[0] && !keep.has(verified[0].file)) keep.set(verified[0].file, 'newest');
  const kept = entries.filter((e) => keep.has(e.file));
  const oldestKept = kept.length ? kept.map((e) => e.takenAt).sort()[0]! : null;
  const remove: ManifestEntry[] = [];
  for (const e of entries) {
    if (keep.has(e.file)) continue;
    if (e.status === 'failed' && (oldestKept === null || e.takenAt >= oldestKept)) {
      keep.set(e.file, 'failed');
      continue;
    }
    remove.push(e);
  }
  return { keep, remove };
}

// ---------- the manifest ----------

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return { version: 1, backups: [] };
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  if (!m || !Array.isArray(m.backups)) throw new Error(`${file} is not a backup manifest`);
  return m;
}

function writeManifest(dir: string, m: Manifest): void {
  const file = path.join(dir, MANIFEST);
  const tmp = `${file}.tmp-${process.pid}`;
  m.backups.sort((a, b) => (a.takenAt < b.takenAt ? -1 : a.takenAt > b.takenAt ? 1 : 0));
  fs.writeFileSync(tmp, JSON.stringify(m, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** Read-modify-write of the manifest under a lock file (`backups.json.lock`, stale after 10 minutes). */
async function withManifest<T>(dir: string, fn: (m: Manifest) => T | Promise<T>): Promise<T> {
  const lock = path.join(dir, `${MANIFEST}.lock`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e: any) {
      if (e?.code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 10 * 60_000) fs.rmSync(lock, { force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`the backup manifest in ${dir} stays locked (${lock})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const m = readManifest(dir);
    const r = await fn(m);
    writeManifest(dir, m);
    return r;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

// ---------- the scheduler ----------

export type BackupFn = (url: string, out: string, opts: BackupOptions) => Promise<BackupResult>;

export interface BackupSchedulerOptions {
  db: Db;
  /** The job queue scheduled backups run on (without one: one-off backups only, `takeBackup`). */
  jobs?: JobQueue;
  logger: Logger;
  /** This process's schedule (null: it takes scheduled backups others queued, but queues none). */
  config?: BackupScheduleConfig | null;
  /** The clock (tests). */
  now?: () => Date;
  /** How a backup file is made (tests wrap it). */
  backup?: BackupFn;
}

export type BackupSummary = Omit<ManifestEntry, 'sourceCounts' | 'verify'> & { tables?: number; rows?: number; verifyError?: string; exists: boolean };

export interface BackupStatus {
  configured: boolean;
  schedule: string | null;
  dir: string | null;
  nextDue: string | null;
  last: BackupSummary | null;
  lastVerified: BackupSummary | null;
  /** Newest first. */
  backups: BackupSummary[];
}

/** A manifest entry without its per-table counts; `exists` whether its file is still there. */
export function summarizeBackup(dir: string | null, e: ManifestEntry): BackupSummary {
  const { sourceCounts: _s, verify, ...rest } = e;
  return {
    ...rest,
    tables: verify?.tables,
    rows: verify?.rows,
    ...(verify?.error ? { verifyError: verify.error } : {}),
    exists: !!dir && fs.existsSync(path.join(dir, e.file)),
  };
}

export class BackupScheduler {
  private readonly db: Db;
  private readonly jobs: JobQueue | null;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly backupFn: BackupFn;
  private config: BackupScheduleConfig | null;
  private timer: NodeJS.Timeout | null = null;

  constructor(o: BackupSchedulerOptions) {
    this.db = o.db;
    this.jobs = o.jobs ?? null;
    this.log = o.logger;
    this.now = o.now ?? (() => new Date());
    this.backupFn = o.backup ?? backupDatabase;
    this.config = o.config ?? null;
    this.jobs?.register(BACKUP_JOB, (job) => this.run(job), { external: true });
  }

  get schedule(): BackupScheduleConfig | null {
    return this.config;
  }

  configure(config: BackupScheduleConfig | null): void {
    this.config = config;
  }

  /** Reconcile now and every 10 minutes (only with a schedule). */
  async start(): Promise<void> {
    if (!this.config || this.timer) return;
    fs.mkdirSync(this.config.dir, { recursive: true });
    await this.reconcile();
    this.log.info('backups scheduled', { schedule: describeSchedule(this.config) });
    this.timer = setInterval(() => {
      this.reconcile().catch((e) => this.log.error('backup schedule reconcile failed', { error: maskUrls(String((e as Error)?.message ?? e)) }));
    }, RECONCILE_MS);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Serialises schedule changes across processes: an advisory lock (PostgreSQL), the write lock (SQLite). */
  private async locked<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.knex.transaction(async (trx) => {
      if (this.db.dialect === 'pg') await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`formwork.backup:${this.db.schema ?? ''}`]);
      return fn(trx);
    });
  }

  private async liveJobs(trx: Knex): Promise<Array<{ id: number; status: string; run_at: string; payload: BackupJobPayload | null }>> {
    const rows = await trx('fw_jobs').where({ kind: BACKUP_JOB }).whereIn('status', ['pending', 'running']).orderBy([{ column: 'run_at' }, { column: 'id' }]).select('id', 'status', 'run_at', 'payload');
    return rows.map((r: any) => {
      let payload: BackupJobPayload | null = null;
      try {
        payload = JSON.parse(r.payload);
      } catch {
        /* unreadable: treated as another schedule */
      }
      return { id: Number(r.id), status: r.status, run_at: r.run_at, payload };
    });
  }

  private async enqueue(trx: Knex, cfg: BackupScheduleConfig, due: Date): Promise<void> {
    const payload: BackupJobPayload = { ...cfg, due: due.toISOString() };
    const key = `${BACKUP_JOB}:${due.toISOString()}`;
    if (!this.jobs) throw new Error('no job queue: scheduled backups need an engine');
    const id = await this.jobs.enqueue(trx, { kind: BACKUP_JOB, runAt: due, payload, key, maxAttempts: 3 });
    if (id == null) {
      // This due time's job was cancelled (the schedule changed and changed back): it never ran, revive it.
      await trx('fw_jobs').where({ idempotency_key: key, status: 'cancelled' }).update({
        status: 'pending', run_at: due.toISOString(), payload: JSON.stringify(payload), attempts: 0,
        last_error: null, locked_by: null, lease_until: null, done_at: null,
      });
    }
  }

  /** Exactly one pending job for this process's schedule (see the top of the file). */
  async reconcile(): Promise<{ enqueued: boolean; cancelled: number }> {
    const cfg = this.config;
    if (!cfg || !this.jobs) return { enqueued: false, cancelled: 0 };
    const spec = specOf(cfg);
    return this.locked(async (trx) => {
      const live = await this.liveJobs(trx);
      let cancelled = 0;
      let kept = false;
      for (const j of live) {
        if (j.status !== 'pending') continue;
        if (!kept && j.payload && specOf(configOf(j.payload)) === spec) {
          kept = true;
          continue;
        }
        cancelled += await trx('fw_jobs').where({ id: j.id, status: 'pending' }).update({ status: 'cancelled', done_at: this.now().toISOString() });
      }
      const running = live.some((j) => j.status === 'running');
      let enqueued = false;
      // A running backup queues the next itself (of its own schedule; a later reconcile replaces it if that differs).
      if (!kept && !running) {
        await this.enqueue(trx, cfg, nextDue(cfg, this.now()));
        enqueued = true;
      }
      return { enqueued, cancelled };
    });
  }

  /** The job handler: take the backup of this due time, then queue the next one. Never throws. */
  private async run(job: Job): Promise<void> {
    const p = job.payload as BackupJobPayload;
    const cfg = configOf(p);
    try {
      await this.takeBackup(cfg, { due: p.due });
    } catch (e) {
      this.log.error('BACKUP FAILED', { due: p.due, dir: cfg.dir, error: maskUrls(String((e as Error)?.message ?? e)) });
    }
    try {
      const after = new Date(Math.max(this.now().getTime(), Date.parse(p.due)));
      await this.locked(async (trx) => {
        const others = (await this.liveJobs(trx)).filter((j) => j.id !== job.id && j.status === 'pending');
        if (!others.length) await this.enqueue(trx, cfg, nextDue(cfg, after));
      });
    } catch (e) {
      // The reconcile pass queues it later.
      this.log.error('could not queue the next backup', { error: maskUrls(String((e as Error)?.message ?? e)) });
    }
  }

  /**
   * One backup into the folder: made, verified, recorded in the manifest, retention applied.
   * A failure of the backup or of its verification is recorded (status failed) and logged, not thrown.
   */
  async takeBackup(cfg: Pick<BackupScheduleConfig, 'dir' | 'keepDaily' | 'keepWeekly' | 'timezone'>, opts: { due?: string } = {}): Promise<ManifestEntry> {
    fs.mkdirSync(cfg.dir, { recursive: true });
    const now = this.now();
    const ext = this.db.dialect === 'sqlite' ? 'sqlite' : 'pgdump';
    let file = `formwork-${stamp(now)}.${ext}`;
    for (let i = 2; fs.existsSync(path.join(cfg.dir, file)); i++) file = `formwork-${stamp(now)}-${i}.${ext}`;
    const full = path.join(cfg.dir, file);
    const entry: ManifestEntry = { file, takenAt: now.toISOString(), ...(opts.due ? { due: opts.due } : {}), dialect: this.db.dialect, status: 'failed' };
    try {
      const r = await this.backupFn(this.db.url, full, { schema: this.db.schema });
      entry.bytes = r.bytes;
      if (r.schema) entry.schema = r.schema;
      entry.sourceCounts = r.counts;
      const v = await verifyBackup(full, { url: this.db.url, schema: r.schema, expected: r.counts });
      entry.verify = { at: this.now().toISOString(), ms: v.ms, tables: v.tables, rows: v.rows, counts: v.counts, missing: v.missing, mismatched: v.mismatched, ...(v.error ? { error: v.error } : {}) };
      if (v.ok) {
        entry.status = 'verified';
        this.log.info('backup taken and verified', { file: full, bytes: r.bytes, tables: v.tables, rows: v.rows, ms: v.ms });
      } else {
        entry.error = v.error ?? [
          v.missing.length ? `missing tables: ${v.missing.join(', ')}` : '',
          v.mismatched.length ? `row counts differ: ${v.mismatched.map((x) => `${x.table} ${x.expected}→${x.actual}`).join(', ')}` : '',
        ].filter(Boolean).join('; ');
        this.log.error('BACKUP VERIFICATION FAILED: this backup cannot be trusted and is not counted for retention', { file: full, error: entry.error });
      }
    } catch (e) {
      entry.error = maskUrls(String((e as Error)?.message ?? e));
      this.log.error('BACKUP FAILED', { file: full, error: entry.error });
    }
    await this.applyRetention(cfg, entry);
    return entry;
  }

  /** Record `add` (if given) in the manifest and apply the retention rule. */
  async applyRetention(cfg: Pick<BackupScheduleConfig, 'dir' | 'keepDaily' | 'keepWeekly' | 'timezone'>, add?: ManifestEntry): Promise<RetentionPlan> {
    fs.mkdirSync(cfg.dir, { recursive: true });
    return withManifest(cfg.dir, (m) => {
      if (add) m.backups.push(add);
      // A verified backup whose file someone removed protects nothing: it no longer counts.
      for (const e of m.backups) {
        if (e.status === 'verified' && !fs.existsSync(path.join(cfg.dir, e.file))) {
          e.status = 'failed';
          e.error = 'the file is missing';
          this.log.warn('a recorded backup file is missing', { file: e.file });
        }
      }
      const plan = planRetention(m.backups, cfg);
      const gone = new Set<string>();
      for (const e of plan.remove) {
        // Only our own files, directly in the folder.
        if (!BACKUP_FILE.test(e.file) || path.basename(e.file) !== e.file) continue;
        try {
          fs.rmSync(path.join(cfg.dir, e.file), { force: true });
          gone.add(e.file);
        } catch (err) {
          this.log.warn('could not delete an old backup', { file: e.file, error: String((err as Error)?.message ?? err) });
        }
      }
      m.backups = m.backups.filter((e) => !gone.has(e.file));
      if (gone.size) this.log.info('old backups deleted', { dir: cfg.dir, files: [...gone] });
      return plan;
    });
  }

  /** For GET /api/admin/backups. */
  async status(): Promise<BackupStatus> {
    const cfg = this.config;
    const next = await this.db.knex('fw_jobs').where({ kind: BACKUP_JOB }).whereIn('status', ['pending', 'running']).orderBy('run_at').first('run_at', 'payload');
    let dir = cfg?.dir ?? null;
    if (!dir && next) {
      try {
        dir = (JSON.parse(next.payload) as BackupJobPayload).dir;
      } catch {
        /* none */
      }
    }
    const m = dir && fs.existsSync(path.join(dir, MANIFEST)) ? readManifest(dir) : { version: 1 as const, backups: [] };
    const newestFirst = [...m.backups].reverse().map((e) => summarizeBackup(dir, e));
    return {
      configured: !!cfg,
      schedule: cfg ? describeSchedule(cfg) : null,
      dir,
      nextDue: next?.run_at ?? null,
      last: newestFirst[0] ?? null,
      lastVerified: newestFirst.find((e) => e.status === 'verified') ?? null,
      backups: newestFirst,
    };
  }
}
