#!/usr/bin/env node
/**
 * Pack install benchmark: the dealership pack into an empty database (target ≤ 2 s), through
 * PackService.install (validation, plan, every document published through DocumentService, the
 * planner's DDL, provenance).
 *
 *   node bench/pack.js [--quick] [--db sqlite|pg|both] [--rounds N]
 *
 * The floor, measured in the same run: the DDL statements the install ran (CREATE TABLE / INDEX,
 * captured from knex's query log), replayed through knex in one transaction on an empty database
 * of the same kind — what creating the tables costs without any metadata work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { createDatabases } from './lib/db.js';
import { recordFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, db: { type: 'string', default: 'both' }, rounds: { type: 'string' } } });
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];
const rounds = Number(args.rounds ?? (args.quick ? 2 : 5));
const { createEngine } = await import(new URL('../engine/dist/app.js', import.meta.url).href);
const { readPackFolder } = await import(new URL('../engine/dist/packs/bundle.js', import.meta.url).href);
const bundle = readPackFolder(path.join(ROOT, 'templates/dealership'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const results = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-bench-pack-'));
try {
  for (const dialect of dialects) {
    const engineMs = [];
    const floorMs = [];
    let docs = 0;
    let ddlCount = 0;
    for (let r = 0; r < rounds; r++) {
      const dbs = await createDatabases(dialect, path.join(tmp, `${dialect}-${r}`));
      try {
        const engine = await createEngine({ dbUrl: dbs.engineUrl, dataDir: path.join(tmp, `data-${dialect}-${r}`), logger: { info() {}, warn() {}, error() {}, debug() {}, child() { return this; } } });
        const ddl = [];
        const onQuery = (q) => {
          if (/^\s*(create|alter)\s+(table|index|unique index)/i.test(q.sql) && /"t_|`t_|\bt_/.test(q.sql)) ddl.push({ sql: q.sql, bindings: q.bindings ?? [] });
        };
        engine.db.knex.on('query', onQuery);
        const t0 = process.hrtime.bigint();
        const res = await engine.packs.install(structuredClone(bundle));
        engineMs.push(ms(t0));
        engine.db.knex.removeListener('query', onQuery);
        docs = res.installed.length;
        ddlCount = ddl.length;
        await engine.close();
        // the floor: the same DDL, replayed raw
        const floor = knexFactory(dialect === 'pg'
          ? { client: 'pg', connection: dbs.floorUrl, pool: { min: 1, max: 1 } }
          : { client: 'better-sqlite3', connection: { filename: dbs.floorUrl.slice('sqlite:'.length) }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
        await floor.raw('select 1');
        const t1 = process.hrtime.bigint();
        // As the engine ran it: in one transaction, except what cannot run inside one (PostgreSQL's
        // CREATE INDEX CONCURRENTLY, which the engine issues for indexes it derives after the install).
        const concurrently = (q) => /\bconcurrently\b/i.test(q.sql);
        await floor.transaction(async (trx) => {
          for (const q of ddl.filter((x) => !concurrently(x))) await trx.raw(q.sql, q.bindings);
        });
        for (const q of ddl.filter(concurrently)) await floor.raw(q.sql, q.bindings);
        floorMs.push(ms(t1));
        await floor.destroy();
      } finally {
        await dbs.drop();
      }
      console.error(`  ${dialect} round ${r + 1}/${rounds}: install ${engineMs.at(-1).toFixed(0)} ms, floor ${floorMs.at(-1).toFixed(0)} ms`);
    }
    results.push({ dialect, docs, ddl: ddlCount, engineMs, floorMs, median: median(engineMs), floorMedian: median(floorMs) });
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

const lines = [
  '## Pack install (dealership pack into an empty database)', '',
  '| database | documents | DDL statements | install median ms | floor (same DDL, raw) median ms | ratio | target |', '|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.dialect} | ${r.docs} | ${r.ddl} | ${r.median.toFixed(0)} | ${r.floorMedian.toFixed(0)} | ${(r.median / r.floorMedian).toFixed(1)}× | ≤ 2,000 ms ${r.median <= 2000 ? 'met' : 'NOT met'} |`),
  '', `Rounds: ${rounds}. Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, ${new Date().toISOString()}`, '',
];
const text = lines.join('\n');
console.log('\n' + text);
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results', 'pack.json'), JSON.stringify({ results }, null, 2));
fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), text + '\n');
recordFigures(results.map((r) => ({ bench: 'pack.js', db: r.dialect, measure: `dealership pack install (${r.docs} documents), median; floor: the same DDL, raw`, value: r.median, unit: 'ms', floor: r.floorMedian, ratio: r.median / r.floorMedian, target: '≤ 2,000 ms', met: r.median <= 2000, command: `node bench/pack.js${args.quick ? ' --quick' : ''} --db ${r.dialect}` })));
