#!/usr/bin/env node
/**
 * Chaos: two `formwork serve` processes on one PostgreSQL database behind the round-robin proxy
 * (bench/lib/cluster.js), mixed load through the proxy (bench/lib/mixed-load.js), and every
 * `--every` seconds one process killed with SIGKILL mid-load and restarted `--down` seconds later
 * (B, A, B, …). After the first restart a metadata change (a revision of `ticket` adding a
 * field) is published through the restarted process and a record carrying the new field is
 * written through the OTHER one. Then the load stops, the workflows drain and the database is
 * checked against what the clients were told (verifyMixed): every acknowledged write present,
 * every workflow effect exactly once, every task decided at most once; and every error the
 * clients saw is one the proxy's retry rule explains (a write in flight when its process died:
 * 502 upstream-cut, not acknowledged) — see bench/README.md, "Clusters".
 *
 *   node bench/chaos.js [--quick] [--seconds 180] [--every 30] [--down 2] [--clients 8] [--approvers 2] [--json]
 *   node bench/chaos.js --no-kill                # the same load and checks, nobody killed
 *
 * --quick: 40 s, one kill. engine/test/cli/chaos.test.ts runs the bounded form in CI.
 * Exit code 0 when every check holds, 1 otherwise. Appends a section to bench/results/summary.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createCluster, ADMIN_PASSWORD, sleep } from './lib/cluster.js';
import { setupMixed, createMixedLoad, addTicketField, drainWorkflows, verifyMixed, violationCount, figures } from './lib/mixed-load.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Run the scenario and answer its report (never throws for a failed check: the report lists
 * them; throws only when the setup fails).
 * `seconds`: load duration in total; `everyS`: a kill every N seconds (first at N); `downS`:
 * seconds a killed process stays down; `kills`: at most this many (0: none); `minAfterRestartS`: the
 * load goes on at least this long after the last restart, however long the restart took.
 */
