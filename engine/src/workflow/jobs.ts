/**
 * The durable job queue: every timer, due time, reminder, notification and webhook of the
 * workflow engine is a row of `fw_jobs` (ARCHITECTURE.md decision 5).
 *
 * Life of a job
 *
 *   enqueue (inside the caller's transaction: a job exists iff its cause committed)
 *     → pending ──claim──→ running ──handler ok──→ done
 *          ↑                  │ handler threw: attempts < max_attempts → pending again, run_at = now + backoff
 *          │                  │ handler threw: attempts = max_attempts (or JobError permanent) → failed
 *          │                  │ handler returned { retryAt } → pending at retryAt (a deferral: no attempt spent)
 *          │                  └ lease expired (the worker crashed or hung) → claimable again by anyone
 *     cancel(key): pending → cancelled;  retry(id): failed → pending
 *
 * Claiming. A claim sets status running, locked_by = this worker, lease_until = now + leaseMs
 * and attempts + 1, for jobs that are pending and due, or running with an expired lease (a
 * crashed worker's job). PostgreSQL: `select … for update skip locked limit N` and the update in
 * one short transaction, so concurrent workers never claim the same row. SQLite: one
 * `update … where id in (select … limit N) returning *` statement (atomic; SQLite has one writer).
 * A claim is identified by (locked_by, attempts): every later write of the worker about that job
 * is a compare-and-set on it, so a worker that lost its lease changes nothing.
 *
 * Delivery semantics
 *  - Internal handlers (the default) get a transaction; the same transaction marks the job done
 *    by compare-and-set on the claim (`update fw_jobs set status='done' where id=? and
 *    status='running' and locked_by=? and attempts=?`). If 0 rows change the lease was lost (it
 *    expired and another worker claimed the job): the transaction is rolled back, handler effects
 *    included. Since done is terminal and only ever committed together with the handler's
 *    effects, a job's DATABASE effects happen EXACTLY ONCE, even if the handler body runs more
 *    than once (after a crash or a lease loss). Handlers must write only through that
 *    transaction (on SQLite the pool has ONE connection: a query through `db.knex` while the
 *    transaction is open waits for it forever), and must not do non-transactional side effects.
 *  - External handlers (`register(kind, h, { external: true })`: e-mail, webhooks) get
 *    `trx = null`, run outside any transaction, and the job is marked done afterwards. The lease
 *    is extended while they run (heartbeat), but a crash between the side effect and the done
 *    mark, or a lost lease, repeats it: AT-LEAST-ONCE. Receivers should deduplicate (send the
 *    job id / idempotency key along, e.g. as an `Idempotency-Key` header).
 *
 * Times are ISO 8601 UTC strings (`Date#toISOString`, fixed width, so they compare as strings)
 * taken from this process's clock: hosts of a cluster must keep their clocks in sync (NTP) to
 * well within `leaseMs`.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';

export type JobStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'running', 'done', 'failed', 'cancelled'];

/** A claimed job as its handler sees it. */
export interface Job {
  id: number;
  kind: string;
  /** When it was due (ISO 8601 UTC). */
  runAt: string;
  payload: unknown;
  key: string | null;
  /** 1 on the first run; counts claims (a crashed run counts too). */
  attempts: number;
  maxAttempts: number;
  /** The worker that holds the claim. */
  lockedBy: string;
  leaseUntil: string;
  createdAt: string;
  lastError: string | null;
}

/**
 * Internal handlers get the transaction that also marks the job done (write through it only);
 * external handlers get null. Return `{ retryAt }` to run the job again at that time instead of
 * finishing it (a deferral: the effects of this run commit, no attempt is spent).
 */
export type JobHandler = (job: Job, trx: Knex.Transaction | null) => Promise<void | { retryAt?: Date }>;

export interface RegisterOptions {
  /** Runs outside a transaction, done marked afterwards: at-least-once (e-mail, webhooks). */
  external?: boolean;
}

export interface EnqueueJob {
  /** A registered kind, at most 48 characters. */
  kind: string;
  /** When it is due; default now. */
  runAt?: string | Date;
  /** JSON; do not put secrets here (it is a stored row). */
  payload?: unknown;
  /** Idempotency key (≤ 255 characters): a second enqueue with the same key (whatever the first job's status) is a no-op. */
  key?: string | null;
  /** Default 5. */
  maxAttempts?: number;
}

