// CPU accounting from /proc (Linux; elsewhere the figures are null): this process, the
// PostgreSQL server processes, and the whole machine, so a phase can say how much CPU the
// engine and the database used and how busy everything else kept the machine (interference).
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Busy CPU milliseconds of the whole machine since boot (all CPUs), or null. */
export function machineBusyMs() {
  const s = read('/proc/stat');
  if (!s) return null;
  const f = s.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  return busy * TICK_MS;
}

/** CPU milliseconds used by every process whose command name is `name` (e.g. postgres), or null. */
export function commandCpuMs(name) {
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  let total = 0;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = read(`/proc/${e}/stat`);
    if (!stat) continue;
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (stat.slice(open + 1, close) !== name) continue;
    const rest = stat.slice(close + 2).split(' ');
    total += (Number(rest[11]) + Number(rest[12])) * TICK_MS; // utime, stime
  }
  return total;
}

export function snapshot(dialect) {
  const u = process.cpuUsage();
  return { self: (u.user + u.system) / 1000, db: dialect === 'pg' ? commandCpuMs('postgres') : null, machine: machineBusyMs(), at: performance.now() };
}

/** CPU used between two snapshots: this process, the database, everything else (in CPUs busy). */
export function delta(a, b) {
  const wall = b.at - a.at;
  const self = b.self - a.self;
  const db = a.db == null || b.db == null ? null : b.db - a.db;
  const machine = a.machine == null || b.machine == null ? null : b.machine - a.machine;
  const other = machine == null ? null : Math.max(0, machine - self - (db ?? 0));
  return { wallMs: wall, selfMs: self, dbMs: db, otherCpus: other == null || wall <= 0 ? null : other / wall };
}

/**
 * Wait until fewer than `threshold` CPUs are busy for `quietMs` in a row, at most `maxMs`, so
 * someone else's test run does not land in a measurement. Returns what it saw.
 */
export async function waitQuiet(maxMs, { threshold = 0.3, quietMs = 3000, stepMs = 500 } = {}) {
  const start = performance.now();
  if (machineBusyMs() == null || maxMs <= 0) return { waitedMs: 0, quiet: null, busy: null };
  let quietSince = performance.now();
  let prev = { busy: machineBusyMs(), at: performance.now() };
  let busy = 0;
  for (let i = 0; i < 100_000; i++) {
    await new Promise((r) => setTimeout(r, stepMs));
    const now = { busy: machineBusyMs(), at: performance.now() };
    busy = (now.busy - prev.busy) / (now.at - prev.at);
    prev = now;
    if (busy >= threshold) quietSince = now.at;
    if (now.at - quietSince >= quietMs) return { waitedMs: now.at - start, quiet: true, busy };
    if (now.at - start >= maxMs) return { waitedMs: now.at - start, quiet: false, busy };
  }
  return { waitedMs: performance.now() - start, quiet: false, busy };
}
