#!/usr/bin/env node
/**
 * The workflow benchmark: the engine in this process (createEngine from engine/dist) on SQLite
 * and PostgreSQL. See bench/README.md, "Workflows".
 *
 *   node bench/workflow.js [--quick] [--db sqlite|pg|both] [--approvals N] [--timers N]
 *                          [--workers N] [--paced N] [--rate R] [--no-loops]
 *
 *  - approvals: publish an approval workflow, create the records (in batches), dispatch so every
 *    record has its open task, then complete every task with 8 concurrent workers through
 *    runtime.completeTask: completion latency p50/p99, transitions (history rows) per second;
 *    then `--paced` more tasks (default approvals ÷ 5) completed at `--rate` per second (default
 *    100; open loop): latency at a stated load;
 *  - timers: enqueue jobs of a no-op kind, all due now, and run them with one JobQueue worker
 *    (PostgreSQL: also two workers) until all are done: jobs per second.
 *
 * Writes bench/results/workflow.json and appends to bench/results/summary.md when it exists.
 * Everything stops by itself: every loop is bounded in count and time, and the databases and
 * temporary files are removed on every path that can run code.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase, removeLeftovers, TMP_PREFIX } from './workflow-lib/db.js';
import { percentile, summaryMarkdown, int, ms } from './workflow-lib/report.js';
import { snapshot, delta, waitQuiet } from './workflow-lib/cpu.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const DIST = path.join(REPO, 'engine/dist');
const RESULTS = path.join(HERE, 'results');

if (!fs.existsSync(path.join(DIST, 'app.js'))) {
  process.stderr.write('bench/workflow.js: engine/dist is missing; build the engine first (npm run build -w engine)\n');
  process.exit(1);
}
const dist = (p) => import(pathToFileURL(path.join(DIST, p)).href);
const { createEngine } = await dist('app.js');
const { createLogger } = await dist('http/logger.js');
const { JobQueue, silentJobLogger } = await dist('workflow/jobs.js');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    db: { type: 'string', default: 'both' },
    approvals: { type: 'string' },
    timers: { type: 'string' },
    workers: { type: 'string' },
    paced: { type: 'string' },
    rate: { type: 'string' },
    'no-loops': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string' },
  },
});
if (!['sqlite', 'pg', 'both'].includes(args.db)) throw new Error('--db must be sqlite, pg or both');
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];

const config = args.quick
  ? { quick: true, approvals: 1000, timers: 10_000, phaseMaxMs: 120_000, totalMaxMs: 15 * 60_000 }
  : { quick: false, approvals: 10_000, timers: 100_000, phaseMaxMs: 600_000, totalMaxMs: 60 * 60_000 };
if (args.approvals) config.approvals = Number(args.approvals);
if (args.timers) config.timers = Number(args.timers);
config.workers = args.workers ? Number(args.workers) : 8;
// The paced phase: tasks completed at a steady rate (open loop), as people click, after the
// saturating closed loop: latency at a stated load rather than at full throttle.
config.rate = args.rate ? Number(args.rate) : 100;
config.paced = args.paced ? Number(args.paced) : Math.max(10, Math.round(config.approvals / 5));
if (!(config.rate > 0 && config.rate <= 10_000)) throw new Error('--rate must be between 1 and 10,000 completions per second');
if (!Number.isInteger(config.paced) || config.paced < 0 || config.paced > 1_000_000) throw new Error('--paced must be between 0 and 1,000,000');
config.createBatch = 500;
config.enqueueBatch = 1000;
config.loops = !args['no-loops'];
// Before each measured phase, wait up to this long for other processes to leave the CPUs alone.
config.quietWaitMs = args['quiet-wait'] != null ? Number(args['quiet-wait']) * 1000 : config.quick ? 10_000 : 60_000;
config.jobBatch = 20; // JobQueue's default, what `formwork serve` runs (with the engine's concurrency: 4 on PostgreSQL)
// Targets: completion p99 ≤ 30 ms; 100,000 due timers within 60 s (scaled to the count run).
config.p99TargetMs = 30;
config.timerTargetMs = Math.round((60_000 * config.timers) / 100_000);
for (const k of ['approvals', 'timers']) if (!Number.isInteger(config[k]) || config[k] < 10 || config[k] > 1_000_000) throw new Error(`--${k} must be between 10 and 1,000,000`);
if (!Number.isInteger(config.workers) || config.workers < 1 || config.workers > 64) throw new Error('--workers must be between 1 and 64');

const log = (s) => process.stderr.write(`[wf-bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (n) => new Promise((r) => setTimeout(r, n));

// ---- stopping: always close the engine and drop the database ----
const cleanups = [];
function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}
async function cleanupAll() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    await Promise.race([Promise.resolve().then(fn).catch((e) => process.stderr.write(`cleanup: ${e?.message ?? e}\n`)), sleep(20_000)]);
  }
}
let exiting = false;
async function bail(code, why) {
  if (exiting) return;
  exiting = true;
  if (why) process.stderr.write(`bench/workflow.js: ${why}\n`);
  await cleanupAll();
  process.exit(code);
}
process.on('SIGINT', () => bail(130, 'interrupted'));
process.on('SIGTERM', () => bail(143, 'terminated'));
process.on('uncaughtException', (e) => bail(1, e?.stack ?? String(e)));
process.on('unhandledRejection', (e) => bail(1, e?.stack ?? String(e)));
const watchdog = setTimeout(() => bail(2, `the whole run exceeded ${config.totalMaxMs / 60_000} minutes`), config.totalMaxMs);
watchdog.unref();

// ---- the metadata ----
const FORM = {
  key: 'expense',
  label: { 'zh-CN': '报销', en: 'Expense' },
  fields: [
    { id: 'e_title', key: 'title', type: 'text', label: 'Title', required: true },
    { id: 'e_amount', key: 'amount', type: 'money', label: 'Amount' },
    { id: 'e_status', key: 'status', type: 'select', label: 'Status', default: 'pending', options: ['pending', 'approved', 'rejected'].map((k) => ({ key: k, label: k })) },
  ],
};
const workflowDef = (approver) => ({
  key: 'expense_approval',
  label: { 'zh-CN': '报销审批', en: 'Expense approval' },
  trigger: { type: 'record_created', form: 'expense' },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'approve', type: 'approval', config: { assignees: [{ type: 'user', users: [approver] }], mode: 'any', actions: ['approve', 'reject'] } },
    { id: 'mark', type: 'set_fields', config: { values: { status: 'approved' } } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'approve' },
    { id: 'e2', source: 'approve', target: 'mark', branch: 'approved' },
    { id: 'e3', source: 'mark', target: 'end' },
  ],
});

const count = async (q) => Number((await q.count({ n: '*' }).first()).n);
const actorOf = (u, isAdmin) => ({ userId: u.id, username: u.username, roles: u.roles ?? [], departmentId: null, isAdmin });

/** Counts the SQL statements the engine sends (knex 'query' events) while `on`. */
function statementCounter(knex) {
  const c = { on: false, n: 0 };
  const trace = process.env.BENCH_TRACE_SQL ? Number(process.env.BENCH_TRACE_SQL) : 0;
  knex.on('query', (q) => {
    if (c.on) {
      c.n++;
      if (c.n <= trace) process.stderr.write(`  sql ${c.n}: ${q.sql.slice(0, 300)}\n`);
    }
  });
  return c;
}