export async function runChaos({ seconds = 180, everyS = 30, downS = 2, kills = Infinity, clients = 8, approvers = 2, metadata = true, minAfterRestartS = 6, log = () => {}, drainTimeoutMs = 90_000 } = {}) {
  const t0 = Date.now();
  const cluster = await createCluster({ dialect: 'pg', processes: 2, log });
  let db = null;
  try {
    const [A, B] = cluster.procs;
    const users = await setupMixed(A.url, { adminPassword: ADMIN_PASSWORD, clerks: 4, others: [B.url] });
    const load = createMixedLoad(cluster.proxy.url, users, { clients, approvers, seed: 7 });
    load.start();
    const loadStart = Date.now();
    const events = [];
    const ackAt = () => load.okCount();
    let meta = null;
    let victim = 1; // B first
    let done = 0;
    let restarted = null;
    while (Date.now() - loadStart < seconds * 1000) {
      const nextKill = loadStart + (done + 1) * everyS * 1000;
      const end = loadStart + seconds * 1000;
      if (done >= kills || nextKill + downS * 1000 + 5000 > end) {
        await sleep(Math.max(0, end - Date.now()));
        break;
      }
      await sleep(Math.max(0, nextKill - Date.now()));
      const p = cluster.procs[victim];
      const okBefore = ackAt();
      await cluster.kill(p.name, 'SIGKILL');
      events.push({ at: (Date.now() - loadStart) / 1000, event: `kill -9 ${p.name}`, acknowledgedSoFar: okBefore });
      await sleep(downS * 1000);
      const okWhileDown = ackAt() - okBefore;
      await cluster.restart(p.name);
      restarted = { name: p.name, ok: ackAt(), served: cluster.proxy.stats.served[p.name], at: Date.now() };
      events.push({ at: (Date.now() - loadStart) / 1000, event: `restarted ${p.name}`, acknowledgedWhileDown: okWhileDown });
      done++;
      if (metadata && !meta) {
        const other = cluster.procs[1 - victim];
        meta = await addTicketField({ publishVia: p.url, writeVia: other.url, adminToken: users.admin, writerToken: users.clerks[0].token, load });
        meta.publishedOn = p.name;
        meta.writtenOn = other.name;
        events.push({ at: (Date.now() - loadStart) / 1000, event: `ticket revision ${meta.revision} published on ${p.name}; ${other.name} accepted the new field after ${meta.seenAfterMs} ms (${meta.attempts} attempts)` });
      }
      victim = 1 - victim;
    }
    // However slow the restart was, the load runs on both processes for a while afterwards.
    if (restarted) await sleep(Math.max(0, restarted.at + minAfterRestartS * 1000 - Date.now()));
    if (metadata && !meta) {
      meta = await addTicketField({ publishVia: B.url, writeVia: A.url, adminToken: users.admin, writerToken: users.clerks[0].token, load });
      meta.publishedOn = 'B';
      meta.writtenOn = 'A';
    }
    await load.stop();
    const afterRestart = restarted && { process: restarted.name, acknowledged: ackAt() - restarted.ok, servedByRestarted: cluster.proxy.stats.served[restarted.name] - restarted.served };
    const res = load.result();
    log(`load stopped after ${(res.wallMs / 1000).toFixed(1)} s: ${load.okCount()} acknowledged requests; draining the workflows`);
    const { openDb } = await import(new URL('../engine/dist/store/connection.js', import.meta.url).href);
    db = await openDb(cluster.db.url, { poolMax: 2 });
    const drainStart = Date.now();
    let drained = null;
    let drainError = null;
    try {
      drained = await drainWorkflows(db.knex, { timeoutMs: drainTimeoutMs });
    } catch (e) {
      drainError = e.message;
    }
    const drainMs = Date.now() - drainStart;
    const verdict = await verifyMixed(db.knex, load);
    let metaRecord = null;
    if (meta) {
      const row = await db.knex('t_ticket').where({ id: meta.record.id }).first();
      metaRecord = row ? { id: Number(row.id), extra: row.extra ?? null } : null;
    }
    const proxy = cluster.proxy.stats;
    // Client-side status 0 (the connection to the proxy cut) happens only when the proxy
    // aborted an answer it had begun forwarding: at most proxy.aborted of them.
    const netErrors = res.unexplained.filter((e) => e.status === 0);
    const unexplained = netErrors.length <= proxy.aborted ? res.unexplained.filter((e) => e.status !== 0) : res.unexplained;
    const f = figures(res);
    const report = {
      seconds: (Date.now() - t0) / 1000,
      loadSeconds: res.wallMs / 1000,
      clients, approvers,
      events,
      kills: done,
      afterRestart,
      processes: cluster.procs.map((p) => ({ name: p.name, starts: p.starts, served: proxy.served[p.name] })),
      proxy: { retried: proxy.retried, cut: proxy.cut, aborted: proxy.aborted, noUpstream: proxy.noUpstream, timeouts: proxy.timeouts, cutRequests: proxy.cutRequests.slice(0, 50) },
      requests: { acknowledged: f.total, rps: f.rps, byKind: f.byKind },
      cut: res.cut,
      explained: res.explained.length,
      explainedSamples: res.explained.slice(0, 20),
      unexplained,
      staleReads: res.stale,
      metadata: meta ? { revision: meta.revision, publishedOn: meta.publishedOn, writtenOn: meta.writtenOn, seenAfterMs: meta.seenAfterMs, attempts: meta.attempts, record: meta.record.id, stored: metaRecord, value: meta.value } : null,
      drain: { ms: drainMs, error: drainError, ...drained },
      counts: verdict.counts,
      violations: verdict.violations,
    };
    report.ok = !drainError && violationCount(verdict) === 0 && unexplained.length === 0 && res.stale.length === 0 && (!meta || metaRecord?.extra === meta.value);
    return report;
  } catch (e) {
    for (const p of cluster.procs) if (p.output?.().trim()) log(`--- output of ${p.name} ---\n${p.output().trim().slice(-3000)}`);
    throw e;
  } finally {
    await db?.close().catch(() => undefined);
    await cluster.stop();
  }
}

const fmt = (x, d = 1) => (x == null ? '—' : x.toFixed(d));

