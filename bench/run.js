#!/usr/bin/env node
/**
 * The records benchmark: the engine over HTTP against a floor measured in the same run.
 * See bench/README.md.
 *
 *   node bench/run.js [--quick] [--db sqlite|pg|both] [--profile] [--ops create,get,list,update]
 *                     [--rows N] [--clients N]
 *
 * Writes bench/results/summary.md and bench/results/records.json.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer, cleanupAll, onCleanup, processCpuMs, commandCpuMs, machineBusyMs, waitQuiet } from './lib/procs.js';
import { Client, runLoad, summarize } from './lib/load.js';
import { LEAD_FORM, enginePaths, floorPaths, makeLead, makeUpdate, prng, LIST_PAGES } from './lib/data.js';
import { createDatabases, openEngineDb, createFloorTable, compareSchemas, seed, rowCount, removeLeftovers } from './lib/db.js';
import { verdict, writeResults, dialectSection } from './lib/report.js';
import { recordFigures } from './lib/figures.js';
import { analyzeProfile, profileText } from './lib/profile.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const BIN = path.join(REPO, 'engine/bin/formwork.js');
const RESULTS = path.join(HERE, 'results');
const OPS = ['create', 'get', 'list', 'update'];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    db: { type: 'string', default: 'both' },
    profile: { type: 'boolean', default: false },
    ops: { type: 'string' },
    rows: { type: 'string' },
    clients: { type: 'string' },
    rounds: { type: 'string' },
    'quiet-wait': { type: 'string' },
  },
});
if (!['sqlite', 'pg', 'both'].includes(args.db)) throw new Error('--db must be sqlite, pg or both');
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];
const ops = args.ops ? args.ops.split(',').map((s) => s.trim()) : OPS;
for (const op of ops) if (!OPS.includes(op)) throw new Error(`unknown op ${op} (${OPS.join(', ')})`);

const config = args.quick
  ? { quick: true, rows: 10_000, warmup: 200, counts: { create: 600, get: 1000, list: 400, update: 400 }, phaseMaxMs: 60_000, totalMaxMs: 15 * 60_000 }
  : { quick: false, rows: 100_000, warmup: 500, counts: { create: 3000, get: 5000, list: 2000, update: 2000 }, phaseMaxMs: 180_000, totalMaxMs: 60 * 60_000 };
config.clients = args.clients ? Number(args.clients) : 8;
config.rounds = args.rounds ? Number(args.rounds) : config.quick ? 1 : 3;
if (!Number.isInteger(config.rounds) || config.rounds < 1 || config.rounds > 20) throw new Error('--rounds must be between 1 and 20');
if (args.rows) config.rows = Number(args.rows);
if (!Number.isInteger(config.rows) || config.rows < 1000 || config.rows > 5_000_000) throw new Error('--rows must be between 1000 and 5,000,000');
if (!Number.isInteger(config.clients) || config.clients < 1 || config.clients > 256) throw new Error('--clients must be between 1 and 256');
config.ops = ops;
// Before each operation, wait up to this long for other processes to leave the CPUs alone.
config.quietWaitMs = args['quiet-wait'] != null ? Number(args['quiet-wait']) * 1000 : config.quick ? 10_000 : 120_000;
config.profile = args.profile;

const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---- stopping: always kill the children and drop the databases ----
let exiting = false;
async function bail(code, why) {
  if (exiting) return;
  exiting = true;
  if (why) process.stderr.write(`bench: ${why}\n`);
  await cleanupAll();
  process.exit(code);
}
process.on('SIGINT', () => bail(130, 'interrupted'));
process.on('SIGTERM', () => bail(143, 'terminated'));
process.on('uncaughtException', (e) => bail(1, e?.stack ?? String(e)));
process.on('unhandledRejection', (e) => bail(1, e?.stack ?? String(e)));
const watchdog = setTimeout(() => bail(2, `the whole run exceeded ${config.totalMaxMs / 60_000} minutes`), config.totalMaxMs);
watchdog.unref();

// ---- one measured phase ----
function cpuSnapshot(proc, dialect) {
  return { server: processCpuMs(proc.pid), db: dialect === 'pg' ? commandCpuMs('postgres') : null, client: process.cpuUsage(), machine: machineBusyMs() };
}
function cpuDelta(a, b) {
  const d = (x, y) => (x == null || y == null ? null : y - x);
  const client = (b.client.user + b.client.system - a.client.user - a.client.system) / 1000;
  const server = d(a.server, b.server);
  const machine = d(a.machine, b.machine);
  // CPU the rest of the machine used meanwhile (other processes: interference).
  const other = machine == null || server == null ? null : Math.max(0, machine - server - client - (d(a.db, b.db) ?? 0));
  return { server, db: d(a.db, b.db), client, machine, other };
}

/**
 * A target: a server, its client and its request builders. `state` keeps what the builders
 * need between phases (the update versions, per-op PRNGs with the same seeds on both sides).
 */
