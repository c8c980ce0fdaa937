#!/usr/bin/env node
/**
 * Mixed-load throughput of a cluster: `--processes` (default 2) `formwork serve` processes on one
 * PostgreSQL database behind the round-robin proxy (bench/lib/cluster.js), the mixed load of
 * bench/lib/mixed-load.js through the proxy (creates, reads, updates with _version, filtered
 * lists, report runs, expenses and their approvals), nobody killed. A warm-up (not recorded),
 * then `--seconds` measured: requests/s, p50/p99 per kind, errors (must be 0), and the database
 * checks of the chaos run afterwards (acknowledged writes present, effects exactly once).
 *
 *   node bench/cluster.js [--quick] [--seconds 60] [--warmup 10] [--clients 8] [--approvers 1] [--processes 2] [--json]
 *
 * --quick: 15 s measured after 5 s of warm-up. The load generator and the proxy run in this
 * process, on the same machine as the engines and PostgreSQL: on a small machine they take a
 * good part of the CPU, so the figures are the whole system's, for comparing runs on one machine.
 * Appends a section to bench/results/summary.md; exit code 1 on any error or failed check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createCluster, ADMIN_PASSWORD, sleep } from './lib/cluster.js';
import { setupMixed, createMixedLoad, drainWorkflows, verifyMixed, violationCount, figures } from './lib/mixed-load.js';
import { processCpuMs, commandCpuMs } from './lib/procs.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function runClusterBench({ seconds = 60, warmupS = 10, clients = 8, approvers = 1, processes = 2, log = () => {} } = {}) {
  const cluster = await createCluster({ dialect: 'pg', processes, log });
  let db = null;
  try {
    const [A, ...rest] = cluster.procs;
    const users = await setupMixed(A.url, { adminPassword: ADMIN_PASSWORD, clerks: 4, others: rest.map((p) => p.url) });
    const load = createMixedLoad(cluster.proxy.url, users, { clients, approvers, seed: 3 });
    load.start();
    await sleep(warmupS * 1000);
    load.resetFigures();
    const served0 = { ...cluster.proxy.stats.served };
    const cpu0 = { engines: cluster.procs.map((p) => processCpuMs(p.pid)), pg: commandCpuMs('postgres'), self: process.cpuUsage() };
    log(`warm-up done (${warmupS} s); measuring ${seconds} s`);
    await sleep(seconds * 1000);
    await load.stop();
    const self = process.cpuUsage(cpu0.self);
    const res = load.result();
    const cpu = {
      engines: cluster.procs.map((p, i) => (processCpuMs(p.pid) ?? 0) - (cpu0.engines[i] ?? 0)),
      pg: cpu0.pg == null ? null : (commandCpuMs('postgres') ?? 0) - cpu0.pg,
      client: (self.user + self.system) / 1000,
    };
    const f = figures(res);
    const served = Object.fromEntries(Object.entries(cluster.proxy.stats.served).map(([k, v]) => [k, v - (served0[k] ?? 0)]));
    const { openDb } = await import(new URL('../engine/dist/store/connection.js', import.meta.url).href);
    db = await openDb(cluster.db.url, { poolMax: 2 });
    let drainError = null;
    await drainWorkflows(db.knex, { timeoutMs: 90_000 }).catch((e) => (drainError = e.message));
    const verdict = await verifyMixed(db.knex, load);
    const ok = f.errors === 0 && !drainError && violationCount(verdict) === 0 && res.stale.length === 0;
    return { processes, clients, approvers, seconds: f.seconds, warmupS, figures: f, served, cpu, drainError, counts: verdict.counts, violations: verdict.violations, errorsSeen: res.unexplained.slice(0, 10), ok };
  } finally {
    await db?.close().catch(() => undefined);
    await cluster.stop();
  }
}

const fmt = (x, d = 1) => (x == null ? '—' : x.toFixed(d));

export function clusterMarkdown(r) {
  const kinds = Object.entries(r.figures.byKind).filter(([, k]) => k.ok || k.errors);
  const perReq = (ms) => (ms == null || !r.figures.total ? '—' : (ms / r.figures.total).toFixed(2));
  return [
    `## Cluster mixed load (${r.processes} processes on PostgreSQL behind the round-robin proxy)`,
    '',
    `${r.clients} clients + ${r.approvers} approver, back to back, ${fmt(r.seconds, 0)} s measured after ${r.warmupS} s of warm-up: **${fmt(r.figures.rps, 0)} req/s**, ${r.figures.total.toLocaleString('en-US')} requests, errors ${r.figures.errors}. ` +
      `Served: ${Object.entries(r.served).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    '| kind | req/s | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|',
    ...kinds.map(([k, x]) => `| ${k} | ${fmt(x.rps)} | ${fmt(x.p50)} | ${fmt(x.p99)} | ${x.errors} |`),
    '',
    `CPU ms per request: engines ${r.cpu.engines.map((c) => perReq(c)).join(' + ')}, PostgreSQL ${perReq(r.cpu.pg)}, load generator + proxy ${perReq(r.cpu.client)}. ` +
      `Checks after the run: ${violationCount(r)} violations, drain ${r.drainError ?? 'ok'} → **${r.ok ? 'PASS' : 'FAIL'}**`,
    '',
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, ${new Date().toISOString()}`,
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // strict: false — bench/all.js passes every benchmark the same arguments; others' options are ignored here
  const { values: a } = parseArgs({
    strict: false,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false }, db: { type: 'string', default: 'both' }, seconds: { type: 'string' }, warmup: { type: 'string' },
      clients: { type: 'string' }, approvers: { type: 'string' }, processes: { type: 'string' }, json: { type: 'boolean', default: false },
    },
  });
  if (a.db === 'sqlite') {
    console.log('cluster.js: PostgreSQL only (several processes on one database); skipped for --db sqlite');
    process.exit(0);
  }
  const log = (s) => process.stderr.write(`[cluster ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const seconds = Number(a.seconds ?? (a.quick ? 15 : 60));
  const warmupS = Number(a.warmup ?? (a.quick ? 5 : 10));
  const watchdog = setTimeout(() => {
    log('the run exceeded its time limit');
    process.exit(2);
  }, (seconds + warmupS + 300) * 1000);
  watchdog.unref();
  const r = await runClusterBench({ seconds, warmupS, clients: Number(a.clients ?? 8), approvers: Number(a.approvers ?? 1), processes: Number(a.processes ?? 2), log });
  if (a.json) console.log(JSON.stringify(r, null, 2));
  const md = clusterMarkdown(r);
  console.log(md);
  if (!r.ok) console.log(JSON.stringify({ errorsSeen: r.errorsSeen, violations: Object.fromEntries(Object.entries(r.violations).map(([k, x]) => [k, x.slice(0, 10)])) }, null, 2));
  fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
  fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), md + '\n');
  recordFigures([{
    bench: 'cluster.js', db: 'pg', measure: `mixed load through the proxy, ${r.processes} processes, ${r.clients} clients (errors ${r.figures.errors}, checks ${r.ok ? 'pass' : 'FAIL'})`,
    value: r.figures.rps, unit: 'req/s', target: 'zero errors', met: r.ok, command: `node bench/cluster.js${a.quick ? ' --quick' : ''}`,
  }]);
  process.exit(r.ok ? 0 : 1);
}
