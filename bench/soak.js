#!/usr/bin/env node
/**
 * Soak: `--minutes` (default 10) of the mixed load (bench/lib/mixed-load.js) without pause, on
 * SQLite (one `formwork serve` process, clients straight to it) and/or PostgreSQL (two processes
 * behind the round-robin proxy of bench/lib/cluster.js), sampling every engine process's memory
 * every `--sample` seconds (default 10): RSS from /proc/PID/status (VmRSS); and the V8 heap
 * every 2 s (process.memoryUsage(), printed by a probe preloaded into the process), reported as
 * the heap floor (least heap used) of the first and the last third after warm-up.
 *
 *   node bench/soak.js [--minutes 10] [--db sqlite|pg|both] [--clients 8] [--sample 10] [--quick] [--json]
 *
 * Verdict per process — PASS when
 *   end RSS ≤ 1.5 × the RSS after warm-up   and   peak RSS ≤ 400 MB,
 * and the whole run had no error and the database checks (verifyMixed: acknowledged writes
 * present, workflow effects exactly once) hold. Warm-up = the first 20 % of the run, at least one
 * sample and at most 60 s: by then V8 has grown its heap to the working size, the caches are full
 * and the connection pools open, so later growth is what a leak would add. The bound is generous
 * against GC sawtooth (RSS moves by tens of MB between collections) and strict against a leak:
 * 10 minutes of this load are ~25–50k requests, so a leak of 5 KB per request adds 125–250 MB
 * and fails it. The slope over the second half (least squares, MB/min) is reported beside it.
 * --quick: 1 minute per database. Appends a section to bench/results/summary.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createCluster, ADMIN_PASSWORD, rssBytes, sleep } from './lib/cluster.js';
import { setupMixed, createMixedLoad, drainWorkflows, verifyMixed, violationCount, figures } from './lib/mixed-load.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MB = 1024 * 1024;
export const BOUND = { endOverWarm: 1.5, peakMb: 400 };

/** Least-squares slope of (t minutes, y) points. */
function slope(points) {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : null;
}

/**
 * Figures and verdict of one process's samples [{t (s), rss, heapUsed, heapTotal, external}].
 * `probes` (every heap reading of the probe, t in s) give the heap floors: the least heap used
 * in the first and in the last third after warm-up — the troughs after collections, i.e. the
 * live heap, which a leak raises (a single reading is mostly garbage awaiting collection).
 */
export function memoryVerdict(samples, warmS, probes = []) {
  const warm = samples.find((s) => s.t >= warmS) ?? samples[samples.length - 1];
  const end = samples[samples.length - 1];
  const peak = samples.reduce((m, s) => (s.rss > m.rss ? s : m), samples[0]);
  const lastT = end.t;
  const secondHalf = samples.filter((s) => s.t >= lastT / 2);
  const out = {
    startMb: samples[0].rss / MB,
    warmMb: warm.rss / MB,
    peakMb: peak.rss / MB,
    endMb: end.rss / MB,
    slopeMbPerMin: slope(secondHalf.map((s) => [s.t / 60, s.rss / MB])),
    heapWarmMb: warm.heapUsed != null ? warm.heapUsed / MB : null,
    heapEndMb: end.heapUsed != null ? end.heapUsed / MB : null,
    heapSlopeMbPerMin: slope(secondHalf.filter((s) => s.heapUsed != null).map((s) => [s.t / 60, s.heapUsed / MB])),
    samples: samples.length,
  };
  const span = (lastT - warmS) / 3;
  const floor = (from, to) => {
    const xs = probes.filter((p) => p.t >= from && p.t <= to).map((p) => p.heapUsed);
    return xs.length ? Math.min(...xs) / MB : null;
  };
  out.heapFloorEarlyMb = floor(warmS, warmS + span);
  out.heapFloorLateMb = floor(lastT - span, lastT);
  out.pass = out.endMb <= BOUND.endOverWarm * out.warmMb && out.peakMb <= BOUND.peakMb;
  return out;
}