function makeTarget(name, proc, token, paths, rows, dialect) {
  const client = new Client(proc.url, token, config.clients);
  const versions = new Map();
  const rand = { create: prng(1001), get: prng(1002), list: prng(1003), update: prng(1004), updateBody: prng(1005) };
  let created = 0;
  const perWorker = Math.floor(rows / config.clients);
  const builders = {
    create: () => ({ method: 'POST', path: paths.create, body: makeLead(rand.create, rows + ++created), expect: 201 }),
    get: () => ({ method: 'GET', path: paths.get(1 + Math.floor(rand.get() * rows)) }),
    list: () => ({ method: 'GET', path: paths.list(1 + Math.floor(rand.list() * LIST_PAGES)) }),
    // Worker w only touches ids ≡ w+1 (mod clients): no two clients race on a record, so a 409 is a bug.
    update: (_i, w) => {
      const id = 1 + w + config.clients * Math.floor(rand.update() * perWorker);
      const v = versions.get(id) ?? 1;
      return {
        method: 'PATCH', path: paths.update(id), body: { ...makeUpdate(rand.updateBody), _version: v },
        onResponse: (r) => versions.set(id, JSON.parse(r.text)._version),
        onError: (r) => {
          try {
            const cur = JSON.parse(r.text)?.error?.details?.currentVersion;
            if (cur) versions.set(id, cur);
          } catch { /* not JSON */ }
        },
      };
    },
  };
  return { name, proc, client, builders, dialect };
}

async function phase(target, op, count) {
  const before = cpuSnapshot(target.proc, target.dialect);
  const r = await runLoad(target.client, { count, concurrency: config.clients, next: target.builders[op], maxMs: config.phaseMaxMs });
  const cpu = cpuDelta(before, cpuSnapshot(target.proc, target.dialect));
  if (target.proc.exited) throw new Error(`${target.name} exited during ${op}:\n${target.proc.output().slice(-3000)}`);
  return { ...r, cpu };
}

/**
 * Warm both, then measure in `rounds` rounds of floor, engine, engine, floor (ABBA), each part
 * 1/(2·rounds) of the requests: drift and bursts of outside load hit both alike.
 */
