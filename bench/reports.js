#!/usr/bin/env node
/**
 * Reports benchmark: the dealership's `sales_by_model_month` report (compiled by the engine to
 * one SQL query, with its totals row) over 1,000,000 vehicle orders, against the same GROUP BY
 * written by hand in raw SQL through knex, in the same run on the same tables. Target: the
 * report's median ≤ 1.2× the hand-written query's.
 *
 *   node bench/reports.js [--quick] [--db sqlite|pg|both] [--orders N] [--rounds R]
 *
 * Data: a fresh database per dialect with the dealership pack installed; vehicle models and
 * customers are written through RecordService; the orders (the only volume a report reads) are
 * bulk-inserted with multi-row INSERTs into the engine's own table, with the stored computed
 * columns (deal_price…) filled as the engine would, then ANALYZE. (Writing a million orders
 * through the write path is the demo generator's benchmark: bench/demo.js.) --quick: 100,000.
 *
 * Each round runs the report (ReportService.run as an administrator, including compiling it)
 * and the hand-written query, alternating, after one warm-up of each; the two answers are
 * checked equal. Writes bench/results/reports.json and appends to bench/results/summary.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createDatabases } from './lib/db.js';
import { recordFigures } from './lib/figures.js';

process.env.FORMWORK_LOG = 'off';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const dist = (p) => import(new URL(`../engine/dist/${p}`, import.meta.url).href);

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, db: { type: 'string', default: 'both' }, orders: { type: 'string' }, rounds: { type: 'string' } },
});
const dialects = args.db === 'both' ? ['sqlite', 'pg'] : [args.db];
const ORDERS = Number(args.orders ?? (args.quick ? 100_000 : 1_000_000));
const ROUNDS = Number(args.rounds ?? (args.quick ? 5 : 7));
const TARGET = 1.2;

const { createEngine } = await dist('app.js');
const { installPack, readPackFolder } = await dist('packs/install.js');
const { SYSTEM_ACTOR } = await dist('auth/actor.js');
const { prng } = await import('../templates/dealership/demo/generator.js');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** The hand-written query: what a developer would write for "orders and revenue per model and month, with a total". */
function handSql(dialect, orders, models, cols) {
  const month = dialect === 'pg' ? `to_char(o.${cols.order_date}, 'YYYY-MM')` : `substr(o.${cols.order_date}, 1, 7)`;
  return `
    SELECT m.${cols.name} AS model, ${month} AS month, count(*) AS orders, sum(o.${cols.deal_price}) AS revenue
    FROM ${orders} o LEFT JOIN ${models} m ON m.id = o.${cols.model}
    WHERE o.${cols.status} NOT IN ('cancelled', 'rejected')
    GROUP BY m.${cols.name}, ${month}
    ORDER BY m.${cols.name}, ${month}`;
}

async function bulkOrders(engine, n, customerIds, models) {
  const knex = engine.db.knex;
  const form = await engine.forms.get('vehicle_order');
  const col = (k) => form.byKey.get(k).column;
  const rand = prng(20261125);
  const statuses = [['delivered', 55], ['paid', 10], ['allocated', 8], ['approved', 10], ['pending_approval', 5], ['cancelled', 8], ['rejected', 4]];
  const total = statuses.reduce((a, [, w]) => a + w, 0);
  const pickStatus = () => {
    let x = rand() * total;
    for (const [s, w] of statuses) if ((x -= w) < 0) return s;
    return 'delivered';
  };
  const start = Date.parse('2025-11-25T00:00:00Z');
  const now = new Date().toISOString();
  // Rows per INSERT: SQLite's compound-SELECT limit (500 terms) and PostgreSQL's bound-variable limit (65,535).
  const batch = engine.db.dialect === 'sqlite' ? 400 : 2000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; ) {
    const rows = [];
    for (let j = 0; j < batch && i < n; j++, i++) {
      const m = models[Math.floor(rand() * models.length)];
      const list = m.list_price * 100;
      const discount = Math.round((rand() * 0.1 * list) / 10000) * 10000;
      const deal = list - discount;
      rows.push({
        _version: 1, _created_at: now, _updated_at: now, _created_by: null, _owner: null, _dept: null,
        [col('order_no')]: `SO${String(i + 1).padStart(8, '0')}`,
        [col('customer')]: customerIds[Math.floor(rand() * customerIds.length)],
        [col('model')]: m.id,
        [col('list_price')]: list,
        [col('discount')]: discount,
        [col('deal_price')]: deal,
        [col('discount_rate')]: Math.round((discount / list) * 10000) / 10000,
        [col('total_amount')]: deal,
        [col('paid_amount')]: 0,
        [col('status')]: pickStatus(),
        [col('order_date')]: new Date(start + Math.floor(rand() * 365) * 86_400_000).toISOString().slice(0, 10),
      });
    }
    await knex.batchInsert(form.table, rows, batch);
    if (i % 100_000 === 0) process.stderr.write(`  orders ${i.toLocaleString('en-US')}/${n.toLocaleString('en-US')}\r`);
  }
  process.stderr.write('\n');
  if (engine.db.dialect === 'pg') await knex.raw(`VACUUM ANALYZE "${form.table}"`);
  else await knex.raw('ANALYZE');
  return { seconds: ms(t0) / 1000, cols: { order_date: col('order_date'), deal_price: col('deal_price'), model: col('model'), status: col('status') } };
}