async function quiet(dialect, what) {
  const q = await waitQuiet(config.quietWaitMs);
  if (q.waitedMs > 4000) log(`  waited ${(q.waitedMs / 1000).toFixed(0)} s for a quiet machine before ${what}${q.quiet === false ? ` (still ${q.busy.toFixed(2)} CPUs busy; measuring anyway)` : ''}`);
  return q;
}

/** Dispatch until the outbox is empty (bounded); returns the events dispatched. */
async function dispatchAll(engine, deadline) {
  let total = 0;
  for (let i = 0; i < 1_000_000 && Date.now() < deadline; i++) {
    const n = await engine.workflow.dispatcher.dispatchOnce(100);
    if (!n) return total;
    total += n;
  }
  throw new Error('dispatching did not finish in time');
}

// ---- approvals ----
async function benchApprovals(engine, dialect, statements) {
  const N = config.approvals;
  const P = config.paced;
  const ALL = N + P;
  const deadline = Date.now() + config.phaseMaxMs;
  const pw = crypto.randomBytes(12).toString('hex');
  const clerkUser = await engine.users.create({ username: 'clerk', password: pw, roles: ['admin'] });
  const approverUser = await engine.users.create({ username: 'approver', password: pw, roles: [] });
  const clerk = actorOf(clerkUser, true);
  const approver = actorOf(approverUser, false);
  await engine.docs.saveDraft('forms', FORM.key, FORM);
  await engine.docs.publish('forms', FORM.key);
  await engine.docs.saveDraft('workflows', 'expense_approval', workflowDef(approverUser.id));
  await engine.docs.publish('workflows', 'expense_approval');

  // Records, through RecordService (audit + outbox), a batch per transaction.
  let t0 = performance.now();
  for (let i = 0; i < ALL && Date.now() < deadline; i += config.createBatch) {
    await engine.db.knex.transaction(async (trx) => {
      for (let j = i; j < Math.min(ALL, i + config.createBatch); j++) await engine.records.createIn(trx, clerk, 'expense', { title: `Expense ${j + 1}`, amount: 100 + (j % 900) });
    });
  }
  const createMs = performance.now() - t0;
  if ((await count(engine.db.knex('t_expense'))) !== ALL) throw new Error('not every record was created in time');
  log(`  ${int(ALL)} records in ${(createMs / 1000).toFixed(1)} s`);

  // Start: the dispatcher turns each record.created event into an instance with an open task.
  t0 = performance.now();
  await dispatchAll(engine, deadline);
  const startMs = performance.now() - t0;
  const taskIds = (await engine.db.knex('fw_wf_tasks').where({ status: 'open', assignee: approverUser.id }).orderBy('id').select('id')).map((r) => Number(r.id));
  if (taskIds.length !== ALL) throw new Error(`expected ${ALL} open tasks, found ${taskIds.length}`);
  log(`  ${int(ALL)} instances started in ${(startMs / 1000).toFixed(1)} s`);

  // Complete: `workers` concurrent callers of runtime.completeTask, each task once.
  const quietBefore = await quiet(dialect, 'the completions');
  const historyBefore = await count(engine.db.knex('fw_wf_history'));
  if (config.loops) engine.workflow.start();
  const latencies = new Float64Array(N);
  let next = 0;
  let done = 0;
  let errors = 0;
  const errorSamples = [];
  const worker = async () => {
    while (next < N && Date.now() < deadline) {
      const i = next++;
      const t = performance.now();
      try {
        await engine.workflow.runtime.completeTask(approver, taskIds[i], { action: 'approve' });
        done++;
      } catch (e) {
        errors++;
        if (errorSamples.length < 3) errorSamples.push(String(e?.message ?? e).slice(0, 300));
      }
      latencies[i] = performance.now() - t;
    }
  };
  statements.n = 0;
  statements.on = true;
  const cpu0 = snapshot(dialect);
  t0 = performance.now();
  await Promise.all(Array.from({ length: config.workers }, worker));
  const completeMs = performance.now() - t0;
  const cpu = delta(cpu0, snapshot(dialect));
  statements.on = false;
  const timedOut = next < N;
  const historyAfter = await count(engine.db.knex('fw_wf_history'));
  const measured = latencies.subarray(0, next);

  // Paced: the other P tasks, one started every 1/rate s whatever the earlier ones are doing (open
  // loop). Latency counts from when a call was due, so a late start (the process busy) counts too.
  const pacedLat = new Float64Array(P);
  let pacedErrors = 0;
  let pacedDone = 0;
  const interval = 1000 / config.rate;
  const pacedCalls = [];
  const p0 = performance.now();
  for (let k = 0; k < P && Date.now() < deadline; k++) {
    const due = p0 + k * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pacedCalls.push(engine.workflow.runtime.completeTask(approver, taskIds[N + k], { action: 'approve' }).then(
      () => { pacedDone++; pacedLat[k] = performance.now() - due; },
      (e) => { pacedErrors++; pacedLat[k] = performance.now() - due; if (errorSamples.length < 3) errorSamples.push(String(e?.message ?? e).slice(0, 300)); },
    ));
  }
  await Promise.all(pacedCalls);
  const pacedMs = performance.now() - p0;
  await engine.workflow.stop();
  const pacedMeasured = pacedLat.subarray(0, pacedCalls.length);
  const paced = P ? {
    count: pacedCalls.length, rate: config.rate, achievedPerSec: (pacedDone * 1000) / pacedMs, errors: pacedErrors,
    p50: percentile(pacedMeasured, 50), p90: percentile(pacedMeasured, 90), p99: percentile(pacedMeasured, 99), max: percentile(pacedMeasured, 100),
  } : null;
  const result = {
    records: N,
    createMs,
    createPerSec: (N * 1000) / createMs,
    startMs,
    startPerSec: (N * 1000) / startMs,
    completeMs,
    completed: done,
    errors,
    errorSamples,
    timedOut,
    p50: percentile(measured, 50),
    p90: percentile(measured, 90),
    p99: percentile(measured, 99),
    max: percentile(measured, 100),
    completionsPerSec: (done * 1000) / completeMs,
    transitions: historyAfter - historyBefore,
    transitionsPerSec: ((historyAfter - historyBefore) * 1000) / completeMs,
    backgroundLoops: config.loops,
    // Per completion; with the background loops on, statements and CPU include their dispatching.
    statementsPerCompletion: done ? statements.n / done : null,
    engineCpuMsPerCompletion: done ? cpu.selfMs / done : null,
    dbCpuMsPerCompletion: done && cpu.dbMs != null ? cpu.dbMs / done : null,
    otherLoadCpus: cpu.otherCpus,
    quietBefore,
    paced,
  };
  log(`  ${int(done)} completions in ${(completeMs / 1000).toFixed(1)} s: p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms, ${int(result.transitionsPerSec)} transitions/s${errors ? `, ${errors} ERRORS: ${errorSamples[0]}` : ''}`);
  if (paced) log(`  paced: ${int(paced.count)} completions at ${int(paced.rate)}/s: p50 ${ms(paced.p50)} ms, p99 ${ms(paced.p99)} ms${pacedErrors ? `, ${pacedErrors} ERRORS` : ''}`);

  // What the completions caused (record.updated, workflow.finished) is dispatched too; then check.
  await dispatchAll(engine, deadline);
  const completedInstances = await count(engine.db.knex('fw_wf_instances').where({ workflow: 'expense_approval', status: 'completed' }));
  const approved = await count(engine.db.knex('t_expense').where({ status: 'approved' }));
  result.check = { completedInstances, approvedRecords: approved, ok: completedInstances === ALL && approved === ALL && !errors && !pacedErrors && !timedOut && pacedCalls.length === P };
  if (!result.check.ok) log(`  CHECK FAILED: ${JSON.stringify(result.check)}`);
  return result;
}