export function chaosMarkdown(r, { title = 'Chaos (two processes on PostgreSQL behind the proxy, kill -9 mid-load)' } = {}) {
  const v = r.violations;
  const kinds = Object.entries(r.requests.byKind).filter(([, k]) => k.ok || k.errors);
  return [
    `## ${title}`,
    '',
    `${r.loadSeconds.toFixed(0)} s of mixed load (${r.clients} clients, ${r.approvers} approvers) through the proxy; ${r.kills} kill -9 + restart; ${r.requests.acknowledged.toLocaleString('en-US')} acknowledged requests (${fmt(r.requests.rps, 0)} req/s overall).`,
    '',
    '| kind | acknowledged | p50 ms | p99 ms | other answers |',
    '|---|---|---|---|---|',
    ...kinds.map(([k, x]) => `| ${k} | ${x.ok} | ${fmt(x.p50)} | ${fmt(x.p99)} | ${Object.entries(x.statuses).map(([s, c]) => `${s}×${c}`).join(' ') || '—'} |`),
    '',
    `Proxy: retried ${r.proxy.retried.refused} refused connections (any method) and ${r.proxy.retried.reset} reset idempotent requests on the other process; answered ${r.proxy.cut} non-idempotent requests cut in flight with 502 upstream-cut (not acknowledged), aborted ${r.proxy.aborted} answers mid-body.`,
    `Errors explained by that rule: ${r.explained}; unexplained: **${r.unexplained.length}**; stale reads: ${r.staleReads.length}.`,
    r.metadata ? `Metadata: ticket revision ${r.metadata.revision} published on ${r.metadata.publishedOn}; ${r.metadata.writtenOn} accepted a record with the new field ${r.metadata.seenAfterMs} ms later (${r.metadata.attempts} attempts).` : '',
    `Drain after the load: ${(r.drain.ms / 1000).toFixed(1)} s${r.drain.error ? ` (**${r.drain.error}**)` : ''}. Database: ${r.counts.tickets} tickets (${r.counts.acknowledgedTickets} acknowledged), ${r.counts.expenses} expenses, ${r.counts.effects} effects, ${r.counts.doneTasks}/${r.counts.tasks} tasks done (${r.counts.acknowledgedCompletions} acknowledged).`,
    `Checks: acknowledged tickets missing ${v.missingTickets.length}, older ${v.olderTickets.length}, changed ${v.changedTickets.length}; expenses missing ${v.missingExpenses.length}; ticket effects ≠ 1: ${v.ticketEffects.length}; approval effects wrong: ${v.approvalEffects.length}; orphan effects ${v.orphanEffects.length}; instances ≠ 1 per record: ${v.instancesPerRecord.length}; tasks decided twice: ${v.tasksTwice.length}; acknowledged completions not done: ${v.completionsNotDone.length} → **${r.ok ? 'PASS' : 'FAIL'}**`,
    '',
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, ${new Date().toISOString()}`,
    '',
  ].filter((l) => l !== null).join('\n');
}

export function appendSummary(text) {
  fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
  fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), text + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // strict: false — bench/all.js passes every benchmark the same arguments; others' options are ignored here
  const { values: a } = parseArgs({
    strict: false,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false }, db: { type: 'string', default: 'both' }, seconds: { type: 'string' }, every: { type: 'string' },
      down: { type: 'string' }, clients: { type: 'string' }, approvers: { type: 'string' }, 'no-kill': { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
    },
  });
  if (a.db === 'sqlite') {
    console.log('chaos.js: PostgreSQL only (two processes on one database); skipped for --db sqlite');
    process.exit(0);
  }
  const log = (s) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const watchdog = setTimeout(() => {
    log('the run exceeded its time limit');
    process.exit(2);
  }, (Number(a.seconds ?? (a.quick ? 40 : 180)) + 300) * 1000);
  watchdog.unref();
  const r = await runChaos({
    seconds: Number(a.seconds ?? (a.quick ? 40 : 180)),
    everyS: Number(a.every ?? (a.quick ? 15 : 30)),
    downS: Number(a.down ?? 2),
    kills: a['no-kill'] ? 0 : a.quick ? 1 : Infinity,
    clients: Number(a.clients ?? 8),
    approvers: Number(a.approvers ?? 2),
    log,
  });
  if (a.json) console.log(JSON.stringify(r, null, 2));
  const md = chaosMarkdown(r, a['no-kill'] ? { title: 'Chaos checks without kills (two processes on PostgreSQL behind the proxy)' } : undefined);
  console.log(md);
  if (!r.ok) console.log(JSON.stringify({ unexplained: r.unexplained.slice(0, 20), staleReads: r.staleReads.slice(0, 20), violations: Object.fromEntries(Object.entries(r.violations).map(([k, x]) => [k, x.slice(0, 10)])), drain: r.drain, metadata: r.metadata }, null, 2));
  appendSummary(md);
  recordFigures([{
    bench: 'chaos.js', db: 'pg', measure: `kill -9 under mixed load: ${r.kills} kill(s), ${r.requests.acknowledged.toLocaleString('en-US')} acknowledged requests; lost writes, effects twice, unexplained errors`,
    value: r.unexplained.length + violationCount(r), unit: 'violations', target: '0', met: r.ok, command: `node bench/chaos.js${a.quick ? ' --quick' : ''}`,
  }]);
  process.exit(r.ok ? 0 : 1);
}
