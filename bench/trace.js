#!/usr/bin/env node
/**
 * Where a request's database time goes: the records benchmark's engine and floor, each in a
 * child process of its own with knex instrumented (every statement timed from knex's `query`
 * to its `query-response` event, and how long each request holds a pooled connection), under the
 * same load as bench/run.js. Diagnostics for bench/README.md "Profiling"; not part of `npm run bench`.
 *
 *   node bench/trace.js [--db sqlite|pg] [--ops create,update] [--rows N] [--count N]
 *                       [--variant no-audit-outbox,static-forms]
 *
 * The engine runs createEngine + createHttpApp from engine/dist (what `formwork serve` runs).
 * --variant changes the engine in the child for a what-if, never the engine's files:
 *   no-audit-outbox  RecordService's audit and outbox inserts do nothing
 *   static-forms     the form registry and role cache never re-check the metadata version
 *   no-workflow      the workflow dispatcher and job queue are not started (`formwork serve` starts them)
 */
import crypto from 'node:crypto';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ENGINE_DIST = new URL('../engine/dist/', import.meta.url);

const { values: args } = parseArgs({
  options: {
    serve: { type: 'string' },
    db: { type: 'string', default: 'sqlite' },
    url: { type: 'string' },
    ops: { type: 'string', default: 'create,get,list,update' },
    rows: { type: 'string', default: '100000' },
    count: { type: 'string', default: '2000' },
    clients: { type: 'string', default: '8' },
    variant: { type: 'string', default: '' },
  },
});

// ---------------------------------------------------------------------------------------------
// Child: a server with instrumented knex, answering {cmd: 'reset' | 'stats'} over IPC.