async function benchDialect(dialect) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-bench-reports-'));
  const dbs = await createDatabases(dialect, tmp);
  const engine = await createEngine({ dbUrl: dbs.engineUrl, dataDir: tmp });
  try {
    await installPack(engine.db, engine.docs, readPackFolder(path.join(ROOT, 'templates/dealership')));
    const models = [];
    const MODELS = [['PST-330', '帕萨特 330TSI', 219900], ['PST-380', '帕萨特 380TSI', 259900], ['TRQ-280', '途观L 280TSI', 215800], ['ID4-PRO', 'ID.4 Pro', 199900], ['LVD-200', '朗逸 1.5L', 121900], ['MGT-330', '迈腾 330TSI', 209900]];
    for (const [code, name, list_price] of MODELS) models.push(await engine.records.create(SYSTEM_ACTOR, 'vehicle_model', { code, brand: '大众', series: name.split(' ')[0], name, list_price }, { silent: true }));
    const customerIds = [];
    await engine.db.knex.transaction(async (trx) => {
      for (let i = 0; i < 500; i++) {
        const c = await engine.records.createIn(trx, SYSTEM_ACTOR, 'customer', { name: `客户${i}`, phone: `139${String(10_000_000 + i).slice(-8)}`, source: 'showroom' }, { silent: true });
        customerIds.push(c.id);
      }
    });
    process.stderr.write(`${dialect}: loading ${ORDERS.toLocaleString('en-US')} orders\n`);
    const load = await bulkOrders(engine, ORDERS, customerIds, models);
    const modelForm = await engine.forms.get('vehicle_model');
    const orderForm = await engine.forms.get('vehicle_order');
    const sql = handSql(dialect, orderForm.table, modelForm.table, { ...load.cols, name: modelForm.byKey.get('name').column });
    const raw = async () => {
      const r = await engine.db.knex.raw(sql);
      return dialect === 'pg' ? r.rows : r;
    };
    const report = () => engine.reports.run(SYSTEM_ACTOR, 'sales_by_model_month');

    // The same answer (the hand-written query has no totals row; the report's totals must add up).
    const [a, b] = [await report(), await raw()];
    const mine = a.rows.map((r) => `${r.model}|${r.month}|${r.orders}|${Math.round(r.revenue * 100)}`);
    const theirs = b.map((r) => `${r.model}|${r.month}|${Number(r.orders)}|${Number(r.revenue)}`);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) throw new Error(`the report and the hand-written query disagree:\n${mine.slice(0, 3)}\n${theirs.slice(0, 3)}`);
    const totalOrders = b.reduce((s, r) => s + Number(r.orders), 0);
    if (a.totals.orders !== totalOrders) throw new Error(`totals ${a.totals.orders} ≠ ${totalOrders}`);

    // The engine's own SQL run bare: what the query costs apart from compiling and shaping.
    const explained = await engine.reports.explain(SYSTEM_ACTOR, engine.reports.reports.peek('sales_by_model_month'));
    const engineSql = () => engine.db.knex.raw(explained.sql, explained.bindings);
    const times = { report: [], raw: [], engineSql: [] };
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = process.hrtime.bigint();
      await report();
      times.report.push(ms(t0));
      t0 = process.hrtime.bigint();
      await raw();
      times.raw.push(ms(t0));
      t0 = process.hrtime.bigint();
      await engineSql();
      times.engineSql.push(ms(t0));
    }
    const result = {
      dialect, orders: ORDERS, groups: b.length, loadSeconds: load.seconds, rounds: ROUNDS,
      reportMs: median(times.report), rawMs: median(times.raw), ratio: median(times.report) / median(times.raw), engineSqlMs: median(times.engineSql),
      reportAll: times.report, rawAll: times.raw, reportSql: explained.sql, handSql: sql.trim(),
    };
    process.stderr.write(`${dialect}: report ${result.reportMs.toFixed(1)} ms (its SQL alone ${result.engineSqlMs.toFixed(1)} ms), hand-written ${result.rawMs.toFixed(1)} ms, ${result.ratio.toFixed(2)}×\n`);
    return result;
  } finally {
    await engine.close();
    await dbs.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const results = [];
for (const d of dialects) {
  try {
    results.push(await benchDialect(d));
  } catch (e) {
    console.error(`${d}: ${String(e?.message ?? e).slice(0, 500)}`);
    process.exit(1);
  }
}
const lines = [
  `## Reports: sales_by_model_month over ${ORDERS.toLocaleString('en-US')} orders (\`node bench/reports.js${args.quick ? ' --quick' : ''}\`)`,
  '',
  '| database | groups | report p50 ms | hand-written SQL p50 ms | ratio | target | met |',
  '|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.dialect === 'pg' ? 'PostgreSQL' : 'SQLite'} | ${r.groups} | ${r.reportMs.toFixed(1)} | ${r.rawMs.toFixed(1)} | ${r.ratio.toFixed(2)}× | ≤ ${TARGET}× | ${r.ratio <= TARGET ? 'yes' : '**no**'} |`),
  '',
  `Medians of ${ROUNDS} alternating rounds after a warm-up; the report's time includes compiling it and its totals row. Orders bulk-loaded in ${results.map((r) => `${r.loadSeconds.toFixed(0)} s (${r.dialect})`).join(', ')}.`,
  '',
];
console.log(lines.join('\n'));
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results', 'reports.json'), JSON.stringify(results, null, 2));
fs.appendFileSync(path.join(HERE, 'results', 'summary.md'), '\n' + lines.join('\n'));
recordFigures(results.map((r) => ({ bench: 'reports.js', db: r.dialect, measure: `report over ${ORDERS.toLocaleString('en-US')} orders (${r.groups} groups), p50; floor: hand-written SQL`, value: r.reportMs, unit: 'ms', floor: r.rawMs, ratio: r.ratio, target: `≤ ${TARGET}×`, met: r.ratio <= TARGET, command: `node bench/reports.js${args.quick ? ' --quick' : ''} --db ${r.dialect}` })));