/** One soak on one database. */
export async function runSoak({ dialect, minutes = 10, clients = 8, approvers = 1, sampleS = 10, log = () => {} }) {
  const processes = dialect === 'pg' ? 2 : 1;
  const cluster = await createCluster({ dialect, processes, memoryProbeMs: Math.min(sampleS * 1000, 2000), log });
  let db = null;
  try {
    const [A, ...rest] = cluster.procs;
    const users = await setupMixed(A.url, { adminPassword: ADMIN_PASSWORD, clerks: 4, others: rest.map((p) => p.url) });
    const target = dialect === 'pg' ? cluster.proxy.url : A.url;
    const load = createMixedLoad(target, users, { clients, approvers, seed: 11, keepLatencies: true });
    const samples = Object.fromEntries(cluster.procs.map((p) => [p.name, []]));
    const take = (t) => {
      for (const p of cluster.procs) {
        const rss = rssBytes(p.pid);
        if (rss == null) continue;
        samples[p.name].push({ t, rss, heapUsed: p.memory?.heapUsed ?? null, heapTotal: p.memory?.heapTotal ?? null, external: p.memory?.external ?? null, requests: load.okCount() });
      }
    };
    const durationS = minutes * 60;
    const warmS = Math.max(sampleS, Math.min(60, durationS * 0.2));
    const t0 = performance.now();
    load.start();
    take(0);
    for (let i = 1; i * sampleS <= durationS; i++) {
      await sleep(Math.max(0, t0 + i * sampleS * 1000 - performance.now()));
      take((performance.now() - t0) / 1000);
      const last = samples.A[samples.A.length - 1];
      log(`${dialect} ${Math.round(last.t)} s: ${load.okCount()} requests; RSS ${cluster.procs.map((p) => `${p.name} ${((samples[p.name].at(-1)?.rss ?? 0) / MB).toFixed(0)} MB`).join(', ')}; heap ${cluster.procs.map((p) => `${p.name} ${((p.memory?.heapUsed ?? 0) / MB).toFixed(0)} MB`).join(', ')}`);
      if (cluster.procs.some((p) => !p.alive)) throw new Error(`a process died: ${cluster.procs.filter((p) => !p.alive).map((p) => `${p.name}\n${p.output().slice(-2000)}`).join('\n')}`);
    }
    await load.stop();
    const res = load.result();
    const f = figures(res);
    const { openDb } = await import(new URL('../engine/dist/store/connection.js', import.meta.url).href);
    db = await openDb(cluster.db.url, { poolMax: 2 });
    let drainError = null;
    await drainWorkflows(db.knex, { timeoutMs: 120_000 }).catch((e) => (drainError = e.message));
    const verdict = await verifyMixed(db.knex, load);
    const t0ms = performance.timeOrigin + t0;
    const memory = Object.fromEntries(
      Object.entries(samples).map(([name, s]) => [name, memoryVerdict(s, warmS, cluster.proc(name).memoryLog.map((m) => ({ t: (m.at - t0ms) / 1000, heapUsed: m.heapUsed })))]),
    );
    const ok = Object.values(memory).every((m) => m.pass) && f.errors === 0 && res.stale.length === 0 && !drainError && violationCount(verdict) === 0;
    return { dialect, processes, minutes, warmS, sampleS, clients, approvers, requests: f, memory, samples, drainError, counts: verdict.counts, violations: verdict.violations, errorsSeen: res.unexplained.slice(0, 10), ok };
  } finally {
    await db?.close().catch(() => undefined);
    await cluster.stop();
  }
}

const fmt = (x, d = 0) => (x == null ? '—' : x.toFixed(d));