function statementKind(sql) {
  const s = sql.trim().toLowerCase().replace(/[`"]/g, '');
  if (/^(begin|commit|rollback|savepoint|release)/.test(s)) return s.split(/[\s;]/)[0];
  const verb = /^(select|insert into|update|delete from|with)\b/.exec(s)?.[1] ?? s.split(/\s/)[0];
  const table = verb === 'select' || verb === 'with' ? /\bfrom\s+([\w.]+)/.exec(s)?.[1] : /^(?:insert into|update|delete from)\s+([\w.]+)/.exec(s)?.[1];
  const extra = verb === 'select' && /\bcount\(/.test(s) ? ' count' : verb === 'select' && /for update/.test(s) ? ' for update' : '';
  return `${verb.split(' ')[0]} ${table ?? '?'}${extra}`;
}

function instrument(knex) {
  let stats;
  const reset = () => {
    stats = { kinds: new Map(), heldMs: 0, acquires: 0, cpu: process.cpuUsage(), t0: performance.now() };
  };
  reset();
  const started = new Map();
  knex.on('query', (q) => started.set(q.__knexQueryUid, performance.now()));
  const done = (_r, q) => {
    const t = started.get(q.__knexQueryUid);
    if (t === undefined) return;
    started.delete(q.__knexQueryUid);
    const k = statementKind(q.sql ?? '');
    const e = stats.kinds.get(k) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += performance.now() - t;
    stats.kinds.set(k, e);
  };
  knex.on('query-response', done);
  knex.on('query-error', (err, q) => done(err, q));
  const pool = knex.client.pool;
  const held = new Map();
  pool.on('acquireSuccess', (_id, resource) => held.set(resource, performance.now()));
  pool.on('release', (resource) => {
    const t = held.get(resource);
    if (t === undefined) return;
    held.delete(resource);
    stats.heldMs += performance.now() - t;
    stats.acquires++;
  });
  return {
    reset,
    snapshot: () => {
      const cpu = process.cpuUsage(stats.cpu);
      return {
        kinds: Object.fromEntries(stats.kinds),
        heldMs: stats.heldMs,
        acquires: stats.acquires,
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: performance.now() - stats.t0,
      };
    },
  };
}

async function serve() {
  const url = args.url;
  let app;
  let knex;
  if (args.serve === 'engine') {
    const { createEngine } = await import(new URL('app.js', ENGINE_DIST).href);
    const { createHttpApp } = await import(new URL('http/server.js', ENGINE_DIST).href);
    const { RecordService } = await import(new URL('records/record-service.js', ENGINE_DIST).href);
    const variants = new Set(args.variant.split(',').filter(Boolean));
    if (variants.has('no-audit-outbox')) {
      RecordService.prototype.audit = async () => undefined;
      RecordService.prototype.emit = async () => undefined;
    }
    const engine = await createEngine({ dbUrl: url });
    if (variants.has('static-forms')) {
      await engine.forms.all();
      engine.forms.staleAfterMs = Number.MAX_SAFE_INTEGER;
      if (engine.roles) engine.roles.staleAfterMs = Number.MAX_SAFE_INTEGER;
    }
    await engine.users.ensureAdmin('admin', process.env.FORMWORK_ADMIN_PASSWORD);
    // What `formwork serve` starts besides HTTP (the workflow dispatcher and job queue, when the engine has them).
    if (!variants.has('no-workflow')) engine.workflow?.start?.();
    app = createHttpApp(engine);
    knex = engine.db.knex;
  } else {
    const { openKnex, createFloorApp } = await import(new URL('./thin-server.js', import.meta.url).href);
    knex = await openKnex(url);
    app = createFloorApp(knex, { dialect: url.startsWith('sqlite:') ? 'sqlite' : 'pg', token: process.env.FLOOR_TOKEN });
  }
  const probe = instrument(knex);
  process.on('message', (m) => {
    if (m.cmd === 'reset') probe.reset();
    process.send({ id: m.id, stats: m.cmd === 'stats' ? probe.snapshot() : null });
  });
  process.on('disconnect', () => process.exit(0));
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`Trace ${args.serve} listening on http://127.0.0.1:${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Parent

async function main() {
  const { startServer, cleanupAll, onCleanup, waitQuiet } = await import('./lib/procs.js');
  const { Client, runLoad, summarize } = await import('./lib/load.js');
  const { LEAD_FORM, enginePaths, floorPaths, makeLead, makeUpdate, prng, LIST_PAGES } = await import('./lib/data.js');
  const { createDatabases, openEngineDb, createFloorTable, seed } = await import('./lib/db.js');
  const dialect = args.db;
  const rows = Number(args.rows);
  const count = Number(args.count);
  const clients = Number(args.clients);
  const ops = args.ops.split(',');
  const stop = async (code) => {
    await cleanupAll();
    process.exit(code);
  };
  process.on('SIGINT', () => stop(130));
  setTimeout(() => {
    process.stderr.write('trace: time limit (20 minutes)\n');
    stop(2);
  }, 20 * 60_000).unref();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-bench-'));
  fs.writeFileSync(path.join(tmp, 'pid'), String(process.pid));
  onCleanup(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  try {
    const dbs = await createDatabases(dialect, tmp);
    onCleanup(dbs.drop);
    const password = crypto.randomBytes(12).toString('hex');
    const floorToken = crypto.randomBytes(24).toString('base64url');
    const self = fileURLToPath(import.meta.url);
    const env = { FORMWORK_LOG: 'off', FORMWORK_ADMIN_PASSWORD: password, FLOOR_TOKEN: floorToken };
    const engineProc = await startServer('engine', [self, '--serve', 'engine', '--url', dbs.engineUrl, '--variant', args.variant], { env, ipc: true, readyRe: /listening on (http:\/\/\S+)/ });
    const setup = new Client(engineProc.url, null, 1);
    const token = (await setup.json('POST', '/api/auth/login', { username: 'admin', password })).body.token;
    setup.token = token;
    if ((await setup.json('PUT', '/api/meta/forms/lead', LEAD_FORM)).status !== 200) throw new Error('PUT form failed');
    if ((await setup.json('POST', '/api/meta/forms/lead/publish', {})).status !== 200) throw new Error('publish failed');
    const doc = (await setup.json('GET', '/api/meta/forms/lead')).body;
    setup.close();
    const engineDb = await openEngineDb(dbs.engineUrl);
    const floorDb = await openEngineDb(dbs.floorUrl);
    await createFloorTable(floorDb, doc);
    await seed(engineDb, rows, 1);
    await seed(floorDb, rows, 1);
    await engineDb.close();
    await floorDb.close();
    const floorProc = await startServer('floor', [self, '--serve', 'floor', '--url', dbs.floorUrl], { env, ipc: true, readyRe: /listening on (http:\/\/\S+)/ });

    const sides = [
      { name: 'floor', proc: floorProc, client: new Client(floorProc.url, floorToken, clients), paths: floorPaths() },
      { name: 'engine', proc: engineProc, client: new Client(engineProc.url, token, clients), paths: enginePaths() },
    ];
    for (const s of sides) {
      s.rand = { create: prng(1), get: prng(2), list: prng(3), update: prng(4), body: prng(5) };
      s.versions = new Map();
      s.created = 0;
    }
    const perWorker = Math.floor(rows / clients);
    const builder = (s, op) => ({
      create: () => ({ method: 'POST', path: s.paths.create, body: makeLead(s.rand.create, rows + ++s.created), expect: 201 }),
      get: () => ({ method: 'GET', path: s.paths.get(1 + Math.floor(s.rand.get() * rows)) }),
      list: () => ({ method: 'GET', path: s.paths.list(1 + Math.floor(s.rand.list() * LIST_PAGES)) }),
      update: (_i, w) => {
        const id = 1 + w + clients * Math.floor(s.rand.update() * perWorker);
        return {
          method: 'PATCH', path: s.paths.update(id), body: { ...makeUpdate(s.rand.body), _version: s.versions.get(id) ?? 1 },
          onResponse: (r) => s.versions.set(id, JSON.parse(r.text)._version),
        };
      },
    })[op];

    const out = [];
    for (const op of ops) {
      for (const s of sides) {
        const q = await waitQuiet(120_000);
        if (!q.quiet) process.stderr.write(`trace: the machine is busy (${q.busy.toFixed(2)} CPUs); measuring anyway\n`);
        await runLoad(s.client, { count: Math.min(500, count), concurrency: clients, next: builder(s, op), maxMs: 120_000 });
        await s.proc.ask({ cmd: 'reset' });
        const r = await runLoad(s.client, { count, concurrency: clients, next: builder(s, op), maxMs: 180_000 });
        const { stats } = await s.proc.ask({ cmd: 'stats' });
        const sum = summarize(r.latencies, r.wallMs);
        const n = sum.requests || 1;
        const kinds = Object.entries(stats.kinds).sort((a, b) => b[1].ms - a[1].ms);
        const statements = kinds.reduce((t, [, e]) => t + e.n, 0);
        const dbMs = kinds.reduce((t, [, e]) => t + e.ms, 0);
        out.push({ op, side: s.name, rps: sum.rps, p50: sum.p50, p99: sum.p99, errors: r.errors, perRequest: {
          statements: statements / n, dbMs: dbMs / n, heldMs: stats.heldMs / n, acquires: stats.acquires / n, cpuMs: stats.cpuMs / n,
        }, kinds: kinds.map(([k, e]) => ({ kind: k, perRequest: e.n / n, msPerRequest: e.ms / n, msEach: e.ms / e.n })) });
        const o = out[out.length - 1];
        process.stdout.write(
          `\n${dialect} ${op} ${s.name}${s.name === 'engine' && args.variant ? ` [${args.variant}]` : ''}: ${Math.round(o.rps)} req/s, p50 ${o.p50?.toFixed(2)} ms, p99 ${o.p99?.toFixed(2)} ms, errors ${o.errors}\n` +
          `  per request: ${o.perRequest.statements.toFixed(2)} statements, ${o.perRequest.dbMs.toFixed(3)} ms in statements, ` +
          `connection held ${o.perRequest.heldMs.toFixed(3)} ms over ${o.perRequest.acquires.toFixed(2)} acquisitions, server CPU ${o.perRequest.cpuMs.toFixed(3)} ms\n` +
          o.kinds.map((k) => `    ${k.kind.padEnd(34)} ${k.perRequest.toFixed(2)}/req  ${k.msEach.toFixed(3)} ms each  ${k.msPerRequest.toFixed(3)} ms/req`).join('\n') + '\n',
        );
      }
    }
    for (const s of sides) s.client.close();
    fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
    const file = path.join(HERE, 'results', `trace-${dialect}${args.variant ? '-' + args.variant.replace(/,/g, '+') : ''}.json`);
    fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, dialect, rows, count, clients, variant: args.variant, results: out }, null, 2) + '\n');
    process.stdout.write(`\nWrote ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await cleanupAll();
  }
}

if (args.serve) await serve();
else await main();
