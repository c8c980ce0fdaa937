#!/usr/bin/env node
/**
 * Import benchmark: a 100k-row CSV (zh-CN headers, as people export from Excel) imported into
 * the `lead` form through the HTTP API of one `formwork serve`, for each database, in both
 * modes: all_or_nothing (every row validated through the write path and rolled back, then all
 * written in one transaction) and valid_only (batches committed, a savepoint per row).
 * Reports rows per second, the time to the 202, and the progress figures seen while polling
 * GET /api/imports/:id.
 *
 *   node bench/import.js [--quick] [--db sqlite|pg|both]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LEAD_FORM, TABLE, prng, makeLead } from './lib/data.js';
import { createDatabases, openEngineDb } from './lib/db.js';
import { startServer, cleanupAll, onCleanup } from './lib/procs.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const BIN = path.join(ROOT, 'engine/bin/formwork.js');
if (!fs.existsSync(path.join(ROOT, 'engine/dist/app.js'))) {
  process.stderr.write('bench/import.js: engine/dist is missing; build the engine first (npm run build -w engine)\n');
  process.exit(1);
}
const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, db: { type: 'string', default: 'both' } } });
const ROWS = args.quick ? 10_000 : 100_000;
const PASSWORD = 'bench-password-123';
const MODES = ['all_or_nothing', 'valid_only'];

/** The CSV a person would upload: zh-CN headers, option labels, money with separators, tags joined by 、. */
function makeCsv(file) {
  const rand = prng(7);
  const header = ['姓名', '手机', '意向等级', '预算', '下次跟进', '标签', '状态'];
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, '\uFEFF' + header.join(',') + '\r\n');
  let buf = '';
  for (let i = 1; i <= ROWS; i++) {
    const l = makeLead(rand, i);
    const budget = l.budget.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    buf += [l.name, l.phone, l.level.toUpperCase(), `"${budget}"`, l.next_follow_up.replace(/-/g, '/'), l.tags.join('、'), l.status].join(',') + '\r\n';
    if (buf.length > 1 << 20) {
      fs.writeSync(out, buf);
      buf = '';
    }
  }
  fs.writeSync(out, buf);
  fs.closeSync(out);
  return fs.statSync(file).size;
}

async function call(base, token, method, p, body, headers = {}) {
  const res = await fetch(base + p, {
    method, body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && !headers['content-type'] ? { 'content-type': 'application/json' } : {}), ...headers },
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}

async function runDialect(dialect, tmp, csvFile) {
  const dbs = await createDatabases(dialect, tmp);
  onCleanup(() => dbs.drop());
  const engine = await startServer('engine', [BIN, 'serve', '--port', '0', '--db', dbs.engineUrl], {
    cwd: ROOT, env: { FORMWORK_LOG: 'off', FORMWORK_ADMIN_PASSWORD: PASSWORD, FORMWORK_DATA_DIR: tmp },
    readyRe: /Formwork listening on (http:\/\/\S+)/,
  });
  const base = engine.url;
  const login = await call(base, '', 'POST', '/api/auth/login', { username: 'admin', password: PASSWORD });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  const token = login.body.token;
  for (const [method, url, body] of [['PUT', '/api/meta/forms/lead', LEAD_FORM], ['POST', '/api/meta/forms/lead/publish', {}]]) {
    const r = await call(base, token, method, url, body);
    if (r.status !== 200) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const file = fs.readFileSync(csvFile);
  const results = [];
  for (const mode of MODES) {
    const db = await openEngineDb(dbs.engineUrl);
    await db.knex(TABLE).delete();
    await db.close();
    const t0 = performance.now();
    const start = await call(base, token, 'POST', `/api/records/lead/import?mode=${mode}&fileName=leads.csv`, file, { 'content-type': 'text/csv' });
    const accepted = performance.now() - t0;
    if (start.status !== 202) throw new Error(`import: ${start.status} ${JSON.stringify(start.body).slice(0, 500)}`);
    const polls = [];
    let job;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const r = await call(base, token, 'GET', `/api/imports/${start.body.id}`);
      job = r.body;
      polls.push({ ms: performance.now() - t0, phase: job.phase, processed: job.processed });
      if (job.status === 'done' || job.status === 'failed') break;
      if (performance.now() - t0 > 30 * 60_000) throw new Error('import did not finish in 30 minutes');
    }
    const wall = performance.now() - t0;
    if (job.status !== 'done' || job.created !== ROWS) throw new Error(`import ${mode}: ${JSON.stringify({ ...job, errors: job.errors?.slice(0, 5) })}`);
    const check = await openEngineDb(dbs.engineUrl);
    const n = Number((await check.knex(TABLE).count({ n: '*' }).first()).n);
    await check.close();
    if (n !== ROWS) throw new Error(`${n} rows in ${TABLE}, expected ${ROWS}`);
    const seen = polls.filter((p) => p.processed > 0).length;
    results.push({ dialect, mode, rows: ROWS, wallMs: wall, acceptedMs: accepted, rowsPerSec: ROWS / (wall / 1000), polls: polls.length, pollsWithProgress: seen });
    console.log(`${dialect} ${mode}: ${ROWS} rows in ${(wall / 1000).toFixed(1)} s = ${Math.round(ROWS / (wall / 1000))} rows/s (202 after ${accepted.toFixed(0)} ms; ${seen}/${polls.length} polls showed progress)`);
  }
  await engine.stop?.();
  return results;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-bench-import-'));
onCleanup(() => fs.rmSync(tmp, { recursive: true, force: true }));
const csvFile = path.join(tmp, 'leads.csv');
const size = makeCsv(csvFile);
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];
const out = [];
try {
  for (const d of dialects) out.push(...(await runDialect(d, tmp, csvFile)));
} finally {
  await cleanupAll();
}
const lines = [
  `## Import: a ${ROWS.toLocaleString('en-US')}-row CSV through POST /api/records/lead/import${args.quick ? ' (--quick)' : ''}`,
  '',
  `${new Date().toISOString()} · \`node bench/import.js${args.quick ? ' --quick' : ''}\` · ${(size / 1048576).toFixed(1)} MB, zh-CN headers, labels and formatted money converted per cell; every row through RecordService (audit + outbox event per row)`,
  '',
  '| db | mode | rows | seconds | rows/s | 202 after ms | polls showing progress |',
  '|---|---|---|---|---|---|---|',
  ...out.map((r) => `| ${r.dialect} | ${r.mode} | ${r.rows.toLocaleString('en-US')} | ${(r.wallMs / 1000).toFixed(1)} | ${Math.round(r.rowsPerSec).toLocaleString('en-US')} | ${r.acceptedMs.toFixed(0)} | ${r.pollsWithProgress} of ${r.polls} |`),
  '',
  'all_or_nothing reads the file twice: every row is validated through the write path (rolled back per batch), then all rows are written in one transaction.',
  '',
];
console.log(lines.join('\n'));
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results', 'import.json'), JSON.stringify(out, null, 2));
fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), '\n' + lines.join('\n'));
recordFigures(out.map((r) => ({ bench: 'import.js', db: r.dialect, measure: `CSV import of ${r.rows.toLocaleString('en-US')} rows, ${r.mode} (${(r.wallMs / 1000).toFixed(1)} s)`, value: r.rowsPerSec, unit: 'rows/s', command: `node bench/import.js${args.quick ? ' --quick' : ''} --db ${r.dialect}` })));
