#!/usr/bin/env node
/**
 * Permissions benchmark: the same filtered, sorted list page as a sales advisor (row scope
 * "own" and a field set with a hidden field) and as an administrator, over HTTP against one
 * `formwork serve`, at 100k rows. Target: advisor p50 ≤ 1.2× administrator p50.
 *
 *   node bench/scoped-list.js [--quick] [--db sqlite|pg|both]
 *
 * 100k leads are seeded with knex (the same rows RecordService would store, like bench/run.js),
 * owned round-robin by 10 users, one of them the advisor (so the advisor's list covers 10 %).
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
const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, db: { type: 'string', default: 'both' } } });
const ROWS = args.quick ? 10_000 : 100_000;
const REQUESTS = args.quick ? 300 : 1500;
const OWNERS = 10;
const PASSWORD = 'bench-password-123';

const ADVISOR_ROLE = {
  key: 'bench_advisor',
  label: 'Advisor',
  permissions: [{ form: 'lead', actions: ['create', 'read', 'update'], rows: 'own', fields: { hidden: ['phone'] } }],
};

async function login(client, username) {
  const r = await client.json('POST', '/api/auth/login', { username, password: PASSWORD });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

async function runDialect(dialect, tmp) {
  const dbs = await createDatabases(dialect, tmp);
  onCleanup(() => dbs.drop());
  const engine = await startServer('engine', [BIN, 'serve', '--port', '0', '--db', dbs.engineUrl], {
    cwd: ROOT, env: { FORMWORK_LOG: 'off', FORMWORK_ADMIN_PASSWORD: PASSWORD, FORMWORK_DATA_DIR: tmp },
    readyRe: /Formwork listening on (http:\/\/\S+)/,
  });
  const base = engine.url;
  const anon = new Client(base, null, 2);
  const adminToken = await login(anon, 'admin');
  const admin = new Client(base, adminToken, 8);
  for (const [method, url, body] of [
    ['PUT', '/api/meta/forms/lead', LEAD_FORM], ['POST', '/api/meta/forms/lead/publish', {}],
    ['PUT', '/api/meta/roles/bench_advisor', ADVISOR_ROLE], ['POST', '/api/meta/roles/bench_advisor/publish', {}],
  ]) {
    const r = await admin.json(method, url, body);
    if (r.status !== 200) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const owners = [];
  for (let i = 0; i < OWNERS; i++) {
    const r = await admin.json('POST', '/api/users', { username: `adv${i}`, password: PASSWORD, roles: ['bench_advisor'] });
    if (r.status !== 201) throw new Error(`user: ${r.status} ${JSON.stringify(r.body)}`);
    owners.push(r.body.id);
  }
  const advisor = new Client(base, await login(anon, 'adv0'), 8);

  // Seed: leads owned round-robin by the ten advisors.
  const db = await openEngineDb(dbs.engineUrl);
  const rand = prng(42);
  const t0 = Date.parse('2024-01-01T00:00:00.000Z');
  await db.knex.transaction(async (trx) => {
    for (let i = 0; i < ROWS; i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(ROWS, i + 500); j++) rows.push(leadRow(makeLead(rand, j + 1), new Date(t0 + j * 60_000).toISOString(), owners[j % OWNERS]));
      await trx(TABLE).insert(rows);
    }
  });
  if (db.dialect === 'sqlite') await db.knex.raw('ANALYZE');
  else await db.knex.raw(`VACUUM ANALYZE "${TABLE}"`);
  await db.close();

  const filter = encodeURIComponent(JSON.stringify(LIST_FILTER));
  const page = (i) => `/api/records/lead?filter=${filter}&sort=-budget&page=${1 + (i % 10)}&pageSize=20`;
  // Sanity: the advisor sees only their rows and no phone.
  const a = await advisor.json('GET', page(0));
  const all = await admin.json('GET', page(0));
  if (a.status !== 200 || all.status !== 200) throw new Error('list failed');
  if (a.body.items.some((x) => 'phone' in x)) throw new Error('the advisor sees a hidden field');
  if (!(a.body.total < all.body.total)) throw new Error('the advisor is not scoped');

  const results = {};
  for (const round of [1, 2]) {
    for (const [who, client] of [['admin', admin], ['advisor', advisor], ['advisor', advisor], ['admin', admin]]) {
      await runLoad(client, { count: 50, concurrency: 8, next: (i) => ({ method: 'GET', path: page(i) }), maxMs: 60_000 }); // warm-up
      const run = await runLoad(client, { count: REQUESTS, concurrency: 8, next: (i) => ({ method: 'GET', path: page(i) }), maxMs: 300_000 });
      if (run.errors) throw new Error(`${who}: ${run.errors} errors: ${run.errorSamples.join('; ')}`);
      (results[who] ??= []).push(...run.latencies);
      void round;
    }
  }
  const adminS = summarize(results.admin, 1);
  const advS = summarize(results.advisor, 1);
  await engine.stop?.();
  for (const c of [anon, admin, advisor]) c.close();
  return { dialect, rows: ROWS, advisorTotal: a.body.total, adminTotal: all.body.total, admin: adminS, advisor: advS, ratio: advS.p50 / adminS.p50 };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-bench-scoped-'));
onCleanup(() => fs.rmSync(tmp, { recursive: true, force: true }));
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];
const out = [];
try {
  for (const d of dialects) out.push(await runDialect(d, tmp));
} finally {
  await cleanupAll();
}
const fmt = (n) => (n == null ? '—' : n.toFixed(2));
const lines = [
  `## Permissions: the same list as a sales advisor and as an administrator${args.quick ? ' (--quick)' : ''}`,
  '',
  `${new Date().toISOString()} · \`node bench/scoped-list.js${args.quick ? ' --quick' : ''}\` · 8 clients · filtered (status + budget range), sorted by budget, 20 per page`,
  '',
  '| db | rows | rows the advisor may see (matching the filter) | admin p50 ms | advisor p50 ms | admin p99 ms | advisor p99 ms | advisor ÷ admin p50 | target | met |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...out.map((r) => `| ${r.dialect} | ${r.rows.toLocaleString('en-US')} | ${r.advisorTotal} of ${r.adminTotal} | ${fmt(r.admin.p50)} | ${fmt(r.advisor.p50)} | ${fmt(r.admin.p99)} | ${fmt(r.advisor.p99)} | ${r.ratio.toFixed(2)}× | ≤ 1.20× | ${r.ratio <= 1.2 ? 'yes' : '**no**'} |`),
  '',
];
console.log(lines.join('\n'));
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results', 'scoped-list.json'), JSON.stringify(out, null, 2));
fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), '\n' + lines.join('\n'));
recordFigures(out.map((r) => ({
  bench: 'scoped-list.js', db: r.dialect, measure: `list as an advisor (row scope + hidden field), p50 at ${r.rows.toLocaleString('en-US')} rows; floor: the same list as an administrator`,
  value: r.advisor.p50, unit: 'ms', floor: r.admin.p50, ratio: r.ratio, target: '≤ 1.20×', met: r.ratio <= 1.2, command: `node bench/scoped-list.js${args.quick ? ' --quick' : ''} --db ${r.dialect}`,
})));