// ---- timers ----
async function benchTimers(engine, dialect, statements, workers, run) {
  const M = config.timers;
  const deadline = Date.now() + config.phaseMaxMs;
  const knex = engine.db.knex;
  await knex('fw_jobs').delete();
  const producer = new JobQueue(engine.db, { logger: silentJobLogger });
  const due = new Date(Date.now() - 1000);
  let t0 = performance.now();
  for (let i = 0; i < M && Date.now() < deadline; i += config.enqueueBatch) {
    await knex.transaction(async (trx) => {
      for (let j = i; j < Math.min(M, i + config.enqueueBatch); j++) {
        // Shaped like a workflow.resume timer (a token and a name, keyed by both).
        await producer.enqueue(trx, { kind: 'bench.tick', runAt: due, payload: { token: j + 1, name: 'wait' }, key: `bench:${run}:${j + 1}:wait` });
      }
    });
  }
  const enqueueMs = performance.now() - t0;
  if ((await count(knex('fw_jobs').where({ status: 'pending' }))) !== M) throw new Error('not every job was enqueued in time');
  // Fresh planner statistics for the 100k-row table, as autovacuum / a long-running database has.
  await knex.raw(engine.db.dialect === 'pg' ? 'analyze fw_jobs' : 'analyze');

  const queues = Array.from({ length: workers }, (_, k) => {
    // as `formwork serve` runs its queue: the engine's concurrency and, on PostgreSQL, its pool of
    // connections that commit without waiting for the disk (workflow/index.ts)
    const q = new JobQueue(engine.db, {
      workerId: `bench-${run}-${k + 1}`, batch: config.jobBatch, concurrency: engine.workflow.jobs.concurrency,
      asyncCommitPool: engine.workflow.jobs.asyncCommitPool, logger: silentJobLogger,
    });
    q.register('bench.tick', async () => undefined);
    return q;
  });
  const quietBefore = await quiet(dialect, 'the timers');
  let ran = 0;
  const loop = async (q) => {
    for (let i = 0; i < 10_000_000 && Date.now() < deadline; i++) {
      const n = await q.runDue();
      ran += n;
      if (n === 0) {
        if ((await count(knex('fw_jobs').whereIn('status', ['pending', 'running']))) === 0) return;
        await sleep(5);
      }
    }
  };
  statements.n = 0;
  statements.on = true;
  const cpu0 = snapshot(dialect);
  t0 = performance.now();
  await Promise.all(queues.map(loop));
  const runMs = performance.now() - t0;
  const cpu = delta(cpu0, snapshot(dialect));
  statements.on = false;
  const stats = await queues[0].stats();
  const perWorker = [];
  for (const q of queues) perWorker.push(await count(knex('fw_jobs').where({ locked_by: q.workerId, status: 'done' })));
  const reclaimed = await count(knex('fw_jobs').where('attempts', '>', 1));
  const result = {
    workers,
    jobs: M,
    ms: runMs,
    jobsPerSec: (stats.done * 1000) / runMs,
    enqueueMs,
    enqueuePerSec: (M * 1000) / enqueueMs,
    claims: ran,
    perWorker,
    reclaimed,
    stats,
    targetMs: config.timerTargetMs,
    statementsPerJob: stats.done ? statements.n / stats.done : null,
    engineCpuMsPerJob: stats.done ? cpu.selfMs / stats.done : null,
    dbCpuMsPerJob: stats.done && cpu.dbMs != null ? cpu.dbMs / stats.done : null,
    otherLoadCpus: cpu.otherCpus,
    quietBefore,
    check: { ok: stats.done === M && stats.pending + stats.running + stats.failed === 0 && reclaimed === 0 && ran === M },
  };
  log(`  ${workers} worker(s): ${int(stats.done)} jobs in ${(runMs / 1000).toFixed(1)} s = ${int(result.jobsPerSec)} jobs/s (per worker ${perWorker.map(int).join(' / ')})${result.check.ok ? '' : ` CHECK FAILED ${JSON.stringify(stats)} claimed ${ran}`}`);
  await knex('fw_jobs').delete();
  return result;
}

