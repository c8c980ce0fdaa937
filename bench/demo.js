#!/usr/bin/env node
/**
 * Demo data benchmark: how long `formwork demo` takes (the generator writing through
 * RecordService, in batches) at the default size (400 orders, a year of one store) and, on
 * request, at 1,000,000 orders.
 *
 *   node bench/demo.js [--quick] [--db sqlite|pg|both]      # the default size (--quick: 100 orders)
 *   node bench/demo.js --scale 1000000 --db sqlite           # or BENCH_DEMO_1M=1: also the 1M run
 *
 * Each run is the real CLI (`node engine/bin/formwork.js demo --scale N --seed 20261125`) on a
 * fresh database, timed end to end (process start, pack install, generation); the generator's
 * own figures (records, seconds, records/s) come from its summary line.
 *
 * The 1M SQLite database is KEPT for the reports benchmark at
 *
 *     bench/.data/demo-1m.db        (git-ignored; written as demo-1m.partial.db, renamed when complete)
 *
 * with its progress log in bench/.data/demo-1m.log. A 1M run takes well over an hour (about
 * 6.4 million records at ~1,000 records/s on SQLite); when the file already exists the run is
 * skipped unless --force.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createDatabases } from './lib/db.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const BIN = path.join(ROOT, 'engine/bin/formwork.js');
const DATA = path.join(HERE, '.data');
export const DEMO_1M_DB = path.join(DATA, 'demo-1m.db');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' }, db: { type: 'string', default: 'both' }, scale: { type: 'string' }, force: { type: 'boolean' },
    rounds: { type: 'string' },
  },
});
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];
const SEED = '20261125';

/** Run `formwork demo` and time it; progress lines go to `log` (a file) or stderr. */
function runDemo(dbUrl, scale, log) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [BIN, 'demo', '--db', dbUrl, '--scale', String(scale), '--seed', SEED], {
      cwd: ROOT, env: { ...process.env, FORMWORK_LOG: 'off' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (log ? fs.appendFileSync(log, d) : process.stderr.write(d)));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`formwork demo --scale ${scale} exited with ${code}\n${out}`));
      const m = /Loaded demo data: (\d+) records .* in ([\d.]+)s, (\d+) records\/s/.exec(out);
      resolve({ scale, wall, records: m ? Number(m[1]) : null, seconds: m ? Number(m[2]) : null, rate: m ? Number(m[3]) : null, summary: out.trim().split('\n').find((l) => l.startsWith('Loaded')) });
    });
  });
}

const results = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-bench-demo-'));
try {
  const scale = args.quick ? 100 : 400;
  const rounds = Number(args.rounds ?? (args.quick ? 1 : 2));
  for (const dialect of dialects) {
    for (let r = 0; r < rounds; r++) {
      const dbs = await createDatabases(dialect, path.join(tmp, `${dialect}-${r}`));
      try {
        console.error(`demo ${dialect} --scale ${scale} (round ${r + 1}/${rounds})`);
        const res = await runDemo(dbs.engineUrl, scale, null);
        results.push({ dialect, ...res });
        console.error(`  ${res.summary}; wall ${res.wall.toFixed(1)}s`);
      } finally {
        await dbs.drop();
      }
    }
  }
  const big = Number(args.scale ?? (process.env.BENCH_DEMO_1M === '1' ? 1_000_000 : 0));
  if (big) {
    fs.mkdirSync(DATA, { recursive: true });
    const target = big === 1_000_000 ? DEMO_1M_DB : path.join(DATA, `demo-${big}.db`);
    if (fs.existsSync(target) && !args.force) {
      console.error(`${path.relative(ROOT, target)} exists: skipping the ${big} run (--force to redo it)`);
    } else {
      const partial = target.replace(/\.db$/, '.partial.db');
      for (const f of [partial, partial + '-wal', partial + '-shm']) fs.rmSync(f, { force: true });
      const log = target.replace(/\.db$/, '.log');
      fs.writeFileSync(log, '');
      console.error(`demo sqlite --scale ${big} → ${path.relative(ROOT, target)} (progress: ${path.relative(ROOT, log)})`);
      const res = await runDemo(`sqlite:${partial}`, big, log);
      fs.renameSync(partial, target);
      results.push({ dialect: 'sqlite', ...res, kept: path.relative(ROOT, target) });
      console.error(`  ${res.summary}; wall ${res.wall.toFixed(1)}s`);
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

// ---- report
const fmt = (n, d = 0) => (n == null ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const groups = new Map();
for (const r of results) {
  const k = `${r.dialect}:${r.scale}`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(r);
}
const lines = [
  '## Demo data (`formwork demo`)', '',
  '| database | orders | records | generation s (best) | records/s | CLI wall s (best) |', '|---|---|---|---|---|---|',
];
for (const rs of groups.values()) {
  const best = rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  lines.push(`| ${best.dialect} | ${fmt(best.scale)} | ${fmt(best.records)} | ${fmt(best.seconds, 1)} | ${fmt(best.rate)} | ${fmt(Math.min(...rs.map((r) => r.wall)), 1)} |`);
}
lines.push('', `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, ${new Date().toISOString()}`, '');
const text = lines.join('\n');
console.log('\n' + text);
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results', 'demo.json'), JSON.stringify({ results, machine: { cpus: os.cpus().length, node: process.version } }, null, 2));
fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), text + '\n');
recordFigures([...groups.values()].map((rs) => {
  const best = rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { bench: 'demo.js', db: best.dialect, measure: `demo dealer, ${fmt(best.scale)} orders → ${fmt(best.records)} records (${fmt(best.rate)} records/s)`, value: best.seconds, unit: 's', command: best.scale >= 1_000_000 ? 'BENCH_DEMO_1M=1 node bench/demo.js --db sqlite' : `node bench/demo.js --db ${best.dialect}` };
}));
