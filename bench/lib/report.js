// The summary table (stdout and bench/results/summary.md) and the raw figures (records.json).
import fs from 'node:fs';
import path from 'node:path';

export const TARGETS = {
  create: { metric: 'throughput', min: 0.7 },
  get: { metric: 'throughput', min: 0.7 },
  list: { metric: 'p50', max: 1.5 },
  update: { metric: 'throughput' },
};

const fmtInt = (n) => (n == null ? '—' : Math.round(n).toLocaleString('en-US'));
const fmtMs = (n) => (n == null ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));
const fmtX = (n) => (n == null || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}×`);

/** Ratio and target verdict for one operation. */
export function verdict(op, engine, floor) {
  const t = TARGETS[op];
  const throughputRatio = floor.rps ? engine.rps / floor.rps : null;
  const p50Ratio = floor.p50 ? engine.p50 / floor.p50 : null;
  const ratio = t.metric === 'p50' ? p50Ratio : throughputRatio;
  let target = '—';
  let met = null;
  if (t.min != null) {
    target = `≥ ${t.min.toFixed(2)}× floor req/s`;
    met = ratio != null && ratio >= t.min;
  } else if (t.max != null) {
    target = `≤ ${t.max.toFixed(2)}× floor p50`;
    met = ratio != null && ratio <= t.max;
  }
  return { metric: t.metric, ratio, throughputRatio, p50Ratio, target, met };
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => `| ${r.map((v, c) => String(v).padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export function dialectSection(d) {
  const header = ['op', 'engine req/s', 'floor req/s', 'engine p50 ms', 'floor p50 ms', 'engine p99 ms', 'floor p99 ms', 'ratio', 'target', 'met'];
  const rows = [header];
  const cpu = [['op', 'engine CPU ms/req', 'floor CPU ms/req', 'engine DB CPU ms/req', 'floor DB CPU ms/req', 'client CPU ms/req (engine / floor)', 'other load (engine / floor)', 'errors (engine / floor)']];
  const otherLoad = (x) => (x.otherCpuMs == null || !x.wallMs ? '—' : `${(x.otherCpuMs / x.wallMs).toFixed(2)} CPU`);
  for (const [op, r] of Object.entries(d.ops)) {
    const v = r.verdict;
    const ratioText = v.metric === 'p50' ? `${fmtX(v.p50Ratio)} p50 (req/s ${fmtX(v.throughputRatio)})` : `${fmtX(v.throughputRatio)} req/s`;
    rows.push([
      op, fmtInt(r.engine.rps), fmtInt(r.floor.rps), fmtMs(r.engine.p50), fmtMs(r.floor.p50), fmtMs(r.engine.p99), fmtMs(r.floor.p99),
      ratioText, v.target, v.met == null ? '—' : v.met ? 'yes' : '**no**',
    ]);
    const per = (x, k) => (x[k] == null || !x.requests ? '—' : (x[k] / x.requests).toFixed(3));
    cpu.push([
      op, per(r.engine, 'serverCpuMs'), per(r.floor, 'serverCpuMs'), per(r.engine, 'dbCpuMs'), per(r.floor, 'dbCpuMs'),
      `${per(r.engine, 'clientCpuMs')} / ${per(r.floor, 'clientCpuMs')}`, `${otherLoad(r.engine)} / ${otherLoad(r.floor)}`, `${r.engine.errors} / ${r.floor.errors}`,
    ]);
  }
  const title = d.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const notes = [];
  for (const [op, r] of Object.entries(d.ops)) {
    if (r.quietBefore && !r.quietBefore.quiet) notes.push(`- ${op}: the machine was not quiet before measuring (${r.quietBefore.busy.toFixed(2)} CPUs busy after ${(r.quietBefore.waitedMs / 1000).toFixed(0)} s of waiting).`);
    for (const side of ['engine', 'floor']) {
      if (r[side].timedOut) notes.push(`- ${op} (${side}) hit the phase time limit: ${r[side].requests} requests measured.`);
      if (r[side].errorSamples?.length) notes.push(`- ${op} (${side}) errors, e.g.: ${r[side].errorSamples[0].slice(0, 300)}`);
    }
  }
  return [
    `### ${title} — ${d.rows.toLocaleString('en-US')} rows seeded, ${d.finalRows.engine.toLocaleString('en-US')} / ${d.finalRows.floor.toLocaleString('en-US')} at the end (engine / floor)`,
    '',
    table(rows),
    '',
    'CPU time per request (server process; DB = all `postgres` processes; client = the benchmark process; other load = CPUs busy with anything else meanwhile, i.e. interference):',
    '',
    table(cpu),
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

export function renderSummary(results) {
  const m = results.machine;
  const c = results.config;
  const head = [
    `# Records benchmark${c.quick ? ' (--quick)' : ''}`,
    '',
    `${m.date} · node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${Math.round(m.memoryMb / 1024)} GB · ${m.platform} · load average ${m.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')} at the start`,
    '',
    `${c.clients} concurrent keep-alive clients; per operation ${c.warmup} warm-up requests, then ` +
      `${c.counts.create} creates, ${c.counts.get} gets, ${c.counts.list} list pages, ${c.counts.update} updates ` +
      `against each server, in ${c.rounds} round(s) of floor, engine, engine, floor. Engine = \`formwork serve\`; floor = bench/thin-server.js ` +
      `(hand-written express + knex on an identical table). Ratios: engine ÷ floor req/s for create/get/update, ` +
      `engine ÷ floor p50 for list. See bench/README.md.`,
    '',
  ];
  const body = results.dialects.map(dialectSection);
  const verdicts = [];
  for (const d of results.dialects) {
    for (const [op, r] of Object.entries(d.ops)) {
      if (r.verdict.met == null) continue;
      verdicts.push(`- ${d.dialect} ${op}: ${r.verdict.met ? 'met' : 'MISSED'} (${fmtX(r.verdict.ratio)} vs ${r.verdict.target})`);
    }
  }
  const foot = verdicts.length ? ['', '### Targets', '', ...verdicts, ...(c.quick ? ['', `_--quick runs ${c.rows.toLocaleString('en-US')} rows; the targets are defined at 100,000 rows._`] : [])] : [];
  const prof = results.profiles?.length ? ['', '### Profiles', '', ...results.profiles.map((p) => p.text)] : [];
  return [...head, body.join('\n\n'), ...foot, ...prof, ''].join('\n');
}

export function writeResults(dir, results) {
  fs.mkdirSync(dir, { recursive: true });
  const summary = renderSummary(results);
  fs.writeFileSync(path.join(dir, 'summary.md'), summary);
  fs.writeFileSync(path.join(dir, 'records.json'), JSON.stringify(results, null, 2) + '\n');
  return summary;
}
