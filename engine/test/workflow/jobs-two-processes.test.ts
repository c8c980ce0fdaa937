/**
 * Several engine processes on one PostgreSQL database never fire a job twice, and a process
 * killed with SIGKILL mid-flight loses nothing (ARCHITECTURE.md decision 5).
 *
 * PostgreSQL only: SQLite is the embedded, single-process deployment by design (one writer, one
 * pooled connection); there the queue's claims are single atomic statements and jobs.test.ts
 * covers it. The workers are child Node processes running fixtures/job-worker.mjs on the BUILT
 * engine (engine/dist; `npm test` builds it before vitest runs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/store/connection.js';
import { migrateSystem } from '../../src/store/system.js';
import { JobQueue } from '../../src/workflow/jobs.js';
import { freshPgDatabase, REPO } from '../helpers/process.js';

const FIXTURE = path.join(REPO, 'engine/test/workflow/fixtures/job-worker.mjs');
const BUILT = path.join(REPO, 'engine/dist/workflow/jobs.js');
const JOBS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Worker {
  id: string;
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('job queue across processes on PostgreSQL', () => {
  let pg: { url: string; drop(): Promise<void> };
  let db: Db;
  const children: Worker[] = [];

  function startWorker(id: string, env: Record<string, string>): Worker {
    const child = spawn(process.execPath, [FIXTURE], {
      cwd: REPO,
      env: { ...process.env, JOB_DB_URL: pg.url, WORKER_ID: id, DEADLINE_MS: '90000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const w = { id, child, out: () => out, exited };
    children.push(w);
    return w;
  }

  async function finished(w: Worker, timeoutMs = 100_000) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        w.child.kill('SIGKILL');
        reject(new Error(`worker ${w.id} did not finish in ${timeoutMs} ms:\n${w.out()}`));
      }, timeoutMs);
    });
    try {
      const r = await Promise.race([w.exited, timeout]);
      expect(r, w.out()).toEqual({ code: 0, signal: null });
      return JSON.parse(w.out().trim().split('\n').filter((l) => l.startsWith('{"worker"')).pop()!);
    } finally {
      clearTimeout(timer);
    }
  }

  const count = async (q: any) => Number((await q.count({ n: '*' }).first()).n);

  async function enqueueAll(): Promise<number[]> {
    const queue = new JobQueue(db);
    return db.knex.transaction(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < JOBS; i++) ids.push((await queue.enqueue(trx, { kind: 'effect', payload: { i }, key: `effect:${i}` }))!);
      return ids;
    });
  }

  /** Every job fired exactly once: one effect row each (no unique constraint hides duplicates), all done. */
  async function expectExactlyOnce(ids: number[]) {
    const effects = (await db.knex('fw_test_effects').select('job_id')).map((r: any) => Number(r.job_id));
    expect(effects.length).toBe(JOBS);
    expect(new Set(effects).size).toBe(JOBS);
    expect([...effects].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    const byStatus = await new JobQueue(db).stats();
    expect(byStatus).toEqual({ pending: 0, running: 0, done: JOBS, failed: 0, cancelled: 0 });
  }

  beforeAll(async () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: build the engine first (npm run build -w engine; npm test does)`);
    pg = await freshPgDatabase();
    db = await openDb(pg.url);
    await migrateSystem(db);
    await db.knex.schema.createTable('fw_test_effects', (t) => {
      t.bigIncrements('id');
      t.bigInteger('job_id').notNullable(); // deliberately NOT unique: a double fire must show up
      t.string('worker', 64).notNullable();
    });
  });

  beforeEach(async () => {
    await db.knex('fw_test_effects').delete();
    await db.knex('fw_jobs').delete();
  });

  afterAll(async () => {
    for (const w of children) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(children.map((w) => w.exited));
    await db?.close();
    await pg?.drop();
  });

  it(`two processes fire each of ${JOBS} due jobs exactly once`, async () => {
    const ids = await enqueueAll();
    const a = startWorker('proc-a', { DELAY_MS: '2', BATCH: '10' });
    const b = startWorker('proc-b', { DELAY_MS: '2', BATCH: '10' });
    const [ra, rb] = await Promise.all([finished(a), finished(b)]);
    await expectExactlyOnce(ids);
    // both took part
    const per = await db.knex('fw_test_effects').select('worker').count({ n: '*' }).groupBy('worker');
    const byWorker = Object.fromEntries(per.map((r: any) => [r.worker, Number(r.n)]));
    expect(byWorker['proc-a']).toBeGreaterThan(0);
    expect(byWorker['proc-b']).toBeGreaterThan(0);
    expect(byWorker['proc-a'] + byWorker['proc-b']).toBe(JOBS);
    expect(ra.ran + rb.ran).toBe(JOBS); // no handler ran twice either: nothing was rolled back
    // every job was claimed once
    expect(await count(db.knex('fw_jobs').where('attempts', '>', 1))).toBe(0);
  }, 180_000);

  it('a process killed with SIGKILL mid-run loses nothing; its replacement and the survivor finish exactly once (1 s lease)', async () => {
    const ids = await enqueueAll();
    const env = { DELAY_MS: '4', BATCH: '10', LEASE_MS: '1000' };
    const victim = startWorker('victim', env);
    const survivor = startWorker('survivor', env);
    // let ~300 effects commit, then kill the victim without warning
    const deadline = Date.now() + 60_000;
    let done = 0;
    for (let i = 0; i < 6000 && Date.now() < deadline; i++) {
      done = await count(db.knex('fw_test_effects'));
      if (done >= 300) break;
      await sleep(10);
    }
    expect(done).toBeGreaterThanOrEqual(300);
    expect(victim.child.exitCode).toBeNull(); // still mid-run
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const victimEffects = await count(db.knex('fw_test_effects').where({ worker: 'victim' }));
    expect(victimEffects).toBeGreaterThan(0);
    expect(done).toBeLessThan(JOBS);
    // what the victim held when it died: claimed, some maybe mid-transaction (rolled back by PostgreSQL)
    const orphaned = (await db.knex('fw_jobs').where({ status: 'running', locked_by: 'victim' }).select('id')).map((r: any) => Number(r.id));

    const replacement = startWorker('replacement', env);
    await Promise.all([finished(survivor), finished(replacement)]);
    await expectExactlyOnce(ids);
    // the victim's effects stayed (committed) and nothing it did was repeated
    expect(await count(db.knex('fw_test_effects').where({ worker: 'victim' }))).toBe(victimEffects);
    // the jobs it held were taken over after their lease expired, and ran once
    if (orphaned.length) {
      const rows = await db.knex('fw_jobs').whereIn('id', orphaned).select('status', 'locked_by', 'attempts');
      for (const r of rows) expect(r).toMatchObject({ status: 'done', locked_by: expect.not.stringMatching(/^victim$/) });
      for (const r of rows) expect(r.attempts).toBeGreaterThanOrEqual(2);
    }
    console.info(`[jobs-two-processes] killed after ${done} effects; victim committed ${victimEffects}, held ${orphaned.length} claimed jobs that were re-run elsewhere`);
  }, 180_000);
});
