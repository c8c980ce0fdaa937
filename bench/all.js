#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark, one after another, with the same arguments
 * (`--quick`, `--db sqlite|pg|both`). Each writes its figures to bench/results/ and appends its
 * section to bench/results/summary.md, which this script starts afresh; each also records its
 * headline figures (lib/figures.js), which this script writes as one table to
 * bench/results/SUMMARY.md at the end (engine, floor, ratio, target, command per figure).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clearFigures, renderFigures } from './lib/figures.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
// demo.js also makes the 1M-order database when BENCH_DEMO_1M=1; designer-drag.js needs designer/dist
// (`npm run build -w designer`) and Chromium
// cluster.js and chaos.js need PostgreSQL (skipped with --db sqlite); soak.js runs 10 minutes per database (--quick: 1)
const benches = ['run.js', 'scoped-list.js', 'large-list.js', 'workflow.js', 'import.js', 'reports.js', 'pack.js', 'demo.js', 'designer-drag.js', 'cluster.js', 'chaos.js', 'soak.js'].filter((f) => fs.existsSync(path.join(HERE, f)));
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.rmSync(path.join(HERE, 'results', 'summary.md'), { force: true });
clearFigures();
let failed = 0;
for (const b of benches) {
  console.log(`\n=== ${b} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(HERE, b), ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${b} failed (${r.status ?? r.signal})`);
  }
}
const table = renderFigures(`Benchmark summary${args.length ? ` (${args.join(' ')})` : ''}`);
if (table) {
  fs.writeFileSync(path.join(HERE, 'results', 'SUMMARY.md'), table);
  console.log('\n' + table);
}
console.log(`\nSummary table: bench/results/SUMMARY.md; every benchmark's section: bench/results/summary.md`);
process.exit(failed ? 1 : 0);
