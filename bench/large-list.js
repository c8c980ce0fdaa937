#!/usr/bin/env node
/**
 * Lists at a million rows: the list endpoint of one `formwork serve` over HTTP against the floor —
 * the same SQL run through knex in this process on the same database (no HTTP, no engine) — for
 * the pages people actually open:
 *   first     the first page, newest first, no filter
 *   filtered  an indexed equality plus a range, sorted by an unindexed money field
 *   deep      row 500,000 by OFFSET (`page=25000`)            — what keyset paging replaces
 *   keyset    the same rows by cursor (`after=`)               — the engine's answer
 *   by date   sorted by a date field no form marks indexed, before and after a published report
 *             groups by it (the index derived from the report's metadata)
 * Counts are capped (10,000) by default; one scenario asks `count=exact` for comparison.
 *
 *   node bench/large-list.js [--quick] [--db sqlite|pg|both] [--rows N]
 *
 * Rows are seeded with knex (the rows RecordService would store, as bench/run.js does). --quick:
 * 100,000 rows. Figures: p50/p99 ms of 200 requests (8 clients) per scenario, and engine ÷ floor.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LEAD_FORM, TABLE, LIST_FILTER, prng, makeLead, leadRow } from './lib/data.js';
import { createDatabases, openEngineDb } from './lib/db.js';
import { Client, runLoad, summarize } from './lib/load.js';
import { startServer, cleanupAll, onCleanup } from './lib/procs.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const BIN = path.join(ROOT, 'engine/bin/formwork.js');
const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, db: { type: 'string', default: 'both' }, rows: { type: 'string' } } });
const ROWS = Number(args.rows ?? (args.quick ? 100_000 : 1_000_000));
const REQUESTS = args.quick ? 100 : 200;
const PASSWORD = 'bench-password-123';
const CAP = 10_000;

const DATE_REPORT = {
  key: 'leads_by_follow_up', label: 'Leads by follow-up day', category: 'operations', source: 'lead',
  dimensions: [{ key: 'day', field: 'next_follow_up' }], measures: [{ key: 'n', op: 'count' }],
};

async function timed(fn, n, concurrency = 8) {
  const lat = [];
  let i = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i < n) {
      const k = i++;
      const s = performance.now();
      await fn(k);
      lat.push(performance.now() - s);
    }
  }));
  return summarize(lat, performance.now() - t0);
}

async function runDialect(dialect, tmp) {
  const dbs = await createDatabases(dialect, tmp);
  onCleanup(() => dbs.drop());
  const engine = await startServer('engine', [BIN, 'serve', '--port', '0', '--db', dbs.engineUrl], {
    cwd: ROOT, env: { FORMWORK_LOG: 'off', FORMWORK_ADMIN_PASSWORD: PASSWORD, FORMWORK_DATA_DIR: tmp },
    readyRe: /Formwork listening on (http:\/\/\S+)/,
  });
  const anon = new Client(engine.url, null, 2);
  const login = await anon.json('POST', '/api/auth/login', { username: 'admin', password: PASSWORD });
  const admin = new Client(engine.url, login.body.token, 8);
  for (const [method, url, body] of [['PUT', '/api/meta/forms/lead', LEAD_FORM], ['POST', '/api/meta/forms/lead/publish', {}]]) {
    const r = await admin.json(method, url, body);
    if (r.status !== 200) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  const db = await openEngineDb(dbs.engineUrl);
  const rand = prng(7);
  const t0 = Date.parse('2024-01-01T00:00:00.000Z');
  const seedStart = performance.now();
  for (let i = 0; i < ROWS; i += 20_000) {
    await db.knex.transaction(async (trx) => {
      for (let k = i; k < Math.min(ROWS, i + 20_000); k += 500) {
        const rows = [];
        for (let j = k; j < Math.min(ROWS, k + 500); j++) rows.push(leadRow(makeLead(rand, j + 1), new Date(t0 + j * 30_000).toISOString(), 1));
        await trx(TABLE).insert(rows);
      }
    });
  }
  if (db.dialect === 'sqlite') await db.knex.raw('ANALYZE');
  else await db.knex.raw(`VACUUM ANALYZE "${TABLE}"`);
  const seedMs = performance.now() - seedStart;
  const k = db.knex;
  const nulls = (desc) => (dialect === 'pg' ? '' : desc ? ' nulls first' : ' nulls last');
  const capped = (qb) => k.count({ n: '*' }).from(qb.clone().select(k.raw('1')).limit(CAP + 1).as('c')).first();
  const filterQ = () => k(TABLE).where('status', 'active').where('budget', '>=', 10_000_000);
  const deepOffset = Math.floor(ROWS / 2);
  // the id at the deep position (newest first): what a cursor would carry
  const deepRow = await k(TABLE).select('id').orderBy('id', 'desc').offset(deepOffset - 1).limit(1).first();
  const cursor = Buffer.from(JSON.stringify([dialect === 'pg' ? String(deepRow.id) : deepRow.id])).toString('base64url');
  const filter = encodeURIComponent(JSON.stringify(LIST_FILTER));

  const scenarios = [
    {
      name: 'first', what: 'page 1, newest first',
      engine: '/api/records/lead?pageSize=20',
      floor: () => Promise.all([k(TABLE).select('*').orderBy('id', 'desc').limit(21), capped(k(TABLE))]),
    },
    {
      name: 'filtered', what: 'status = active and budget ≥ 100,000, by budget desc',
      engine: `/api/records/lead?filter=${filter}&sort=-budget&pageSize=20`,
      floor: () => Promise.all([filterQ().select('*').orderByRaw(`budget desc${nulls(true)}, id desc`).limit(21), capped(filterQ())]),
    },
    {
      name: 'filtered exact', what: 'the same with count=exact',
      engine: `/api/records/lead?filter=${filter}&sort=-budget&pageSize=20&count=exact`,
      floor: () => Promise.all([filterQ().select('*').orderByRaw(`budget desc${nulls(true)}, id desc`).limit(21), filterQ().count({ n: '*' }).first()]),
    },
    {
      name: 'deep offset', what: `row ${deepOffset.toLocaleString('en-US')} by page=`,
      engine: `/api/records/lead?pageSize=20&page=${deepOffset / 20 + 1}`,
      floor: () => Promise.all([k(TABLE).select('*').orderBy('id', 'desc').offset(deepOffset).limit(21), capped(k(TABLE))]),
    },
    {
      name: 'deep keyset', what: `the same rows by after=`,
      engine: `/api/records/lead?pageSize=20&after=${cursor}`,
      floor: () => Promise.all([k(TABLE).select('*').where('id', '<', deepRow.id).orderBy('id', 'desc').limit(21), capped(k(TABLE))]),
    },
  ];
  const byDate = {
    name: 'by date', what: 'sorted by next_follow_up (no index of its own)',
    engine: '/api/records/lead?pageSize=20&sort=next_follow_up',
    floor: () => Promise.all([k(TABLE).select('*').orderByRaw(`next_follow_up asc${nulls(false)}, id asc`).limit(21), capped(k(TABLE))]),
  };

  const out = [];
  const measure = async (s, label = s.name) => {
    const check = await admin.json('GET', s.engine);
    if (check.status !== 200) throw new Error(`${label}: ${check.status} ${JSON.stringify(check.body).slice(0, 300)}`);
    await runLoad(admin, { count: 20, concurrency: 8, next: () => ({ method: 'GET', path: s.engine }), maxMs: 600_000 });
    const run = await runLoad(admin, { count: REQUESTS, concurrency: 8, next: () => ({ method: 'GET', path: s.engine }), maxMs: 1_800_000 });
    if (run.errors) throw new Error(`${label}: ${run.errors} errors: ${run.errorSamples.join('; ')}`);
    const eng = summarize(run.latencies, 1);
    await timed(s.floor, 20);
    const floor = await timed(s.floor, REQUESTS);
    out.push({ scenario: label, what: s.what, total: check.body.total, capped: !!check.body.totalCapped, engine: eng, floor });
    console.log(`${dialect} ${label}: engine p50 ${eng.p50.toFixed(1)} ms, floor p50 ${floor.p50.toFixed(1)} ms`);
  };
  for (const s of scenarios) await measure(s);
  // the keyset page holds exactly the rows of the OFFSET page
  const a = await admin.json('GET', scenarios[3].engine);
  const b = await admin.json('GET', scenarios[4].engine);
  const same = JSON.stringify(a.body.items.map((x) => x.id)) === JSON.stringify(b.body.items.map((x) => x.id));
  if (!same) throw new Error('the keyset page differs from the OFFSET page');

  await measure(byDate, 'by date, no index');
  for (const [method, url, body] of [['PUT', `/api/meta/reports/${DATE_REPORT.key}`, DATE_REPORT], ['POST', `/api/meta/reports/${DATE_REPORT.key}/publish`, {}]]) {
    const r = await admin.json(method, url, body);
    if (r.status !== 200) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const ixStart = performance.now();
  const indexed = async () => (dialect === 'pg'
    // valid and ready: CREATE INDEX CONCURRENTLY lists the index while it is being built, and an
    // ANALYZE then deadlocks with the build
    ? (await k.raw(`select 1 from pg_indexes i join pg_class c on c.relname = i.indexname and c.relkind = 'i'
        join pg_index x on x.indexrelid = c.oid where i.tablename = ? and i.indexdef like '%next_follow_up%' and x.indisvalid and x.indisready`, [TABLE])).rows.length > 0
    : (await k.raw(`select 1 from sqlite_master where type = 'index' and tbl_name = ? and sql like '%next_follow_up%'`, [TABLE])).length > 0);
  while (!(await indexed())) {
    if (performance.now() - ixStart > 600_000) throw new Error('the derived index did not appear');
    await new Promise((r) => setTimeout(r, 200));
  }
  const indexMs = performance.now() - ixStart;
  if (dialect === 'sqlite') await k.raw('ANALYZE');
  else await k.raw(`ANALYZE "${TABLE}"`);
  await measure(byDate, 'by date, derived index');

  await db.close();
  await engine.stop?.();
  anon.close();
  admin.close();
  return { dialect, rows: ROWS, seedMs, indexMs, scenarios: out };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-bench-large-'));
onCleanup(() => fs.rmSync(tmp, { recursive: true, force: true }));
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];
const results = [];
try {
  for (const d of dialects) results.push(await runDialect(d, tmp));
} finally {
  await cleanupAll();
}
const f1 = (n) => n.toFixed(1);
const lines = [
  `## Lists at ${ROWS.toLocaleString('en-US')} rows${args.quick ? ' (--quick)' : ''}`,
  '',
  `${new Date().toISOString()} · \`node bench/large-list.js${args.quick ? ' --quick' : ''}${args.rows ? ` --rows ${args.rows}` : ''}\` · ${REQUESTS} requests per scenario, 8 clients · floor: the same SQL through knex in-process (no HTTP) · counts capped at ${CAP.toLocaleString('en-US')} unless count=exact`,
  '',
  '| db | scenario | total | engine p50 ms | engine p99 ms | floor p50 ms | engine ÷ floor p50 |',
  '|---|---|---|---|---|---|---|',
  ...results.flatMap((r) => r.scenarios.map((s) => `| ${r.dialect} | ${s.scenario}: ${s.what} | ${s.total.toLocaleString('en-US')}${s.capped ? '+' : ''} | ${f1(s.engine.p50)} | ${f1(s.engine.p99)} | ${f1(s.floor.p50)} | ${(s.engine.p50 / s.floor.p50).toFixed(2)}× |`)),
  '',
  ...results.map((r) => `${r.dialect}: seeded in ${(r.seedMs / 1000).toFixed(0)} s; the index derived from the report appeared ${(r.indexMs / 1000).toFixed(1)} s after publishing.`),
  '',
];
console.log(lines.join('\n'));
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results', 'large-list.json'), JSON.stringify(results, null, 2));
fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), '\n' + lines.join('\n'));
recordFigures(results.flatMap((r) => r.scenarios.map((s) => ({
  bench: 'large-list.js', db: r.dialect, measure: `list at ${r.rows.toLocaleString('en-US')} rows, ${s.scenario}: p50 (p99 ${s.engine.p99.toFixed(0)} ms)`,
  value: s.engine.p50, unit: 'ms', floor: s.floor.p50, ratio: s.engine.p50 / s.floor.p50,
  command: `node bench/large-list.js${args.quick ? ' --quick' : ''}${args.rows ? ` --rows ${args.rows}` : ''} --db ${r.dialect}`,
}))));