// ---- one database ----
async function benchDialect(dialect, tmpDir) {
  const t0 = performance.now();
  log(`${dialect}: creating the database`);
  const database = await createDatabase(dialect, tmpDir);
  const undoDrop = onCleanup(database.drop);
  const engine = await createEngine({ dbUrl: database.url, logger: createLogger('off'), dataDir: path.join(tmpDir, `data-${dialect}`) });
  const undoClose = onCleanup(() => engine.close());
  const statements = statementCounter(engine.db.knex);
  log(`${dialect}: approvals (${int(config.approvals)})`);
  const approvals = await benchApprovals(engine, dialect, statements);
  const timers = [];
  for (const w of dialect === 'pg' ? [1, 2] : [1]) {
    log(`${dialect}: timers (${int(config.timers)}), ${w} worker(s)`);
    timers.push(await benchTimers(engine, dialect, statements, w, timers.length + 1));
  }
  await engine.close();
  undoClose();
  await database.drop();
  undoDrop();
  return { dialect, database: dialect === 'pg' ? database.label : 'temporary file', approvals, timers, totalMs: performance.now() - t0 };
}

// ---- main ----
for (const r of await removeLeftovers(os.tmpdir(), dialects)) log(`removed a leftover of a killed run: ${r}`);
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
fs.writeFileSync(path.join(tmpDir, 'pid'), String(process.pid));
onCleanup(async () => fs.rmSync(tmpDir, { recursive: true, force: true }));