async function measureOp(op, engine, floor) {
  const n = config.counts[op];
  let quiet = null;
  if (config.quietWaitMs > 0) {
    quiet = await waitQuiet(config.quietWaitMs);
    if (quiet.waitedMs > 4000) log(`  waited ${(quiet.waitedMs / 1000).toFixed(0)} s for a quiet machine${quiet.quiet ? '' : ` (still ${quiet.busy.toFixed(2)} CPUs busy; measuring anyway)`}`);
  }
  for (const t of [floor, engine]) {
    const w = await phase(t, op, config.warmup);
    if (w.errors) throw new Error(`${t.name} ${op} warm-up: ${w.errors} errors, e.g. ${w.errorSamples[0]}`);
  }
  const parts = 2 * config.rounds;
  const size = (i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0);
  const acc = { engine: [], floor: [] };
  const order = [];
  for (let r = 0; r < config.rounds; r++) order.push([floor, size(2 * r)], [engine, size(2 * r)], [engine, size(2 * r + 1)], [floor, size(2 * r + 1)]);
  for (const [t, k] of order) acc[t === engine ? 'engine' : 'floor'].push(await phase(t, op, k));
  const combine = (parts) => {
    const lat = [];
    for (const p of parts) lat.push(...p.latencies);
    const wall = parts.reduce((s, p) => s + p.wallMs, 0);
    const sum = (k) => (parts.some((p) => p.cpu[k] == null) ? null : parts.reduce((s, p) => s + p.cpu[k], 0));
    return {
      ...summarize(lat, wall),
      wallMs: wall,
      errors: parts.reduce((s, p) => s + p.errors, 0),
      errorSamples: parts.flatMap((p) => p.errorSamples).slice(0, 3),
      timedOut: parts.some((p) => p.timedOut),
      serverCpuMs: sum('server'),
      dbCpuMs: sum('db'),
      clientCpuMs: sum('client'),
      otherCpuMs: sum('other'),
    };
  };
  const e = combine(acc.engine);
  const f = combine(acc.floor);
  return { engine: e, floor: f, verdict: verdict(op, e, f), quietBefore: quiet };
}