/** Throw it from a handler to choose the next attempt's time, or to fail without retrying. */
export class JobError extends Error {
  readonly retryAt?: Date;
  readonly permanent: boolean;
  constructor(message: string, opts: { retryAt?: Date; permanent?: boolean } = {}) {
    super(message);
    this.name = 'JobError';
    this.retryAt = opts.retryAt;
    this.permanent = opts.permanent ?? false;
  }
}

/** Thrown inside an internal handler's transaction when the claim was lost (rolls it back). */
export class LeaseLostError extends Error {
  constructor(readonly jobId: number) {
    super(`job ${jobId}: lease lost (another worker claimed it); effects rolled back`);
    this.name = 'LeaseLostError';
  }
}

export interface JobLogger {
  debug(m: string, f?: Record<string, unknown>): void;
  info(m: string, f?: Record<string, unknown>): void;
  warn(m: string, f?: Record<string, unknown>): void;
  error(m: string, f?: Record<string, unknown>): void;
}

export interface JobQueueOptions {
  /** Identifies this process in `locked_by`; default host:pid:random. */
  workerId?: string;
  /** How long a claim lasts before another worker may take the job over. Default 30 000. */
  leaseMs?: number;
  /** Jobs claimed per `runDue`. Default 20. */
  batch?: number;
  /** Handlers run at once within a batch. Default 1 (sequential). */
  concurrency?: number;
  /**
   * PostgreSQL: the pool internal handlers' transactions run on, whose sessions commit without
   * waiting for the disk (store/connection.ts openAsyncCommitPool). Default: the database's pool,
   * each transaction setting that itself.
   */
  asyncCommitPool?: Knex;
  /** First retry delay; doubles per attempt. Default 5 000. */
  backoffMs?: number;
  /** Longest retry delay. Default one hour. */
  maxBackoffMs?: number;
  logger?: JobLogger;
  /** The clock (tests). */
  now?: () => Date;
}

/** What `execute` did with a claimed job. */
export type JobOutcome = 'done' | 'deferred' | 'retry' | 'failed' | 'lost' | 'released';

const TABLE = 'fw_jobs';
const MAX_ERROR = 2000;
const MAX_KEY = 255;
const DEFAULT_MAX_ATTEMPTS = 5;

/** Retry delay after the `attempts`-th failed attempt: base × 2^(attempts-1), capped, ±20 % jitter. */
export function backoffDelay(attempts: number, baseMs = 5000, capMs = 3_600_000, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(attempts - 1, 0), 30);
  const raw = Math.min(capMs, baseMs * 2 ** exp);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

function toIso(v: string | Date, what: string): string {
  const d = v instanceof Date ? v : new Date(v);
  const t = d.getTime();
  // Years 1970..9999 keep toISOString fixed-width, so ISO strings compare as times.
  if (!Number.isFinite(t) || t < 0 || t > 253402300799999) throw new Error(`job ${what} is not a valid time: ${String(v)}`);
  return d.toISOString();
}

/** The message of a thrown value for `last_error` and logs: truncated, credentials in URLs masked. */
export function errorText(e: unknown): string {
  let s: string;
  if (e instanceof Error) s = e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  else {
    try {
      s = typeof e === 'string' ? e : JSON.stringify(e) ?? String(e);
    } catch {
      s = String(e);
    }
  }
  s = s.replace(/\/\/([^:/@\s]+):([^@\s]*)@/g, '//$1:***@');
  return s.length > MAX_ERROR ? s.slice(0, MAX_ERROR - 1) + '…' : s;
}

function rowToJob(r: any): Job {
  let payload: unknown = null;
  try {
    payload = r.payload == null ? null : JSON.parse(r.payload);
  } catch {
    payload = r.payload;
  }
  return {
    id: Number(r.id),
    kind: r.kind,
    runAt: r.run_at,
    payload,
    key: r.idempotency_key ?? null,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    lockedBy: r.locked_by,
    leaseUntil: r.lease_until,
    createdAt: r.created_at,
    lastError: r.last_error ?? null,
  };
}

const silent: JobLogger = { debug() {}, info() {}, warn() {}, error() {} };
const stderrLogger: JobLogger = {
  debug() {},
  info() {},
  warn: (m, f) => process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level: 'warn', msg: m, ...f }) + '\n'),
  error: (m, f) => process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level: 'error', msg: m, ...f }) + '\n'),
};
export const silentJobLogger = silent;

interface Registered {
  handler: JobHandler;
  external: boolean;
}

