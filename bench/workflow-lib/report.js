// Figures and tables of the workflow benchmark.

/** The p-th percentile (0..100) of an array of numbers (nearest rank). */
export function percentile(values, p) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const int = (n) => (n == null || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US'));
export const ms = (n) => (n == null || !Number.isFinite(n) ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));
export const sec = (n) => (n == null || !Number.isFinite(n) ? '—' : (n / 1000).toFixed(1));

/** A Markdown table with padded columns (reads well on a terminal too). */
export function table(head, rows) {
  const cells = [head, ...rows].map((r) => r.map((c) => String(c)));
  const width = head.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const line = (r) => '| ' + r.map((c, i) => c.padEnd(width[i])).join(' | ') + ' |';
  return [line(cells[0]), '|' + width.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

const NAMES = { sqlite: 'SQLite', pg: 'PostgreSQL' };

/** The summary (Markdown) of a run: the machine, the two tables, the targets. */
export function summaryMarkdown(all) {
  const { machine, config } = all;
  const out = [];
  out.push(`# Workflow benchmark${config.quick ? ' (--quick)' : ''}`);
  out.push('');
  out.push(`${machine.date} · node ${machine.node} · ${machine.cpus} × ${machine.cpuModel.split(' ').slice(0, 2).join(' ')} · ${Math.round(machine.memoryMb / 1024)} GB · ${machine.platform} · load average ${machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')} at the start`);
  out.push('');
  out.push(
    `In-process engine (createEngine from engine/dist). Approvals: ${int(config.approvals + (config.paced ?? 0))} records, each starting approval → set_fields → end; ` +
      `${config.workers} concurrent workers complete ${int(config.approvals)} open tasks through runtime.completeTask, then ${int(config.paced ?? 0)} more are completed at ${int(config.rate ?? 0)}/s` +
      `${config.loops ? ' while the engine\'s background loops run (dispatcher every 250 ms, jobs every 1 s, as `formwork serve`)' : ''}. ` +
      `Timers: ${int(config.timers)} jobs of a no-op kind, all due, run by JobQueue workers (batch ${config.jobBatch}, as \`formwork serve\`). See bench/README.md, "Workflows".`,
  );
  out.push('');
  out.push('### Approvals');
  out.push('');
  out.push(
    table(
      ['db', 'records', 'create rec/s', 'start inst/s', 'saturated p50 ms', 'saturated p99 ms', 'completions/s', 'transitions/s', 'errors', 'p99 ≤ 30 ms at saturation'],
      all.dialects.map((d) => {
        const a = d.approvals;
        return [NAMES[d.dialect], int(a.records), int(a.createPerSec), int(a.startPerSec), ms(a.p50), ms(a.p99), int(a.completionsPerSec), int(a.transitionsPerSec), int(a.errors), a.p99 == null ? '—' : a.p99 <= 30 ? 'met' : 'MISSED'];
      }),
    ),
  );
  out.push('');
  out.push(
    `Above: ${config.workers} closed-loop callers, each calling again as soon as its last call returned: the engine at full throttle, so latency ≈ ${config.workers} ÷ throughput (queueing). ` +
      'Below: tasks completed at a steady rate (open loop: a call starts when due whatever the others are doing; latency counts from when it was due), after the closed loop, with the same loops running.',
  );
  out.push('');
  out.push(
    table(
      ['db', 'paced completions', 'rate /s', 'achieved /s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'p99 target ≤ 30 ms'],
      all.dialects.filter((d) => d.approvals.paced).map((d) => {
        const p = d.approvals.paced;
        return [NAMES[d.dialect], int(p.count), int(p.rate), int(p.achievedPerSec), ms(p.p50), ms(p.p90), ms(p.p99), ms(p.max), int(p.errors), p.p99 <= 30 ? 'met' : 'MISSED'];
      }),
    ),
  );
  out.push('');
  out.push('### Due timers fired');
  out.push('');
  const rows = [];
  for (const d of all.dialects) {
    for (const t of d.timers) {
      rows.push([NAMES[d.dialect], String(t.workers), int(t.jobs), sec(t.ms), int(t.jobsPerSec), t.perWorker.map(int).join(' / '), int(t.reclaimed), int(t.enqueuePerSec), t.targetMs == null ? '—' : t.ms <= t.targetMs ? 'met' : 'MISSED']);
    }
  }
  out.push(table(['db', 'workers', 'jobs', 'seconds', 'jobs/s', 'per worker', 'claimed twice', 'enqueue jobs/s', `target ≤ ${sec(all.config.timerTargetMs)} s`], rows));
  out.push('');
  out.push('### Cost');
  out.push('');
  out.push('Per completion (approvals) and per job (timers): SQL statements the engine sent, CPU of this process (the engine) and of the PostgreSQL server, and how many CPUs everything else kept busy meanwhile (interference: above ~0.2 the row is suspect).');
  out.push('');
  const f3 = (n) => (n == null || !Number.isFinite(n) ? '—' : n.toFixed(n < 10 ? 2 : 1));
  const cost = [];
  for (const d of all.dialects) {
    const a = d.approvals;
    cost.push([NAMES[d.dialect], 'completion', f3(a.statementsPerCompletion), f3(a.engineCpuMsPerCompletion), f3(a.dbCpuMsPerCompletion), a.otherLoadCpus == null ? '—' : a.otherLoadCpus.toFixed(2)]);
    for (const t of d.timers) cost.push([NAMES[d.dialect], `job (${t.workers} worker${t.workers > 1 ? 's' : ''})`, f3(t.statementsPerJob), f3(t.engineCpuMsPerJob), f3(t.dbCpuMsPerJob), t.otherLoadCpus == null ? '—' : t.otherLoadCpus.toFixed(2)]);
  }
  out.push(table(['db', 'per', 'statements', 'engine CPU ms', 'DB CPU ms', 'other load (CPUs)'], cost));
  out.push('');
  out.push('### Totals');
  out.push('');
  out.push(table(['db', 'database', 'seconds (setup, approvals, timers)'], all.dialects.map((d) => [NAMES[d.dialect], d.database, sec(d.totalMs)])));
  if (config.quick) {
    out.push('');
    out.push(`_--quick runs ${int(config.approvals)} approvals and ${int(config.timers)} timers; the targets are defined for 10,000 approvals and 100,000 timers (the timer target is scaled here)._`);
  }
  return out.join('\n') + '\n';
}