// ---- sanity: both servers return the same records for the same requests ----
/** Equal as JSON values: the order of an object's keys does not count. */
function sameJson(a, b) {
  const canonical = (v) => (Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v);
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
async function crossCheck(engine, floor, rows) {
  const ep = enginePaths();
  const fp = floorPaths();
  for (const id of [1, Math.ceil(rows / 2), rows]) {
    const a = await engine.client.json('GET', ep.get(id));
    const b = await floor.client.json('GET', fp.get(id));
    if (a.status !== 200 || b.status !== 200 || !sameJson(a.body, b.body)) {
      throw new Error(`GET ${id} differs:\nengine ${a.status} ${JSON.stringify(a.body)}\nfloor  ${b.status} ${JSON.stringify(b.body)}`);
    }
  }
  for (const page of [1, LIST_PAGES]) {
    const a = await engine.client.json('GET', ep.list(page));
    const b = await floor.client.json('GET', fp.list(page));
    // the cursors encode the same position differently (the engine's is opaque): compare whether there is one
    const cursorless = (x) => ({ ...x, next: x?.next == null ? null : 'cursor' });
    if (a.status !== 200 || b.status !== 200 || !sameJson(cursorless(a.body), cursorless(b.body))) {
      const meta = (x) => JSON.stringify({ ...cursorless(x), items: x?.items?.length });
      const i = (a.body?.items ?? []).findIndex((r, k) => !sameJson(r, b.body?.items?.[k]));
      throw new Error(`list page ${page} differs (${a.status} / ${b.status}):\nengine ${meta(a.body)}\nfloor  ${meta(b.body)}` +
        (i >= 0 ? `\nfirst differing item #${i}:\nengine ${JSON.stringify(a.body.items[i])}\nfloor  ${JSON.stringify(b.body.items?.[i])}` : ''));
    }
    if (page === 1) log(`  cross-check: list total ${a.body.total}, ${a.body.items.length} items per page, same on both`);
  }
}

function newestProfile(dir) {
  if (!fs.existsSync(dir)) return null;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return files[0] ?? null;
}

// ---- one database ----
async function benchDialect(dialect, tmpDir) {
  log(`${dialect}: creating databases`);
  const dbs = await createDatabases(dialect, tmpDir);
  const undoDrop = onCleanup(dbs.drop);
  const opened = [];
  const undoClose = onCleanup(async () => {
    for (const d of opened) await d.close().catch(() => undefined);
  });
  const profileDirs = { engine: path.join(RESULTS, 'profiles', `${dialect}-engine`), floor: path.join(RESULTS, 'profiles', `${dialect}-floor`) };
  const profArgs = (who) => (config.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDirs[who]] : []);
  if (config.profile) for (const d of Object.values(profileDirs)) fs.rmSync(d, { recursive: true, force: true });

  // The engine: a real `formwork serve` process.
  const adminPassword = crypto.randomBytes(12).toString('hex');
  const engineProc = await startServer('engine', [BIN, 'serve', '--port', '0', '--db', dbs.engineUrl], {
    cwd: REPO,
    env: { FORMWORK_LOG: 'off', FORMWORK_ADMIN_PASSWORD: adminPassword, FORMWORK_ADMIN_USER: 'admin' },
    nodeArgs: profArgs('engine'),
    readyRe: /Formwork listening on (http:\/\/\S+)/,
  });
  log(`${dialect}: engine pid ${engineProc.pid} at ${engineProc.url}`);
  const setup = new Client(engineProc.url, null, 1);
  const login = await setup.json('POST', '/api/auth/login', { username: 'admin', password: adminPassword });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.token;
  setup.token = token;
  const put = await setup.json('PUT', '/api/meta/forms/lead', LEAD_FORM);
  if (put.status !== 200) throw new Error(`PUT form: ${put.status} ${JSON.stringify(put.body)}`);
  const pub = await setup.json('POST', '/api/meta/forms/lead/publish', {});
  if (pub.status !== 200) throw new Error(`publish: ${pub.status} ${JSON.stringify(pub.body)}`);
  const doc = (await setup.json('GET', '/api/meta/forms/lead')).body;
  setup.close();
  for (const f of doc.fields) if (f.column !== f.key) throw new Error(`field ${f.key} has column ${f.column}; the floor assumes column = key`);

  // The floor's table in its own database, with the engine's DDL; then the same rows in both.
  const engineDb = await openEngineDb(dbs.engineUrl);
  opened.push(engineDb);
  const floorDb = await openEngineDb(dbs.floorUrl);
  opened.push(floorDb);
  await createFloorTable(floorDb, doc);
  const schema = await compareSchemas(engineDb, floorDb, 't_lead');
  const admin = await engineDb.knex('fw_users').where({ username: 'admin' }).first('id');
  const userId = Number(admin.id);
  log(`${dialect}: seeding ${config.rows.toLocaleString('en-US')} rows into each table`);
  const t0 = performance.now();
  await seed(engineDb, config.rows, userId);
  await seed(floorDb, config.rows, userId);
  const seedMs = performance.now() - t0;
  log(`${dialect}: seeded in ${(seedMs / 1000).toFixed(1)} s`);

  const floorToken = crypto.randomBytes(24).toString('base64url');
  const floorProc = await startServer('floor', [path.join(HERE, 'thin-server.js'), '--db', dbs.floorUrl, '--port', '0'], {
    cwd: REPO,
    env: { FLOOR_TOKEN: floorToken },
    nodeArgs: profArgs('floor'),
    readyRe: /Floor listening on (http:\/\/\S+)/,
  });
  log(`${dialect}: floor pid ${floorProc.pid} at ${floorProc.url}`);

  const engine = makeTarget('engine', engineProc, token, enginePaths(), config.rows, dialect);
  const floor = makeTarget('floor', floorProc, floorToken, floorPaths(), config.rows, dialect);
  await crossCheck(engine, floor, config.rows);

  const results = { dialect, rows: config.rows, seedMs, databases: dbs.label, schema, ops: {} };
  for (const op of ops) {
    log(`${dialect}: ${op} …`);
    const r = await measureOp(op, engine, floor);
    results.ops[op] = r;
    const v = r.verdict;
    log(`${dialect}: ${op}: engine ${Math.round(r.engine.rps)} req/s p50 ${r.engine.p50?.toFixed(2)} p99 ${r.engine.p99?.toFixed(2)} | floor ${Math.round(r.floor.rps)} req/s p50 ${r.floor.p50?.toFixed(2)} p99 ${r.floor.p99?.toFixed(2)} | ratio ${v.ratio?.toFixed(2)} (${v.metric})${v.met == null ? '' : v.met ? ' met' : ' MISSED'}`);
  }
  engine.client.close();
  floor.client.close();
  results.finalRows = { engine: await rowCount(engineDb), floor: await rowCount(floorDb) };

  await engineProc.stop();
  await floorProc.stop();
  const profiles = [];
  if (config.profile) {
    for (const who of ['engine', 'floor']) {
      const file = newestProfile(profileDirs[who]);
      if (!file) continue;
      const a = analyzeProfile(file);
      profiles.push({ dialect, who, file: path.relative(REPO, file), analysis: a, text: profileText(`${dialect} ${who} (${path.relative(REPO, file)})`, a) });
    }
  }
  for (const d of opened) await d.close();
  opened.length = 0;
  undoClose();
  await dbs.drop();
  undoDrop();
  return { results, profiles };
}