export class JobQueue {
  readonly workerId: string;
  readonly leaseMs: number;
  readonly batch: number;
  /** Lanes a claimed batch runs in at once (groups of internal jobs, or single jobs; see runDue). */
  readonly concurrency: number;
  readonly asyncCommitPool: Knex | undefined;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: JobLogger;
  private readonly now: () => Date;
  private readonly handlers = new Map<string, Registered>();

  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopping = false;
  private current: Promise<unknown> | null = null;
  private generation = 0;

  constructor(private readonly db: Db, opts: JobQueueOptions = {}) {
    this.workerId = (opts.workerId ?? `${os.hostname().slice(0, 60)}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`).slice(0, 128);
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.batch = Math.max(1, opts.batch ?? 20);
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.asyncCommitPool = db.dialect === 'pg' ? opts.asyncCommitPool : undefined;
    this.backoffMs = opts.backoffMs ?? 5000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 3_600_000;
    this.log = opts.logger ?? stderrLogger;
    this.now = opts.now ?? (() => new Date());
    if (!(this.leaseMs > 0)) throw new Error('leaseMs must be positive');
  }

  // ---------- producing ----------

  /**
   * Add a job inside the caller's transaction (it exists iff that transaction commits). With a
   * `key`, a second enqueue of the same key is a no-op returning null, whatever became of the
   * first job (the key names the cause, e.g. "this timer of this token").
   */
  async enqueue(trx: Knex, job: EnqueueJob): Promise<number | null> {
    if (typeof job.kind !== 'string' || !job.kind || job.kind.length > 48) throw new Error(`job kind must be 1..48 characters: ${String(job.kind)}`);
    const key = job.key ?? undefined;
    if (key !== undefined && (typeof key !== 'string' || !key || key.length > MAX_KEY)) throw new Error(`job key must be 1..${MAX_KEY} characters`);
    const maxAttempts = job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) throw new Error(`job maxAttempts must be an integer 1..1000: ${maxAttempts}`);
    const now = this.now().toISOString();
    const row = {
      kind: job.kind,
      run_at: job.runAt === undefined ? now : toIso(job.runAt, 'runAt'),
      status: 'pending',
      payload: JSON.stringify(job.payload ?? null),
      idempotency_key: key ?? null,
      attempts: 0,
      max_attempts: maxAttempts,
      created_at: now,
    };
    const q = trx(TABLE).insert(row);
    const rows: any[] = key !== undefined ? await q.onConflict('idempotency_key').ignore().returning('id') : await q.returning('id');
    if (!rows.length) return null;
    const r = rows[0];
    return Number(typeof r === 'object' ? r.id : r);
  }

  /** Cancel the pending job of this key. False if there is none (unknown, running, finished). */
  async cancel(trx: Knex, key: string): Promise<boolean> {
    const n = await trx(TABLE).where({ idempotency_key: key, status: 'pending' }).update({ status: 'cancelled', done_at: this.now().toISOString() });
    return n > 0;
  }

  /** Move the pending job of this key to another time. False if there is none pending. */
  async reschedule(trx: Knex, key: string, runAt: string | Date): Promise<boolean> {
    const n = await trx(TABLE).where({ idempotency_key: key, status: 'pending' }).update({ run_at: toIso(runAt, 'runAt') });
    return n > 0;
  }

  /** Put a failed job back to pending, due now, with a fresh attempt budget ("retry failed runs"). */
  async retry(id: number, trx: Knex = this.db.knex): Promise<boolean> {
    const n = await trx(TABLE)
      .where({ id, status: 'failed' })
      .update({ status: 'pending', run_at: this.now().toISOString(), attempts: 0, locked_by: null, lease_until: null, done_at: null });
    return n > 0;
  }

  /** Job counts by status (every status present, 0 when none). */
  async stats(trx: Knex = this.db.knex): Promise<Record<JobStatus, number>> {
    const rows: any[] = await trx(TABLE).select('status').count({ n: '*' }).groupBy('status');
    const out = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of rows) if ((JOB_STATUSES as readonly string[]).includes(r.status)) out[r.status as JobStatus] = Number(r.n);
    return out;
  }

  // ---------- consuming ----------

  register(kind: string, handler: JobHandler, opts: RegisterOptions = {}): void {
    if (this.handlers.has(kind)) throw new Error(`job kind "${kind}" is already registered`);
    this.handlers.set(kind, { handler, external: !!opts.external });
  }

  /** Claim up to `limit` due jobs (pending and due, or running with an expired lease), oldest due first. */
  async claim(limit: number = this.batch): Promise<Job[]> {
    limit = Math.max(1, Math.floor(limit));
    const nowD = this.now();
    const now = nowD.toISOString();
    const lease = new Date(nowD.getTime() + this.leaseMs).toISOString();
    const set = (k: Knex) => ({ status: 'running', locked_by: this.workerId, lease_until: lease, attempts: k.raw('attempts + 1') });
    // Two index ranges instead of one OR (which no index serves): claims whose lease expired (their
    // worker died) first, then pending jobs that are due, oldest first.
    const expired = (k: Knex) =>
      k(TABLE).select('id').where({ status: 'running' }).andWhere('lease_until', '<', now).orderBy([{ column: 'lease_until' }, { column: 'id' }]);
    const pending = (k: Knex) =>
      k(TABLE).select('id').where({ status: 'pending' }).andWhere('run_at', '<=', now).orderBy([{ column: 'run_at' }, { column: 'id' }]);
    let rows: any[];
    if (this.db.dialect === 'pg') {
      rows = await this.db.knex.transaction(async (trx) => {
        const ids = (await expired(trx).limit(limit).forUpdate().skipLocked()).map((r: any) => r.id);
        if (ids.length < limit) ids.push(...(await pending(trx).limit(limit - ids.length).forUpdate().skipLocked()).map((r: any) => r.id));
        if (!ids.length) return [];
        return trx(TABLE).whereIn('id', ids).update(set(trx)).returning('*');
      });
    } else {
      // One statement (SQLite runs one writer at a time): the two ranges, at most `limit` in all.
      const k = this.db.knex;
      const both = k
        .select('id')
        .from(k.select('id').from(expired(k).limit(limit).as('e')).unionAll(k.select('id').from(pending(k).limit(limit).as('p'))).as('u'))
        .limit(limit);
      rows = await k(TABLE).whereIn('id', both).update(set(k)).returning('*');
    }
    return rows.map(rowToJob).sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : a.id - b.id));
  }

  /**
   * Claim due jobs and run them; returns how many were claimed. Never throws for a handler's error.
   *
   * The internal jobs of a batch whose claims are fresh run in groups (one per concurrent worker),
   * each group in ONE transaction that ends with one compare-and-set marking all of them done:
   * the bookkeeping of a job costs a share of a transaction instead of a transaction of its own.
   * If any handler of a group throws, or any claim was lost, the group's transaction rolls back
   * (nothing of it happened) and its jobs run again one by one, each in its own transaction as
   * before — where the failing one fails alone. Internal handlers may run more than once by
   * contract (their database effects happen once), so the second run is safe.
   */
  async runDue(limit: number = this.batch): Promise<number> {
    const jobs = await this.claim(limit);
    if (!jobs.length) return 0;
    const grouped: Job[] = [];
    const single: Job[] = [];
    for (const job of jobs) (this.groupable(job) ? grouped : single).push(job);
    const lanes = Math.min(this.concurrency, jobs.length);
    // Groups of about equal size, in due order, one per lane; single jobs share the lanes after them.
    const size = Math.ceil(grouped.length / lanes) || 1;
    const units: Array<() => Promise<unknown>> = [];
    for (let i = 0; i < grouped.length; i += size) {
      const group = grouped.slice(i, i + size);
      units.push(() => (group.length > 1 ? this.runGroup(group) : this.execute(group[0]!)));
    }
    for (const job of single) units.push(() => this.execute(job));
    let next = 0;
    const worker = async () => {
      while (next < units.length) {
        const unit = units[next++]!;
        try {
          await unit();
        } catch (e) {
          // execute handles handler errors; this is the database failing under us.
          this.log.error('job bookkeeping failed', { error: errorText(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, units.length) }, worker));
    return jobs.length;
  }

  /** A job that can share a transaction: internal, known, not given up on, its claim fresh. */
  private groupable(job: Job): boolean {
    const reg = this.handlers.get(job.kind);
    return !!reg && !reg.external && job.attempts <= job.maxAttempts && this.isFresh(job);
  }

  private isFresh(job: Job): boolean {
    return Date.parse(job.leaseUntil) - this.now().getTime() > this.leaseMs / 2;
  }

  /** Internal jobs in one transaction (see runDue); on any error, each again on its own. */
  private async runGroup(group: Job[]): Promise<void> {
    let started = 0;
    try {
      await (this.asyncCommitPool ?? this.db.knex).transaction(async (trx) => {
        if (this.db.dialect === 'pg' && !this.asyncCommitPool) await trx.raw('SET LOCAL synchronous_commit = off');
        const done: Job[] = [];
        started = 0;
        for (const job of group) {
          // Stopping: the jobs run so far commit; the others are given back below (execute).
          if (this.stopping) break;
          started++;
          const result = await this.handlers.get(job.kind)!.handler(job, trx);
          // A deferral writes its own row; the rest are marked done together below.
          if (result && result.retryAt) {
            const n = await this.claimed(trx(TABLE), job).update(this.finishUpdate(trx, result));
            if (n !== 1) throw new LeaseLostError(job.id);
          } else done.push(job);
        }
        if (!done.length) return;
        const n = await trx(TABLE)
          .whereIn(['id', 'attempts'], done.map((j) => [j.id, j.attempts]))
          .where({ status: 'running', locked_by: this.workerId })
          .update(this.finishUpdate(trx, undefined));
        if (n !== done.length) throw new LeaseLostError(done[0]!.id);
      });
    } catch (e) {
      this.log.debug('a group of jobs rolled back; running them one by one', { jobs: group.map((j) => j.id), error: errorText(e) });
      started = 0;
    }
    for (const job of group.slice(started)) await this.execute(job);
  }

  /** Run one job this worker claimed (`claim`) and record the outcome. */
  async execute(job: Job): Promise<JobOutcome> {
    if (this.stopping) return (await this.release(job)) ? 'released' : 'lost';
    // A job claimed by a previous life of this claim (lease expired too often: the workers running it died).
    if (job.attempts > job.maxAttempts) {
      const err = new Error(`the job's lease expired ${job.attempts - 1} times (its workers stopped or hung); giving up`);
      return this.recordFailure(job, err, true);
    }
    const reg = this.handlers.get(job.kind);
    if (!reg) {
      const known = [...this.handlers.keys()].sort().join(', ') || 'none';
      return this.recordFailure(job, new Error(`no handler registered for job kind "${job.kind}" (this worker knows: ${known})`));
    }
    // Renew the lease before starting (later jobs of a batch wait for the earlier ones), which
    // also finds a claim another worker took over. An internal job whose claim is fresh starts at
    // once: the compare-and-set that ends its transaction is the real guard (a takeover rolls its
    // effects back). An external one (e-mail, webhooks: effects outside the database) always checks.
    if ((reg.external || !this.isFresh(job)) && !(await this.extendLease(job))) {
      this.log.warn('job lease lost before it started', { job: job.id, kind: job.kind });
      return 'lost';
    }
    return reg.external ? this.runExternal(job, reg.handler) : this.runInternal(job, reg.handler);
  }

  private claimed(q: Knex.QueryBuilder, job: Job): Knex.QueryBuilder {
    return q.where({ id: job.id, status: 'running', locked_by: this.workerId, attempts: job.attempts });
  }

  private async extendLease(job: Job): Promise<boolean> {
    const lease = new Date(this.now().getTime() + this.leaseMs).toISOString();
    const n = await this.claimed(this.db.knex(TABLE), job).update({ lease_until: lease });
    if (n) job.leaseUntil = lease;
    return n > 0;
  }

  /** Give a claimed job back unstarted (stopping): pending again, the attempt not spent. */
  private async release(job: Job): Promise<boolean> {
    const n = await this.claimed(this.db.knex(TABLE), job).update({ status: 'pending', locked_by: null, lease_until: null, attempts: job.attempts - 1 });
    return n > 0;
  }

  /** The compare-and-set that ends a successful run: done, or pending again at `retryAt` (a deferral). */
  private finishUpdate(k: Knex, result: void | { retryAt?: Date }): Record<string, unknown> {
    const now = this.now().toISOString();
    if (result && result.retryAt) {
      return { status: 'pending', run_at: toIso(result.retryAt, 'retryAt'), locked_by: null, lease_until: null, attempts: k.raw('attempts - 1') };
    }
    return { status: 'done', done_at: now, lease_until: null };
  }

  private async runInternal(job: Job, handler: JobHandler): Promise<JobOutcome> {
    let deferred = false;
    try {
      await (this.asyncCommitPool ?? this.db.knex).transaction(async (trx) => {
        // The job's effects and its done mark commit together or not at all, so this commit need
        // not wait for the disk: a crash right after it loses both, and the job simply runs again
        // (exactly once still). PostgreSQL only; nothing a user was told depends on it.
        if (this.db.dialect === 'pg' && !this.asyncCommitPool) await trx.raw('SET LOCAL synchronous_commit = off');
        const result = await handler(job, trx);
        deferred = !!(result && result.retryAt);
        const n = await this.claimed(trx(TABLE), job).update(this.finishUpdate(trx, result));
        if (n !== 1) throw new LeaseLostError(job.id);
      });
    } catch (e) {
      if (e instanceof LeaseLostError) {
        this.log.warn('job lease lost; its effects were rolled back', { job: job.id, kind: job.kind, attempt: job.attempts });
        return 'lost';
      }
      return this.recordFailure(job, e);
    }
    return deferred ? 'deferred' : 'done';
  }

  private async runExternal(job: Job, handler: JobHandler): Promise<JobOutcome> {
    // Keep the lease while the side effect runs, so nobody else starts it meanwhile. (No
    // transaction is open here, so these queries may use the pool even on SQLite.)
    const beat = setInterval(() => {
      this.extendLease(job).catch((e) => this.log.warn('job lease renewal failed', { job: job.id, error: errorText(e) }));
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    beat.unref?.();
    let result: void | { retryAt?: Date };
    try {
      result = await handler(job, null);
    } catch (e) {
      clearInterval(beat);
      return this.recordFailure(job, e);
    }
    clearInterval(beat);
    const k = this.db.knex;
    const n = await this.claimed(k(TABLE), job).update(this.finishUpdate(k, result));
    if (n !== 1) {
      this.log.warn('external job finished after its lease was lost; it may run again (at-least-once)', { job: job.id, kind: job.kind });
      return 'lost';
    }
    return result && result.retryAt ? 'deferred' : 'done';
  }

  private async recordFailure(job: Job, e: unknown, forceFinal = false): Promise<JobOutcome> {
    const permanent = forceFinal || (e instanceof JobError && e.permanent);
    const final = permanent || job.attempts >= job.maxAttempts;
    const text = errorText(e);
    const nowD = this.now();
    const upd: Record<string, unknown> = final
      ? { status: 'failed', last_error: text, lease_until: null, done_at: nowD.toISOString() }
      : {
          status: 'pending',
          last_error: text,
          locked_by: null,
          lease_until: null,
          run_at:
            e instanceof JobError && e.retryAt
              ? toIso(e.retryAt, 'retryAt')
              : new Date(nowD.getTime() + backoffDelay(job.attempts, this.backoffMs, this.maxBackoffMs)).toISOString(),
        };
    const n = await this.claimed(this.db.knex(TABLE), job).update(upd);
    if (n !== 1) {
      this.log.warn('job failed after its lease was lost', { job: job.id, kind: job.kind, error: text });
      return 'lost';
    }
    (final ? this.log.error : this.log.warn)(final ? 'job failed' : 'job attempt failed; will retry', {
      job: job.id,
      kind: job.kind,
      attempt: job.attempts,
      maxAttempts: job.maxAttempts,
      error: text,
    });
    return final ? 'failed' : 'retry';
  }

  // ---------- the polling loop ----------

  /**
   * Poll for due jobs every `intervalMs` (at once again while batches come back full). Never
   * overlaps itself; an error is logged and the loop goes on.
   */
  start(opts: { intervalMs?: number } = {}): void {
    if (this.running) return;
    const intervalMs = opts.intervalMs ?? 1000;
    this.running = true;
    this.stopping = false;
    const gen = ++this.generation;
    const live = () => this.running && gen === this.generation;
    const tick = async () => {
      this.timer = null;
      if (!live()) return;
      // restarted while the last batch of the previous start() is still finishing: never overlap it
      if (this.current) await this.current;
      if (!live()) return;
      let full = false;
      const batch = (async () => {
        try {
          full = (await this.runDue(this.batch)) >= this.batch;
        } catch (e) {
          this.log.error('job polling failed', { error: errorText(e) });
        }
      })();
      this.current = batch;
      await batch;
      if (this.current === batch) this.current = null;
      if (live()) this.timer = setTimeout(tick, full ? 0 : intervalMs);
    };
    // Not unref'd: a started loop keeps the process alive until stop(), like setInterval.
    this.timer = setTimeout(tick, 0);
  }

  /** Stop polling; waits for the batch in flight (jobs claimed but not started are given back). Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.current) {
      this.stopping = true;
      try {
        await this.current;
      } finally {
        this.stopping = false;
      }
    }
  }

  /** True between start() and stop(). */
  get started(): boolean {
    return this.running;
  }
}