export function soakMarkdown(results) {
  const rows = [];
  for (const r of results) {
    for (const [name, m] of Object.entries(r.memory)) {
      rows.push(
        `| ${r.dialect === 'pg' ? 'PostgreSQL' : 'SQLite'} | ${name} | ${r.minutes} | ${r.requests.total.toLocaleString('en-US')} | ${fmt(r.requests.rps)} | ${r.requests.errors} | ` +
          `${fmt(m.startMb)} / ${fmt(m.warmMb)} / ${fmt(m.peakMb)} / ${fmt(m.endMb)} | ${fmt(m.slopeMbPerMin, 1)} | ${fmt(m.heapFloorEarlyMb)} → ${fmt(m.heapFloorLateMb)} | ${m.pass && r.ok ? 'PASS' : '**FAIL**'} |`,
      );
    }
  }
  const notes = results.filter((r) => !r.ok).map((r) => `- ${r.dialect}: errors ${r.requests.errors}, drain ${r.drainError ?? 'ok'}, violations ${violationCount(r)}`);
  return [
    '## Soak (mixed load, memory per engine process)',
    '',
    `Mixed load back to back (${results[0]?.clients} clients + ${results[0]?.approvers} approver: creates, reads, updates, filtered lists, report runs, expenses and their approvals); SQLite: one process, PostgreSQL: two behind the proxy. ` +
      `RSS (VmRSS) sampled every ${results[0]?.sampleS} s; warm-up = the first 20 % of the run (≥ 1 sample, ≤ 60 s). ` +
      `Bound: end RSS ≤ ${BOUND.endOverWarm} × RSS after warm-up and peak ≤ ${BOUND.peakMb} MB, no error, database checks hold. ` +
      'Heap floor: the least V8 heap used (a probe reading every 2 s) in the first and the last third after warm-up, i.e. the live heap after collections; a leak raises it.',
    '',
    '| database | process | minutes | requests (all processes) | req/s | errors | RSS MB start / after warm-up / peak / end | RSS slope 2nd half MB/min | heap floor MB first → last third | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    ...(notes.length ? ['', ...notes] : []),
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
      quick: { type: 'boolean', default: false }, db: { type: 'string', default: 'both' }, minutes: { type: 'string' }, clients: { type: 'string' },
      sample: { type: 'string' }, json: { type: 'boolean', default: false },
    },
  });
  if (!['sqlite', 'pg', 'both'].includes(a.db)) throw new Error('--db must be sqlite, pg or both');
  const minutes = Number(a.minutes ?? (a.quick ? 1 : 10));
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be between 0 and 1440');
  const log = (s) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const dialects = a.db === 'both' ? ['sqlite', 'pg'] : [a.db];
  const watchdog = setTimeout(() => {
    log('the run exceeded its time limit');
    process.exit(2);
  }, (minutes * dialects.length * 60 + 600) * 1000);
  watchdog.unref();
  const results = [];
  for (const dialect of dialects) results.push(await runSoak({ dialect, minutes, clients: Number(a.clients ?? 8), sampleS: Number(a.sample ?? 10), log }));
  if (a.json) console.log(JSON.stringify(results, null, 2));
  const md = soakMarkdown(results);
  console.log(md);
  fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
  fs.writeFileSync(path.join(HERE, 'results', 'soak.json'), JSON.stringify(results, null, 2));
  fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), md + '\n');
  recordFigures(results.flatMap((r) => Object.entries(r.memory).map(([proc, m]) => ({
    bench: 'soak.js', db: r.dialect, measure: `${r.minutes} min mixed load (${Math.round(r.requests.rps)} req/s, errors ${r.requests.errors}): process ${proc} RSS at the end (warm ${Math.round(m.warmMb)} MB, peak ${Math.round(m.peakMb)} MB)`,
    value: m.endMb, unit: 'MB', target: '≤ 1.5× warm, peak ≤ 400 MB', met: m.pass, command: `node bench/soak.js --db ${r.dialect}${a.minutes ? ` --minutes ${a.minutes}` : ''}`,
  }))));
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