const cpus = os.cpus();
const all = {
  machine: {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavgAtStart: os.loadavg(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
  },
  config,
  dialects: [],
};
log(`workflow benchmark${config.quick ? ' --quick' : ''}: ${dialects.join(' + ')}, ${int(config.approvals)} approvals with ${config.workers} workers, ${int(config.timers)} timers`);
for (const d of dialects) all.dialects.push(await benchDialect(d, tmpDir));
all.machine.loadavgAtEnd = os.loadavg();

const summary = summaryMarkdown(all);
process.stdout.write('\n' + summary);
fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, 'workflow.json'), JSON.stringify(all, null, 2) + '\n');
const summaryFile = path.join(RESULTS, 'summary.md');
if (fs.existsSync(summaryFile)) {
  // Replace the section an earlier run of this script appended, then append this one.
  const START = '<!-- workflow benchmark: start -->';
  const END = '<!-- workflow benchmark: end -->';
  let text = fs.readFileSync(summaryFile, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) text = text.slice(0, a).trimEnd() + '\n' + text.slice(b + END.length).replace(/^\n+/, '\n');
  fs.writeFileSync(summaryFile, text.trimEnd() + `\n\n${START}\n${summary}${END}\n`);
}
{
  const cmd = (d) => `node bench/workflow.js${config.quick ? ' --quick' : ''} --db ${d}${args.approvals ? ` --approvals ${args.approvals}` : ''}${args.timers ? ` --timers ${args.timers}` : ''}`;
  recordFigures(all.dialects.flatMap((d) => [
    { bench: 'workflow.js', db: d.dialect, measure: `task completion p99 at saturation (${int(d.approvals.completed)} approvals, ${config.workers} closed-loop callers, ${int(d.approvals.completionsPerSec)}/s; p50 ${ms(d.approvals.p50)} ms)`, value: d.approvals.p99, unit: 'ms', target: `≤ ${config.p99TargetMs} ms`, met: d.approvals.p99 <= config.p99TargetMs, command: cmd(d.dialect) },
    ...(d.approvals.paced ? [{ bench: 'workflow.js', db: d.dialect, measure: `task completion p99 at ${int(config.rate)}/s paced (${int(d.approvals.paced.count)} approvals; p50 ${ms(d.approvals.paced.p50)} ms)`, value: d.approvals.paced.p99, unit: 'ms', target: `≤ ${config.p99TargetMs} ms`, met: d.approvals.paced.p99 <= config.p99TargetMs, command: cmd(d.dialect) }] : []),
    ...d.timers.map((t) => ({ bench: 'workflow.js', db: d.dialect, measure: `${int(t.jobs)} due timers fired, ${t.workers} worker(s) (${int(t.jobsPerSec)} jobs/s)`, value: t.ms / 1000, unit: 's', target: `≤ ${(t.targetMs / 1000).toFixed(0)} s`, met: t.ms <= t.targetMs, command: cmd(d.dialect) })),
  ]));
}
const failed = all.dialects.some((d) => !d.approvals.check.ok || d.timers.some((t) => !t.check.ok));
process.stdout.write(`\nWrote ${path.relative(process.cwd(), path.join(RESULTS, 'workflow.json'))}${fs.existsSync(summaryFile) ? ` and appended to ${path.relative(process.cwd(), summaryFile)}` : ''}\n`);
clearTimeout(watchdog);
await cleanupAll();
if (failed) {
  process.stderr.write('bench/workflow.js: a correctness check failed (see above)\n');
  process.exit(3);
}
