/**
 * Scheduled backups (store/backup-schedule.ts): taken at their due time by the durable job
 * queue, verified by a restore into a scratch database with the row counts of the backup's own
 * snapshot, kept by the daily/weekly rule, failures reported; one backup per due time with two
 * engines on one database; a downtime's missed backups taken once. Clocks are injected.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, testDb, type TestDb } from '../helpers/db.js';
import { publishForm, startServer } from '../helpers/engine.js';
import { createEngine, type Engine } from '../../src/app.js';
import { createLogger, type Logger } from '../../src/http/logger.js';
import { JobQueue, silentJobLogger } from '../../src/workflow/jobs.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { backupDatabase, countTables, run } from '../../src/store/backup.js';
import { verifyBackup } from '../../src/store/backup-verify.js';
import {
  BACKUP_JOB, BackupScheduler, MANIFEST, backupConfigFrom, dayOf, isoWeekOf, nextDue, planRetention, readManifest,
  type BackupFn, type BackupScheduleConfig, type ManifestEntry,
} from '../../src/store/backup-schedule.js';

const NOTE = { key: 'note', label: 'Note', fields: [{ key: 'title', type: 'text', label: 'Title' }, { key: 'amount', type: 'money', label: 'Amount' }] };

function capture(): Logger & { lines: Array<{ level: string; msg: string; f?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string; f?: Record<string, unknown> }> = [];
  const at = (level: string) => (msg: string, f?: Record<string, unknown>) => void lines.push({ level, msg, f });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const tmpDir = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `formwork-bk-${tag}-`));
const iso = (s: string) => new Date(s).toISOString();

describe('retention rule', () => {
  const entry = (takenAt: string, status: 'verified' | 'failed' = 'verified'): ManifestEntry => ({
    file: `formwork-${takenAt.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}.sqlite`, takenAt, dialect: 'sqlite', status,
  });
  const rule = { keepDaily: 7, keepWeekly: 4, timezone: 'UTC' };

  it('days and ISO weeks', () => {
    expect(isoWeekOf('2024-01-01')).toBe('2024-W01');
    expect(isoWeekOf('2024-12-30')).toBe('2025-W01');
    expect(isoWeekOf('2021-01-03')).toBe('2020-W53');
    expect(dayOf('2024-03-03T17:00:00.000Z', 'UTC')).toBe('2024-03-03');
    expect(dayOf('2024-03-03T17:00:00.000Z', 'Asia/Shanghai')).toBe('2024-03-04');
  });

  it('keeps exactly N daily + M weekly of daily backups taken over 60 days, one day at a time', () => {
    let kept: ManifestEntry[] = [];
    const start = Date.parse('2024-01-01T02:30:00Z'); // a Monday
    const weeklyFirstSeen = new Map<string, number>();
    for (let d = 0; d < 60; d++) {
      kept.push(entry(new Date(start + d * 86_400_000).toISOString()));
      const plan = planRetention(kept, rule);
      kept = kept.filter((e) => !plan.remove.includes(e));
      // a backup chosen as weekly stays weekly until it ages out
      for (const [f, why] of plan.keep) if (why === 'weekly' && !weeklyFirstSeen.has(f)) weeklyFirstSeen.set(f, d);
      for (const f of weeklyFirstSeen.keys()) if (kept.some((e) => e.file === f)) expect(plan.keep.get(f)).toBe('weekly');
    }
    const days = kept.map((e) => e.takenAt.slice(0, 10)).sort();
    // 60 days from Mon 2024-01-01 end on Thu 2024-02-29: dailies Feb 23–29; weekly: the Mondays before
    expect(days).toEqual(['2024-01-29', '2024-02-05', '2024-02-12', '2024-02-19', '2024-02-23', '2024-02-24', '2024-02-25', '2024-02-26', '2024-02-27', '2024-02-28', '2024-02-29']);
    expect(kept.length).toBe(rule.keepDaily + rule.keepWeekly);
    // the same result when the rule is applied once to all 60
    const all = Array.from({ length: 60 }, (_, d) => entry(new Date(start + d * 86_400_000).toISOString()));
    const once = planRetention(all, rule);
    expect([...once.keep.keys()].sort()).toEqual(kept.map((e) => e.file).sort());
  });

  it('counts one backup a day (the newest), skips failed ones, keeps the newest verified, drops old failures', () => {
    const entries = [
      entry('2024-03-01T00:00:00.000Z'),
      entry('2024-03-01T06:00:00.000Z', 'failed'),
      entry('2024-03-02T00:00:00.000Z'),
      entry('2024-03-02T06:00:00.000Z'),
      entry('2024-03-02T12:00:00.000Z'),
      entry('2024-03-03T00:00:00.000Z', 'failed'),
      entry('2024-03-03T06:00:00.000Z', 'failed'),
    ];
    const plan = planRetention(entries, { keepDaily: 1, keepWeekly: 0, timezone: 'UTC' });
    expect(Object.fromEntries(plan.keep)).toEqual({
      [entries[4]!.file]: 'daily', // the newest verified, although newer failed ones exist
      [entries[5]!.file]: 'failed',
      [entries[6]!.file]: 'failed',
    });
    expect(plan.remove.map((e) => e.file).sort()).toEqual([entries[0]!.file, entries[1]!.file, entries[2]!.file, entries[3]!.file].sort());
    // keepDaily 0, keepWeekly 0: still the newest verified one
    expect([...planRetention(entries, { keepDaily: 0, keepWeekly: 0, timezone: 'UTC' }).keep]).toContainEqual([entries[4]!.file, 'newest']);
  });

  it('masks URL passwords in the errors of pg_dump / pg_restore runs', async () => {
    const err = await run('sh', ['-c', 'echo "could not connect to postgres://fw:s3cret@db/x or postgresql://a:b@c/d" >&2; exit 3']).catch((e) => e as Error);
    expect(err.message).toContain('postgres://fw:***@db/x');
    expect(err.message).not.toMatch(/s3cret|a:b@/);
  });

  it('reads the schedule from flags and the environment', () => {
    expect(backupConfigFrom({}, {})).toBeNull();
    const c = backupConfigFrom({}, { FORMWORK_BACKUP_DIR: '/tmp/b', FORMWORK_BACKUP_AT: '03:15', FORMWORK_BACKUP_KEEP_DAILY: '3', FORMWORK_BACKUP_TZ: 'UTC' })!;
    expect(c).toMatchObject({ dir: '/tmp/b', at: '03:15', keepDaily: 3, keepWeekly: 4, timezone: 'UTC' });
    expect(nextDue(c, new Date('2024-03-04T03:15:00Z')).toISOString()).toBe('2024-03-05T03:15:00.000Z');
    const e = backupConfigFrom({ dir: '/tmp/b', every: '6h' }, {})!;
    expect(nextDue(e, new Date('2024-03-04T13:00:00Z')).toISOString()).toBe('2024-03-04T18:00:00.000Z');
    expect(() => backupConfigFrom({ dir: '/tmp/b', every: 'soon' }, {})).toThrow(/duration/);
    expect(() => backupConfigFrom({ dir: '/tmp/b', at: '25:00' }, {})).toThrow(/time/);
    expect(() => backupConfigFrom({ every: '1h' }, {})).toThrow(/backup-dir/);
  });
});

describe.each(DIALECTS)('scheduled backups on %s', (dialect) => {
  let db: TestDb;
  let engine: Engine;
  let clock = new Date('2024-03-04T01:00:00Z');
  const now = () => clock;
  const dirs: string[] = [];
  const dir = (tag: string) => {
    const d = tmpDir(`${dialect}-${tag}`);
    dirs.push(d);
    return d;
  };
  const cfg = (d: string, more: Partial<BackupScheduleConfig> = {}): BackupScheduleConfig => ({ dir: d, at: '02:30', timezone: 'UTC', keepDaily: 2, keepWeekly: 1, ...more });
  /** A scheduler of its own on the engine's database, with the test clock for it and its job queue. */
  const scheduler = (config: BackupScheduleConfig | null, logger: Logger = createLogger('off'), backup?: BackupFn) => {
    const jobs = new JobQueue(engine.db, { now, logger: silentJobLogger });
    return { jobs, s: new BackupScheduler({ db: engine.db, jobs, logger, now, config, backup }) };
  };
  const liveJobs = () => engine.db.knex('fw_jobs').where({ kind: BACKUP_JOB }).whereIn('status', ['pending', 'running']).orderBy('run_at').select('run_at', 'status');
  const addNotes = async (n: number) => {
    for (let i = 0; i < n; i++) await engine.records.create(SYSTEM_ACTOR, 'note', { title: `n${i}`, amount: i + 0.5 });
  };
  const sourceCounts = () => countTables(engine.db.knex, dialect, engine.db.schema);

  beforeAll(async () => {
    db = await testDb(dialect);
    engine = await createEngine({ dbUrl: db.url, db, logger: createLogger('off') });
    await publishForm(engine, NOTE);
    await addNotes(5);
  });
  afterAll(async () => {
    await engine.workflow.close();
    await db.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('takes a backup at its due time, verifies it (row counts match the source) and keeps 2 daily + 1 weekly', async () => {
    const d = dir('sched');
    fs.writeFileSync(path.join(d, 'notes.txt'), 'not ours');
    fs.writeFileSync(path.join(d, 'formwork-20240101T000000Z.sqlite'), 'not in the manifest');
    await engine.db.knex('fw_jobs').where({ kind: BACKUP_JOB }).delete();
    clock = new Date('2024-03-04T01:00:00Z'); // a Monday
    const { jobs, s } = scheduler(cfg(d));
    expect(await s.reconcile()).toEqual({ enqueued: true, cancelled: 0 });
    expect(await s.reconcile()).toEqual({ enqueued: false, cancelled: 0 });
    expect(await liveJobs()).toEqual([{ run_at: iso('2024-03-04T02:30:00Z'), status: 'pending' }]);
    expect(await jobs.runDue()).toBe(0); // not due yet

    const before = await sourceCounts();
    expect(before.t_note).toBe(5);
    clock = new Date('2024-03-04T02:30:05Z');
    expect(await jobs.runDue()).toBe(1);
    let m = readManifest(d);
    expect(m.backups).toHaveLength(1);
    const first = m.backups[0]!;
    expect(first).toMatchObject({ status: 'verified', due: iso('2024-03-04T02:30:00Z'), takenAt: iso('2024-03-04T02:30:05Z'), dialect });
    expect(first.file).toBe(`formwork-20240304T023005Z.${dialect === 'pg' ? 'pgdump' : 'sqlite'}`);
    expect(first.sourceCounts).toEqual(before);
    expect(first.verify!.counts).toEqual(before);
    expect(first.verify!.tables).toBe(Object.keys(before).length);
    expect(first.verify!.missing).toEqual([]);
    expect(fs.existsSync(path.join(d, first.file))).toBe(true);
    expect(await liveJobs()).toEqual([{ run_at: iso('2024-03-05T02:30:00Z'), status: 'pending' }]);

    // Tue, Wed, Thu: one more record each day
    for (const day of ['05', '06', '07']) {
      await addNotes(1);
      clock = new Date(`2024-03-${day}T02:30:00Z`);
      expect(await jobs.runDue()).toBe(1);
    }
    m = readManifest(d);
    expect(m.backups.map((e) => [e.takenAt.slice(0, 10), e.status, e.sourceCounts!.t_note])).toEqual([
      ['2024-03-04', 'verified', 5], // weekly: the first of its ISO week outside the daily window
      ['2024-03-06', 'verified', 7], // daily
      ['2024-03-07', 'verified', 8], // daily
    ]);
    const files = fs.readdirSync(d).sort();
    expect(files).toEqual([MANIFEST, 'formwork-20240101T000000Z.sqlite', ...m.backups.map((e) => e.file), 'notes.txt'].sort());

    // the status endpoint (administrators)
    engine.backups.configure(cfg(d));
    const srv = await startServer(engine);
    try {
      const r = await srv.api('/api/admin/backups');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ configured: true, dir: d, nextDue: iso('2024-03-08T02:30:00Z'), lastVerified: { file: m.backups[2]!.file, status: 'verified', rows: expect.any(Number) } });
      expect(r.body.backups).toHaveLength(3);
      expect((await srv.api('/api/admin/backups', { token: null })).status).toBe(401);
    } finally {
      await srv.close();
      engine.backups.configure(null);
    }
  });

  it('takes the backup missed during a downtime once, then the next one is in the future', async () => {
    const d = dir('missed');
    await engine.db.knex('fw_jobs').where({ kind: BACKUP_JOB }).delete();
    clock = new Date('2024-04-01T00:00:00Z');
    const { jobs, s } = scheduler(cfg(d, { keepDaily: 7 }));
    await s.reconcile();
    // down from before the first due time until Friday noon: four due times missed
    clock = new Date('2024-04-05T12:00:00Z');
    await s.reconcile(); // the process starting again
    expect(await jobs.runDue()).toBe(1);
    expect(await jobs.runDue()).toBe(0);
    await s.reconcile();
    expect(await jobs.runDue()).toBe(0);
    const m = readManifest(d);
    expect(m.backups.map((e) => [e.due, e.status])).toEqual([[iso('2024-04-01T02:30:00Z'), 'verified']]);
    expect(await liveJobs()).toEqual([{ run_at: iso('2024-04-06T02:30:00Z'), status: 'pending' }]);

    // another schedule (the flags changed): the pending job is replaced, once
    const other = scheduler(cfg(d, { at: '04:00', keepDaily: 7 }));
    expect(await other.s.reconcile()).toEqual({ enqueued: true, cancelled: 1 });
    expect(await liveJobs()).toEqual([{ run_at: iso('2024-04-06T04:00:00Z'), status: 'pending' }]);
  });

  it('reports a corrupted backup as failed, loudly, and does not count it for retention', async () => {
    const d = dir('corrupt');
    const log = capture();
    const good = scheduler(null, log).s;
    const truncating: BackupFn = async (url, out, opts) => {
      const r = await backupDatabase(url, out, opts);
      const buf = fs.readFileSync(out);
      fs.writeFileSync(out, buf.subarray(0, Math.floor(buf.length / 2)));
      return r;
    };
    const bad = scheduler(null, log, truncating).s;
    const lying: BackupFn = async (url, out, opts) => {
      const r = await backupDatabase(url, out, opts);
      return { ...r, counts: { ...r.counts, t_note: r.counts.t_note! + 1 } }; // as if a row went missing
    };
    const short = scheduler(null, log, lying).s;
    const rule = cfg(d, { keepDaily: 1, keepWeekly: 0 });

    clock = new Date('2024-05-01T02:30:00Z');
    const e1 = await good.takeBackup(rule);
    expect(e1.status).toBe('verified');
    clock = new Date('2024-05-02T02:30:00Z');
    const e2 = await bad.takeBackup(rule);
    expect(e2.status).toBe('failed');
    expect(e2.error).toBeTruthy();
    expect(log.lines.some((l) => l.level === 'error' && /BACKUP VERIFICATION FAILED/.test(l.msg) && (l.f?.file as string).endsWith(e2.file))).toBe(true);
    clock = new Date('2024-05-03T02:30:00Z');
    const e3 = await short.takeBackup(rule);
    expect(e3.status).toBe('failed');
    expect(e3.verify!.mismatched).toEqual([{ table: 't_note', expected: e3.verify!.counts.t_note! + 1, actual: e3.verify!.counts.t_note }]);
    // keepDaily 1: the only verified backup is kept although two newer ones exist; the failed ones are kept for inspection
    let m = readManifest(d);
    expect(m.backups.map((e) => [e.file, e.status])).toEqual([[e1.file, 'verified'], [e2.file, 'failed'], [e3.file, 'failed']]);
    for (const e of m.backups) expect(fs.existsSync(path.join(d, e.file))).toBe(true);
    // a good backup later: the old one and the failed ones older than it go
    clock = new Date('2024-05-04T02:30:00Z');
    const e4 = await good.takeBackup(rule);
    m = readManifest(d);
    expect(m.backups.map((e) => e.file)).toEqual([e4.file]);
    expect(fs.readdirSync(d).sort()).toEqual([MANIFEST, e4.file].sort());

    // a verified backup whose file was removed by hand no longer protects anything
    clock = new Date('2024-05-05T02:30:00Z');
    const e5 = await good.takeBackup({ ...rule, keepDaily: 2 });
    fs.rmSync(path.join(d, e5.file));
    await good.applyRetention(rule); // keepDaily 1: without the check, the missing e5 would be "the" daily and e4 deleted
    expect(readManifest(d).backups.map((e) => [e.file, e.status])).toEqual([[e4.file, 'verified'], [e5.file, 'failed']]);
    expect(fs.existsSync(path.join(d, e4.file))).toBe(true);

    // verifyBackup on its own: a truncated file fails, a file of something else fails
    const f = path.join(d, e4.file);
    const copy = path.join(d, 'copy.bin');
    fs.writeFileSync(copy, fs.readFileSync(f).subarray(0, 4096));
    const v = await verifyBackup(copy, { url: engine.db.url, schema: engine.db.schema });
    expect(v.ok).toBe(false);
    expect(v.error).toBeTruthy();
    fs.writeFileSync(copy, 'hello');
    expect((await verifyBackup(copy, { url: engine.db.url })).error).toMatch(/neither/);
  });

  // PostgreSQL only: several processes on one database (SQLite runs one).
  if (dialect === 'pg') {
    it('two engines on one database take one backup per due time', async () => {
      const d = dir('two');
      await engine.db.knex('fw_jobs').where({ kind: BACKUP_JOB }).delete();
      const config = cfg(d, { at: undefined, every: 3_600_000, keepDaily: 7 });
      const a = await createEngine({ dbUrl: db.url, schema: db.schema, logger: createLogger('off'), backup: config });
      const b = await createEngine({ dbUrl: db.url, schema: db.schema, logger: createLogger('off'), backup: config });
      try {
        await Promise.all([a.backups.reconcile(), b.backups.reconcile(), a.backups.reconcile(), b.backups.reconcile()]);
        expect(await liveJobs()).toHaveLength(1);
        for (let round = 0; round < 2; round++) {
          // fast-forward: the pending job is due now
          await engine.db.knex('fw_jobs').where({ kind: BACKUP_JOB, status: 'pending' }).update({ run_at: new Date(Date.now() - 1000).toISOString() });
          const ran = await Promise.all([a.workflow.jobs.runDue(), b.workflow.jobs.runDue(), a.workflow.jobs.runDue(), b.workflow.jobs.runDue()]);
          expect(ran.reduce((x, y) => x + y, 0)).toBe(1);
          expect(readManifest(d).backups).toHaveLength(round + 1);
          const live = await liveJobs();
          expect(live).toHaveLength(1);
          expect(Date.parse(live[0]!.run_at)).toBeGreaterThan(Date.now());
          await Promise.all([a.backups.reconcile(), b.backups.reconcile()]);
          expect(await liveJobs()).toHaveLength(1);
        }
        expect(readManifest(d).backups.every((e) => e.status === 'verified')).toBe(true);
        expect(await engine.db.knex('fw_jobs').where({ kind: BACKUP_JOB, status: 'done' }).count({ n: '*' }).first()).toMatchObject({ n: 2 });
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
});
