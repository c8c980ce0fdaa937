/**
 * The durable job queue (workflow/jobs.ts) on SQLite and PostgreSQL: enqueue inside the cause's
 * transaction, idempotency keys, due times, handler effects committed with the done mark
 * (exactly-once), retries with backoff, leases (crash recovery, lease loss), external handlers
 * (at-least-once), cancel/reschedule, the polling loop.
 *
 * Several real processes on one PostgreSQL database: jobs-two-processes.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Knex } from 'knex';
import { migrateSystem } from '../../src/store/system.js';
import { JobError, JobQueue, backoffDelay, errorText, type Job, type JobLogger, type JobQueueOptions } from '../../src/workflow/jobs.js';
import { DIALECTS, testDb, type TestDb } from '../helpers/db.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await cond()) return;
    if (Date.now() > end) break;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function captureLogger(): JobLogger & { lines: Array<{ level: string; m: string; f?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; m: string; f?: Record<string, unknown> }> = [];
  const at = (level: string) => (m: string, f?: Record<string, unknown>) => void lines.push({ level, m, f });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('backoffDelay / errorText (pure)', () => {
  it('doubles from the base, caps, and jitters by ±20 %', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 5000, 3_600_000, mid))).toEqual([5000, 10000, 20000, 40000]);
    expect(backoffDelay(30, 5000, 60_000, mid)).toBe(60_000);
    expect(backoffDelay(1, 5000, 3_600_000, () => 0)).toBe(4000);
    expect(backoffDelay(1, 5000, 3_600_000, () => 0.999999)).toBe(6000);
    expect(backoffDelay(500, 5000, 3_600_000, mid)).toBe(3_600_000);
  });
  it('masks credentials in URLs and truncates', () => {
    expect(errorText(new Error('connect postgres://app:s3cret@db/x failed'))).toBe('connect postgres://app:***@db/x failed');
    expect(errorText(new TypeError('x'))).toBe('TypeError: x');
    expect(errorText('x'.repeat(5000)).length).toBe(2000);
    expect(errorText({ a: 1 })).toBe('{"a":1}');
  });
});

describe.each(DIALECTS)('JobQueue on %s', (dialect) => {
  let db: TestDb;
  let clock = Date.now();
  const now = () => new Date(clock);
  let log: ReturnType<typeof captureLogger>;
  const queue = (opts: JobQueueOptions = {}) => new JobQueue(db, { logger: log, now, workerId: 'w1', ...opts });
  const job = (id: number) => db.knex('fw_jobs').where({ id }).first();
  const effects = async (): Promise<Array<{ job_id: number; worker: string }>> =>
    (await db.knex('fw_test_effects').select('job_id', 'worker').orderBy('id')).map((r: any) => ({ job_id: Number(r.job_id), worker: r.worker }));
  /** An internal handler that records its run in fw_test_effects through the job's transaction. */
  const recordEffect = (worker: string) => async (j: Job, trx: Knex.Transaction | null) => {
    await trx!('fw_test_effects').insert({ job_id: j.id, worker });
  };
  const enqueue = (q: JobQueue, j: Parameters<JobQueue['enqueue']>[1]) => db.knex.transaction((trx) => q.enqueue(trx, j));

  beforeAll(async () => {
    db = await testDb(dialect);
    await migrateSystem(db);
    await db.knex.schema.createTable('fw_test_effects', (t) => {
      t.increments('id');
      t.bigInteger('job_id').notNullable(); // no unique constraint: duplicates must show
      t.string('worker', 64);
    });
  });
  afterAll(() => db?.drop());
  beforeEach(async () => {
    clock = Date.now();
    log = captureLogger();
    await db.knex('fw_jobs').delete();
    await db.knex('fw_test_effects').delete();
  });

  it('creates fw_jobs with the (status, run_at) index', async () => {
    expect(await db.knex.schema.hasTable('fw_jobs')).toBe(true);
    for (const c of ['id', 'kind', 'run_at', 'status', 'payload', 'idempotency_key', 'attempts', 'max_attempts', 'last_error', 'locked_by', 'lease_until', 'created_at', 'done_at']) {
      expect(await db.knex.schema.hasColumn('fw_jobs', c), c).toBe(true);
    }
    const idx =
      dialect === 'pg'
        ? (await db.knex.raw(`select indexdef as d from pg_indexes where tablename = 'fw_jobs' and schemaname = current_schema()`)).rows.map((r: any) => r.d)
        : (await db.knex.raw(`select sql as d from sqlite_master where type = 'index' and tbl_name = 'fw_jobs'`)).map((r: any) => r.d);
    expect(idx.some((d: string) => d && /status.*run_at/.test(d))).toBe(true);
  });

  it('enqueues inside the caller transaction: a rollback leaves no job', async () => {
    const q = queue();
    await expect(
      db.knex.transaction(async (trx) => {
        expect(await q.enqueue(trx, { kind: 'k', payload: { a: 1 } })).toBeTypeOf('number');
        throw new Error('cause rolled back');
      }),
    ).rejects.toThrow('cause rolled back');
    expect(Number((await db.knex('fw_jobs').count({ n: '*' }).first())!.n)).toBe(0);
    const id = await enqueue(q, { kind: 'k', payload: { a: 1, s: 'ü' } });
    const row = await job(id!);
    expect(row).toMatchObject({ kind: 'k', status: 'pending', attempts: 0, max_attempts: 5, idempotency_key: null });
    expect(JSON.parse(row.payload)).toEqual({ a: 1, s: 'ü' });
    expect(row.run_at).toBe(now().toISOString());
  });

  it('validates what it enqueues', async () => {
    const q = queue();
    await expect(enqueue(q, { kind: '' })).rejects.toThrow(/kind/);
    await expect(enqueue(q, { kind: 'x'.repeat(49) })).rejects.toThrow(/kind/);
    await expect(enqueue(q, { kind: 'k', runAt: 'not a date' })).rejects.toThrow(/runAt/);
    await expect(enqueue(q, { kind: 'k', maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
    await expect(enqueue(q, { kind: 'k', key: '' })).rejects.toThrow(/key/);
  });

  it('an idempotency key makes a second enqueue a no-op returning null (also after the job ran)', async () => {
    const q = queue();
    q.register('k', recordEffect('w1'));
    const a = await enqueue(q, { kind: 'k', key: 'timer:1' });
    expect(a).toBeTypeOf('number');
    expect(await enqueue(q, { kind: 'k', key: 'timer:1', payload: 'other' })).toBeNull();
    // the same key twice inside one transaction
    await db.knex.transaction(async (trx) => {
      expect(await q.enqueue(trx, { kind: 'k', key: 'timer:2' })).toBeTypeOf('number');
      expect(await q.enqueue(trx, { kind: 'k', key: 'timer:2' })).toBeNull();
    });
    // jobs without a key never collide
    expect(await enqueue(q, { kind: 'k' })).toBeTypeOf('number');
    expect(await enqueue(q, { kind: 'k' })).toBeTypeOf('number');
    expect(await q.runDue(10)).toBe(4);
    expect(await enqueue(q, { kind: 'k', key: 'timer:1' })).toBeNull();
    expect(await q.runDue()).toBe(0);
    expect((await effects()).length).toBe(4);
    expect(await q.stats()).toEqual({ pending: 0, running: 0, done: 4, failed: 0, cancelled: 0 });
  });

  it('runs due jobs in due order and never early', async () => {
    const q = queue();
    const order: string[] = [];
    q.register('k', async (j, trx) => {
      order.push((j.payload as any).name);
      await trx!('fw_test_effects').insert({ job_id: j.id, worker: 'w1' });
    });
    const t0 = clock;
    await enqueue(q, { kind: 'k', runAt: new Date(t0 + 10_000), payload: { name: 'A' } });
    await enqueue(q, { kind: 'k', runAt: new Date(t0 + 5_000).toISOString(), payload: { name: 'B' } });
    await enqueue(q, { kind: 'k', runAt: new Date(t0 + 60_000), payload: { name: 'C' } });
    await enqueue(q, { kind: 'k', runAt: new Date(t0 - 1000), payload: { name: 'late' } });
    expect(await q.runDue()).toBe(1);
    expect(order).toEqual(['late']);
    clock = t0 + 4_999;
    expect(await q.runDue()).toBe(0);
    clock = t0 + 15_000;
    expect(await q.runDue()).toBe(2);
    expect(order).toEqual(['late', 'B', 'A']);
    clock = t0 + 60_000; // due exactly now
    expect(await q.runDue()).toBe(1);
    expect(order).toEqual(['late', 'B', 'A', 'C']);
    // the batch limit is honoured, oldest due first
    for (let i = 0; i < 5; i++) await enqueue(q, { kind: 'k', runAt: new Date(t0 + 50_000 - i * 1000), payload: { name: `n${i}` } });
    expect(await q.runDue(2)).toBe(2);
    expect(order.slice(4)).toEqual(['n4', 'n3']);
  });

  it('commits handler effects with the done mark; a throwing handler leaves nothing and is retried with backoff, then fails', async () => {
    const q = queue({ backoffMs: 5000 });
    let fail = true;
    q.register('k', async (j, trx) => {
      await trx!('fw_test_effects').insert({ job_id: j.id, worker: 'w1' });
      if (fail) throw new Error(`boom on attempt ${j.attempts} (postgres://u:pw@host/db)`);
    });
    const id = (await enqueue(q, { kind: 'k', maxAttempts: 3 }))!;
    const t0 = clock;
    expect(await q.runDue()).toBe(1);
    let row = await job(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, locked_by: null, lease_until: null });
    expect(row.last_error).toBe('boom on attempt 1 (postgres://u:***@host/db)');
    let delay = Date.parse(row.run_at) - t0;
    expect(delay).toBeGreaterThanOrEqual(4000);
    expect(delay).toBeLessThanOrEqual(6000);
    expect(await effects()).toEqual([]);
    // not before the backoff
    clock = t0 + 3999;
    expect(await q.runDue()).toBe(0);
    clock = Date.parse(row.run_at);
    expect(await q.runDue()).toBe(1);
    row = await job(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 2 });
    delay = Date.parse(row.run_at) - clock;
    expect(delay).toBeGreaterThanOrEqual(8000);
    expect(delay).toBeLessThanOrEqual(12000);
    clock = Date.parse(row.run_at);
    expect(await q.runDue()).toBe(1);
    row = await job(id);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, last_error: 'boom on attempt 3 (postgres://u:***@host/db)' });
    expect(row.done_at).toBe(now().toISOString());
    expect(await effects()).toEqual([]);
    clock += 3_600_000;
    expect(await q.runDue()).toBe(0);
    // logs carry no secrets
    expect(JSON.stringify(log.lines)).not.toContain(':pw@');
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.m)).toEqual(['job failed']);

    // retry(id): a failed job goes back to pending with a fresh budget; now it succeeds, once
    expect(await q.retry(id + 1000)).toBe(false);
    expect(await q.retry(id)).toBe(true);
    expect(await q.retry(id)).toBe(false);
    expect(await job(id)).toMatchObject({ status: 'pending', attempts: 0 });
    fail = false;
    expect(await q.runDue()).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 1, locked_by: 'w1', lease_until: null });
    expect(await effects()).toEqual([{ job_id: id, worker: 'w1' }]);
    expect(await q.retry(id)).toBe(false); // only failed jobs
  });

  it('JobError chooses the next time or fails at once; a returned retryAt defers without spending an attempt', async () => {
    const q = queue();
    const t0 = clock;
    q.register('later', async (j) => {
      throw new JobError('rate limited', { retryAt: new Date(t0 + 42_000) });
    });
    q.register('bad', async () => {
      throw new JobError('malformed payload', { permanent: true });
    });
    let polls = 0;
    q.register('poll', async (j, trx) => {
      await trx!('fw_test_effects').insert({ job_id: j.id, worker: 'w1' });
      if (++polls < 3) return { retryAt: new Date(clock + 1000) };
    });
    const later = (await enqueue(q, { kind: 'later' }))!;
    const bad = (await enqueue(q, { kind: 'bad' }))!;
    const poll = (await enqueue(q, { kind: 'poll', maxAttempts: 1 }))!;
    expect(await q.runDue()).toBe(3);
    expect(await job(later)).toMatchObject({ status: 'pending', attempts: 1, run_at: new Date(t0 + 42_000).toISOString(), last_error: 'JobError: rate limited' });
    expect(await job(bad)).toMatchObject({ status: 'failed', attempts: 1, last_error: 'JobError: malformed payload' });
    expect(await job(poll)).toMatchObject({ status: 'pending', attempts: 0, run_at: new Date(clock + 1000).toISOString(), locked_by: null });
    for (let i = 0; i < 2; i++) {
      clock += 1000;
      await q.runDue();
    }
    // maxAttempts 1, yet it ran three times: deferrals are not failures; every run's effect committed
    expect(await job(poll)).toMatchObject({ status: 'done', attempts: 1 });
    expect((await effects()).map((e) => e.job_id)).toEqual([poll, poll, poll]);
  });

  it('fails an unknown kind with a clear error', async () => {
    const q = queue();
    q.register('known', async () => {});
    const id = (await enqueue(q, { kind: 'mystery', maxAttempts: 2 }))!;
    expect(await q.runDue()).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'no handler registered for job kind "mystery" (this worker knows: known)' });
    clock += 3_600_000;
    expect(await q.runDue()).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'failed', attempts: 2 });
    expect(() => q.register('known', async () => {})).toThrow(/already registered/);
  });

  it('re-runs the job of a crashed worker once its lease expires; the effect happens once', async () => {
    const crashed = queue({ workerId: 'crashed', leaseMs: 30_000 });
    crashed.register('k', recordEffect('crashed'));
    const rescuer = queue({ workerId: 'rescuer', leaseMs: 30_000 });
    rescuer.register('k', recordEffect('rescuer'));
    const id = (await enqueue(rescuer, { kind: 'k' }))!;
    // the first worker claims it, then "dies" before running it
    const claimed = await crashed.claim();
    expect(claimed.map((j) => j.id)).toEqual([id]);
    expect(await job(id)).toMatchObject({ status: 'running', locked_by: 'crashed', attempts: 1 });
    // while the lease holds nobody else takes it
    expect(await rescuer.runDue()).toBe(0);
    // time passes: the lease expires
    await db.knex('fw_jobs').where({ id }).update({ lease_until: new Date(clock - 1).toISOString() });
    expect(await rescuer.runDue()).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'done', locked_by: 'rescuer', attempts: 2 });
    expect(await effects()).toEqual([{ job_id: id, worker: 'rescuer' }]);
    // the "dead" worker wakes up and tries to finish its claim: nothing happens
    expect(await crashed.execute(claimed[0]!)).toBe('lost');
    expect(await effects()).toEqual([{ job_id: id, worker: 'rescuer' }]);
    expect(await job(id)).toMatchObject({ status: 'done', locked_by: 'rescuer' });
  });

  it('claims expired claims first, then due jobs oldest first, never more than asked, using the claim indexes', async () => {
    const q = queue({ workerId: 'w1' });
    q.register('k', recordEffect('w1'));
    const due: number[] = [];
    for (let i = 0; i < 5; i++) due.push((await enqueue(q, { kind: 'k', runAt: new Date(clock - 10_000 + i * 1000) }))!);
    await enqueue(q, { kind: 'k', runAt: new Date(clock + 60_000) }); // not yet due
    const stuck = (await enqueue(q, { kind: 'k', runAt: new Date(clock - 1000) }))!;
    await db.knex('fw_jobs').where({ id: stuck }).update({ status: 'running', locked_by: 'dead', lease_until: new Date(clock - 1).toISOString(), attempts: 1 });
    expect((await q.claim(3)).map((j) => j.id).sort((a, b) => a - b)).toEqual([stuck, due[0], due[1]].sort((a, b) => a - b));
    expect((await q.claim(10)).map((j) => j.id)).toEqual(due.slice(2));
    expect(await q.claim(10)).toEqual([]);
    const idx =
      dialect === 'pg'
        ? (await db.knex.raw(`select indexname as d from pg_indexes where tablename = 'fw_jobs' and schemaname = current_schema()`)).rows.map((r: any) => r.d)
        : (await db.knex.raw(`select name as d from sqlite_master where type = 'index' and tbl_name = 'fw_jobs'`)).map((r: any) => r.d);
    expect(idx).toEqual(expect.arrayContaining(['fw_jobs_due', 'fw_jobs_expired']));
  });

  it('gives up on a job whose workers keep dying (lease expired more than max_attempts times)', async () => {
    const q = queue({ workerId: 'dies' });
    q.register('k', recordEffect('dies'));
    const id = (await enqueue(q, { kind: 'k', maxAttempts: 2 }))!;
    for (let i = 0; i < 2; i++) {
      expect((await q.claim()).length).toBe(1);
      await db.knex('fw_jobs').where({ id }).update({ lease_until: new Date(clock - 1).toISOString() });
    }
    expect(await q.runDue()).toBe(1);
    const row = await job(id);
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row.last_error).toMatch(/lease expired 2 times/);
    expect(await effects()).toEqual([]);
  });

  it('rolls the first worker\'s effects back when its lease was stolen before it marked the job done (CAS)', async () => {
    const first = queue({ workerId: 'first', leaseMs: 30_000 });
    const second = queue({ workerId: 'second', leaseMs: 30_000, now: () => new Date(clock + 60_000) });
    second.register('k', recordEffect('second'));
    const id = (await enqueue(first, { kind: 'k' }))!;
    let ran = 0;
    first.register('k', async (j, trx) => {
      ran++;
      await trx!('fw_test_effects').insert({ job_id: j.id, worker: 'first' });
      if (dialect === 'pg') {
        // Really concurrent: the second worker (another connection, its clock past the lease)
        // claims the job, runs it and commits while the first is still inside its transaction.
        expect(await second.runDue()).toBe(1);
      } else {
        // SQLite has one connection: nothing can interleave with an open transaction, so the
        // steal (exactly the second worker's claim) is written through this one.
        await trx!('fw_jobs').where({ id: j.id }).update({ locked_by: 'second', attempts: j.attempts + 1, lease_until: new Date(clock + 90_000).toISOString() });
      }
    });
    expect(await first.runDue()).toBe(1);
    expect(ran).toBe(1);
    expect(log.lines.some((l) => l.m === 'job lease lost; its effects were rolled back')).toBe(true);
    if (dialect === 'sqlite') {
      // the simulated steal rolled back with the rest; now the second worker really takes over
      expect(await job(id)).toMatchObject({ status: 'running', locked_by: 'first' });
      expect(await effects()).toEqual([]);
      expect(await second.runDue()).toBe(1);
    }
    expect(await effects()).toEqual([{ job_id: id, worker: 'second' }]);
    expect(await job(id)).toMatchObject({ status: 'done', locked_by: 'second', attempts: 2 });
  });

  it('does not start a claimed external job whose lease was already taken over; an internal one rolls back', async () => {
    const first = queue({ workerId: 'first' });
    const second = queue({ workerId: 'second', now: () => new Date(clock + 60_000) });
    let ran = 0;
    first.register('ext', async () => void ran++, { external: true });
    first.register('k', recordEffect('first'));
    second.register('ext', recordEffect('second'), { external: true });
    second.register('k', recordEffect('second'));
    for (const kind of ['ext', 'k']) {
      await db.knex('fw_jobs').delete();
      const id = (await enqueue(first, { kind }))!;
      const [claimed] = await first.claim();
      expect((await second.claim()).map((j) => j.id)).toEqual([id]);
      expect(await first.execute(claimed!)).toBe('lost');
      expect(await job(id)).toMatchObject({ status: 'running', locked_by: 'second', attempts: 2 });
    }
    // the external side effect never started; the internal one's effects were rolled back
    expect(ran).toBe(0);
    expect(await effects()).toEqual([]);
  });

  it('runs external handlers outside a transaction and marks them done afterwards (at-least-once)', async () => {
    const q = queue({ workerId: 'mailer' });
    const sent: Array<{ id: number; trx: unknown; attempt: number }> = [];
    let failFirst = true;
    q.register(
      'email',
      async (j, trx) => {
        sent.push({ id: j.id, trx, attempt: j.attempts });
        // outside a transaction the pool is free, even on SQLite
        expect((await db.knex('fw_jobs').where({ id: j.id }).first()).status).toBe('running');
        if (failFirst) {
          failFirst = false;
          throw new Error('smtp 421');
        }
      },
      { external: true },
    );
    const id = (await enqueue(q, { kind: 'email', payload: { to: 1 } }))!;
    expect(await q.runDue()).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'smtp 421' });
    clock += 60_000;
    expect(await q.runDue()).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 2 });
    expect(sent).toEqual([
      { id, trx: null, attempt: 1 },
      { id, trx: null, attempt: 2 },
    ]);
  });

  it('an external handler keeps its lease alive while it runs; if the lease is lost anyway it may run twice, done once', async () => {
    // heartbeat: a 600 ms lease, a 1.5 s handler, another worker polling all along gets nothing
    const slow = queue({ workerId: 'slow', leaseMs: 600, now: () => new Date() });
    const other = queue({ workerId: 'other', leaseMs: 600, now: () => new Date() });
    let calls = 0;
    const h = async () => {
      calls++;
      await sleep(1500);
    };
    slow.register('hook', h, { external: true });
    other.register('hook', h, { external: true });
    const id = (await enqueue(slow, { kind: 'hook' }))!;
    const running = slow.runDue();
    let stolen = 0;
    for (let i = 0; i < 16; i++) {
      await sleep(100);
      stolen += (await other.claim()).length;
    }
    await running;
    expect(stolen).toBe(0);
    expect(calls).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'done', locked_by: 'slow', attempts: 1 });

    // lease lost mid-call (e.g. the process was paused): the side effect happens twice, the job is done once
    const a = queue({ workerId: 'a' });
    const b = queue({ workerId: 'b', now: () => new Date(clock + 60_000) });
    const calls2: string[] = [];
    a.register(
      'hook',
      async (j) => {
        calls2.push('a');
        expect(await b.runDue()).toBe(1);
      },
      { external: true },
    );
    b.register('hook', async () => void calls2.push('b'), { external: true });
    const id2 = (await enqueue(a, { kind: 'hook' }))!;
    expect(await a.runDue()).toBe(1);
    expect(calls2).toEqual(['a', 'b']);
    expect(await job(id2)).toMatchObject({ status: 'done', locked_by: 'b', attempts: 2 });
    expect(log.lines.some((l) => /at-least-once/.test(l.m))).toBe(true);
  });

  it('cancels and reschedules pending jobs by key, inside the caller transaction', async () => {
    const q = queue();
    q.register('k', recordEffect('w1'));
    const t0 = clock;
    const a = (await enqueue(q, { kind: 'k', key: 'a', runAt: new Date(t0 + 1000) }))!;
    const b = (await enqueue(q, { kind: 'k', key: 'b', runAt: new Date(t0 + 1000) }))!;
    // a cancel whose transaction rolls back changes nothing
    await expect(
      db.knex.transaction(async (trx) => {
        expect(await q.cancel(trx, 'a')).toBe(true);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await job(a)).toMatchObject({ status: 'pending' });
    expect(await db.knex.transaction((trx) => q.cancel(trx, 'a'))).toBe(true);
    expect(await db.knex.transaction((trx) => q.cancel(trx, 'a'))).toBe(false);
    expect(await db.knex.transaction((trx) => q.cancel(trx, 'nope'))).toBe(false);
    expect(await job(a)).toMatchObject({ status: 'cancelled', done_at: now().toISOString() });
    expect(await db.knex.transaction((trx) => q.reschedule(trx, 'b', new Date(t0 + 60_000)))).toBe(true);
    expect(await db.knex.transaction((trx) => q.reschedule(trx, 'a', new Date(t0)))).toBe(false); // cancelled
    expect((await job(b)).run_at).toBe(new Date(t0 + 60_000).toISOString());
    clock = t0 + 30_000;
    expect(await q.runDue()).toBe(0);
    clock = t0 + 60_000;
    expect(await q.runDue()).toBe(1);
    expect(await effects()).toEqual([{ job_id: b, worker: 'w1' }]);
    // finished jobs are neither cancelled nor rescheduled
    expect(await db.knex.transaction((trx) => q.cancel(trx, 'b'))).toBe(false);
    expect(await db.knex.transaction((trx) => q.reschedule(trx, 'b', new Date(t0)))).toBe(false);
    expect(await q.stats()).toEqual({ pending: 0, running: 0, done: 1, failed: 0, cancelled: 1 });
  });

  it('start/stop: polls until stopped, drains full batches, survives errors, stop is idempotent', async () => {
    const q = queue({ batch: 5, now: () => new Date() });
    q.register('k', recordEffect('w1'));
    // the first poll fails (the database was unreachable): logged without the password, the loop goes on
    const spy = vi.spyOn(q, 'claim').mockRejectedValueOnce(new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432/x'));
    await db.knex.transaction(async (trx) => {
      for (let i = 0; i < 23; i++) await q.enqueue(trx, { kind: 'k' });
    });
    q.start({ intervalMs: 30 });
    q.start({ intervalMs: 30 }); // no second loop
    expect(q.started).toBe(true);
    await until('23 jobs done', async () => (await q.stats()).done === 23);
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.m)).toEqual(['job polling failed']);
    expect(JSON.stringify(errors)).not.toContain('hunter2');
    expect(spy.mock.calls.length).toBeGreaterThan(5);
    // jobs enqueued later are picked up by the running loop
    await enqueue(q, { kind: 'k' });
    await until('the 24th job', async () => (await q.stats()).done === 24);
    await q.stop();
    await q.stop();
    expect(q.started).toBe(false);
    await enqueue(q, { kind: 'k' });
    await sleep(150);
    expect(await q.stats()).toMatchObject({ pending: 1, done: 24 });
    const ids = (await effects()).map((e) => e.job_id);
    expect(new Set(ids).size).toBe(24);
    expect(ids.length).toBe(24);
  });

  it('stop() waits for the job in flight and gives back the claimed jobs it has not started', async () => {
    const q = queue({ batch: 5, now: () => new Date() });
    let started = 0;
    let finished = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    q.register('slow', async (j, trx) => {
      started++;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await sleep(200);
      await trx!('fw_test_effects').insert({ job_id: j.id, worker: 'w1' });
      inFlight--;
      finished++;
    });
    await db.knex.transaction(async (trx) => {
      for (let i = 0; i < 3; i++) await q.enqueue(trx, { kind: 'slow' });
    });
    q.start({ intervalMs: 10 });
    await until('a job started', () => started > 0);
    await q.stop();
    expect(started).toBe(1);
    expect(finished).toBe(1);
    expect(await q.stats()).toMatchObject({ done: 1, pending: 2, running: 0 });
    expect((await db.knex('fw_jobs').where({ status: 'pending' }).select('attempts', 'locked_by')).map((r: any) => [r.attempts, r.locked_by])).toEqual([
      [0, null],
      [0, null],
    ]);
    // restartable, even before the stop has finished: the new loop never overlaps the old batch
    q.start({ intervalMs: 10 });
    await until('a second job started', () => started > 1);
    const stopping = q.stop();
    q.start({ intervalMs: 10 });
    await stopping;
    await until('all done', async () => (await q.stats()).done === 3);
    await q.stop();
    expect(maxInFlight).toBe(1);
    expect((await effects()).length).toBe(3);
    expect(await q.stats()).toMatchObject({ done: 3, pending: 0, running: 0 });
  });

  it('runs the internal jobs of a batch in one transaction per lane; one that throws fails alone, the others commit once', async () => {
    const q = queue({ batch: 20, concurrency: 2, backoffMs: 5000 });
    let bad = -1;
    q.register('k', async (j, trx) => {
      await trx!('fw_test_effects').insert({ job_id: j.id, worker: 'w1' });
      if (j.id === bad) throw new Error('boom');
    });
    q.register('later', async () => ({ retryAt: new Date(clock + 60_000) }));
    await db.knex.transaction(async (trx) => {
      for (let i = 0; i < 19; i++) await q.enqueue(trx, { kind: 'k', payload: i });
      await q.enqueue(trx, { kind: 'later' });
    });
    const ids = (await db.knex('fw_jobs').where({ kind: 'k' }).orderBy('id').select('id')).map((r: any) => Number(r.id));
    bad = ids[3]!;
    // Count the transactions the batch opens (the claim's own included on PostgreSQL).
    let begins = 0;
    const onQuery = (qd: { sql: string }) => {
      if (/^BEGIN/i.test(qd.sql)) begins++;
    };
    db.knex.on('query', onQuery);
    try {
      expect(await q.runDue()).toBe(20);
    } finally {
      db.knex.off('query', onQuery);
    }
    // The lane holding the bad job rolled back and ran its jobs again one by one: the others
    // of that lane took effect once, the bad one not at all; the other lane committed at once.
    const got = (await effects()).map((e) => e.job_id).sort((x, y) => x - y);
    expect(got).toEqual(ids.filter((id) => id !== bad));
    const rows = await db.knex('fw_jobs').orderBy('id');
    expect(rows.filter((r: any) => r.status === 'done').map((r: any) => Number(r.id))).toEqual(ids.filter((id) => id !== bad));
    expect(rows.find((r: any) => Number(r.id) === bad)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'boom' });
    // The deferral kept its attempt and moved on, inside a group.
    expect(rows.find((r: any) => r.kind === 'later')).toMatchObject({ status: 'pending', attempts: 0, run_at: new Date(clock + 60_000).toISOString() });
    // Two lanes of ten: one transaction for the good lane, one for the failed try of the other,
    // then one per job of it (ten); the claim's one on PostgreSQL. One per job would be 20+.
    expect(begins).toBe((dialect === 'pg' ? 1 : 0) + 2 + 10);
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.m)).toEqual([]);
  });

  it('with bounded concurrency, and two queues racing on one database, every job runs once', async () => {
    const a = queue({ workerId: 'a', batch: 7, concurrency: 3, now: () => new Date() });
    const b = queue({ workerId: 'b', batch: 5, concurrency: 2, now: () => new Date() });
    a.register('k', recordEffect('a'));
    b.register('k', recordEffect('b'));
    await db.knex.transaction(async (trx) => {
      for (let i = 0; i < 150; i++) await a.enqueue(trx, { kind: 'k', payload: i });
    });
    const loop = async (q: JobQueue) => {
      for (let i = 0; i < 500; i++) {
        const n = await q.runDue();
        if (!n && (await q.stats()).pending === 0) return;
        if (!n) await sleep(5);
      }
    };
    await Promise.all([loop(a), loop(b)]);
    const ids = (await effects()).map((e) => e.job_id);
    expect(ids.length).toBe(150);
    expect(new Set(ids).size).toBe(150);
    expect(await a.stats()).toEqual({ pending: 0, running: 0, done: 150, failed: 0, cancelled: 0 });
    // and no job was even claimed twice (skip locked / the atomic claim statement)
    expect(await db.knex('fw_jobs').where('attempts', '>', 1).count({ n: '*' }).first().then((r: any) => Number(r.n))).toBe(0);
    expect(log.lines.filter((l) => l.level !== 'debug')).toEqual([]);
  });
});
