// The one summary table of `npm run bench`: every benchmark adds its headline figures here
// (bench/results/figures.json), and bench/all.js renders them as bench/results/SUMMARY.md — one
// row per figure, with the floor measured in the same run, the ratio, the target and the command
// that reproduces it. The per-benchmark sections stay in bench/results/summary.md.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');
const FILE = path.join(RESULTS, 'figures.json');

/**
 * @typedef {object} Figure
 * @property {string} bench     the script (`run.js`)
 * @property {string} db        sqlite | pg | browser | …
 * @property {string} measure   what was measured (`get: req/s`)
 * @property {number} value     the engine's figure
 * @property {string} unit      req/s, ms, s, MB, rows/s …
 * @property {number} [floor]   the floor's figure, same unit, same run
 * @property {number} [ratio]   engine ÷ floor (or as the target defines it)
 * @property {string} [target]  the issue's target, in words (`≥ 0.70× floor`)
 * @property {boolean} [met]
 * @property {string} command   how to reproduce it
 */

/** Append figures (read by bench/all.js). */
export function recordFigures(/** @type {Figure[]} */ rows) {
  fs.mkdirSync(RESULTS, { recursive: true });
  let all = [];
  try {
    all = JSON.parse(fs.readFileSync(FILE, 'utf8'));
  } catch {
    all = [];
  }
  const at = new Date().toISOString();
  all.push(...rows.map((r) => ({ ...r, at })));
  fs.writeFileSync(FILE, JSON.stringify(all, null, 2) + '\n');
}

export function clearFigures() {
  fs.rmSync(FILE, { force: true });
}

const num = (n, unit) => {
  if (n == null || !Number.isFinite(n)) return '—';
  if (unit === 'ms') return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US');
  if (unit === 's') return n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US');
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
};

/** The Markdown table of every figure recorded since clearFigures(). */
export function renderFigures(title = 'Benchmark summary') {
  let all = [];
  try {
    all = JSON.parse(fs.readFileSync(FILE, 'utf8'));
  } catch {
    return null;
  }
  const lines = [
    `# ${title}`,
    '',
    `${new Date().toISOString()} · \`npm run bench\` (bench/all.js) · floors are measured in the same run; ratios are engine ÷ floor. Each figure's command reproduces it alone.`,
    '',
    '| benchmark | db | measure | engine | floor | ratio | target | met | command |',
    '|---|---|---|---|---|---|---|---|---|',
    ...all.map((r) => `| ${r.bench} | ${r.db} | ${r.measure} | ${num(r.value, r.unit)} ${r.unit} | ${r.floor == null ? '—' : `${num(r.floor, r.unit)} ${r.unit}`} | ${r.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.target ?? '—'} | ${r.met == null ? '—' : r.met ? 'yes' : '**no**'} | \`${r.command}\` |`),
    '',
  ];
  return lines.join('\n');
}