// ---- main ----
for (const r of await removeLeftovers(os.tmpdir(), dialects)) log(`removed a leftover of a killed run: ${r}`);
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-bench-'));
fs.writeFileSync(path.join(tmpDir, 'pid'), String(process.pid));
onCleanup(async () => fs.rmSync(tmpDir, { recursive: true, force: true }));
fs.mkdirSync(RESULTS, { recursive: true });

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
  profiles: [],
};
log(`records benchmark${config.quick ? ' --quick' : ''}: ${dialects.join(' + ')}, ${config.rows.toLocaleString('en-US')} rows, ${config.clients} clients, ops ${ops.join(',')}`);
for (const d of dialects) {
  const { results, profiles } = await benchDialect(d, tmpDir);
  all.dialects.push(results);
  all.profiles.push(...profiles);
  process.stdout.write('\n' + dialectSection(results) + '\n\n');
}
all.machine.loadavgAtEnd = os.loadavg();
// Only the figures in records.json (latency arrays stay out; the text of the profiles in summary.md).
const summary = writeResults(RESULTS, {
  ...all,
  profiles: all.profiles.map((p) => ({ dialect: p.dialect, who: p.who, file: p.file, busyMs: p.analysis.busyMs, modules: p.analysis.modules, self: p.analysis.self, inclusive: p.analysis.inclusive.slice(0, 80), text: p.text })),
});
{
  const cmd = `node bench/run.js${config.quick ? ' --quick' : ''}`;
  recordFigures(all.dialects.flatMap((d) => Object.entries(d.ops).map(([op, r]) => (r.verdict.metric === 'p50'
    ? { bench: 'run.js', db: d.dialect, measure: `${op}: p50 at ${d.rows.toLocaleString('en-US')} rows`, value: r.engine.p50, unit: 'ms', floor: r.floor.p50, ratio: r.verdict.ratio, target: r.verdict.target, met: r.verdict.met, command: `${cmd} --db ${d.dialect}` }
    : { bench: 'run.js', db: d.dialect, measure: `${op}: requests/s (p50 ${r.engine.p50?.toFixed(1)} ms, p99 ${r.engine.p99?.toFixed(1)} ms)`, value: r.engine.rps, unit: 'req/s', floor: r.floor.rps, ratio: r.verdict.ratio, target: r.verdict.target === '—' ? undefined : r.verdict.target, met: r.verdict.met ?? undefined, command: `${cmd} --db ${d.dialect}` }))));
}
process.stdout.write(summary.split('\n').filter((l) => l.startsWith('- ') && /: (met|MISSED) /.test(l)).join('\n') + '\n');
process.stdout.write(`\nWrote ${path.relative(process.cwd(), path.join(RESULTS, 'summary.md'))} and ${path.relative(process.cwd(), path.join(RESULTS, 'records.json'))}\n`);
clearTimeout(watchdog);
await cleanupAll();
