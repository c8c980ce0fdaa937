// Child processes of the benchmark (the engine and the thin server) and the cleanup that stops
// them: on normal exit, on errors, on SIGINT/SIGTERM and on the global time limit. Every child is
// also started with orphan-guard.js preloaded, so it stops by itself if this process is killed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';

const GUARD = pathToFileURL(fileURLToPath(new URL('./orphan-guard.js', import.meta.url))).href;

/** Cleanup steps, run last-in first-out, each at most once. */
const cleanups = [];
const children = new Set();

export function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

let cleaning = null;
export function cleanupAll() {
  if (!cleaning) {
    cleaning = (async () => {
      for (const c of [...children]) await c.stop().catch(() => undefined);
      while (cleanups.length) {
        const fn = cleanups.pop();
        try {
          await fn();
        } catch (e) {
          process.stderr.write(`bench: cleanup step failed: ${e?.message ?? e}\n`);
        }
      }
    })();
  }
  return cleaning;
}

// Last resort: a synchronous kill of whatever is still running when the process exits.
process.on('exit', () => {
  for (const c of children) {
    try {
      c.child.kill('SIGKILL');
    } catch {
      /* ignore */
    }
  }
});

/**
 * Start a server process and wait for the line announcing its URL.
 * @param {string} name   for messages
 * @param {string[]} args node arguments after the guard (script and its arguments)
 * @param {{env?: object, nodeArgs?: string[], readyRe: RegExp, timeoutMs?: number, cwd?: string, ipc?: boolean}} opts
 */
export async function startServer(name, args, opts) {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', GUARD, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let seq = 0;
  const proc = {
    name,
    child,
    /** With `ipc`: send {cmd, …} and wait for the reply carrying the same id. */
    ask(message, timeoutMs = 30_000) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no answer to ${message.cmd}`)), timeoutMs);
        const onMessage = (m) => {
          if (m?.id !== id) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m);
        };
        child.on('message', onMessage);
        child.send({ ...message, id });
      });
    },
    pid: child.pid,
    url: '',
    output: () => out,
    exited: false,
    /** SIGTERM, then SIGKILL after 10 s. Resolves when the process is gone. */
    stop() {
      children.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(hard);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
  children.add(proc);
  child.on('exit', () => {
    proc.exited = true;
  });
  proc.url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${(opts.timeoutMs ?? 60_000) / 1000} s:\n${out}`)), opts.timeoutMs ?? 60_000);
    const onData = () => {
      const m = opts.readyRe.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  const u = new URL(proc.url);
  if (u.hostname !== '127.0.0.1') throw new Error(`${name} listens on ${u.hostname}, expected 127.0.0.1`);
  return proc;
}

/** CPU time (user + system, ms) a process has used so far, from /proc; null where unavailable. */
export function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5)), in clock ticks
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU time (ms) of all processes whose command name is `comm` (e.g. every `postgres` process). */
export function commandCpuMs(comm) {
  let total = 0;
  let found = false;
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== comm) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, plus cutime/cstime of exited children (backends that ended)
      total += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      found = true;
    } catch {
      /* the process ended meanwhile */
    }
  }
  return found ? (total * 1000) / CLK_TCK : null;
}

/** CPU time (ms) the whole machine has been busy (all CPUs, /proc/stat), null where unavailable. */
export function machineBusyMs() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: busy = all but idle and iowait
    const busy = v.reduce((s, x) => s + x, 0) - v[3] - (v[4] ?? 0);
    return (busy * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * Wait (at most `maxMs`) until the machine is quiet: less than `threshold` CPUs busy for 3
 * one-second samples in a row, so other people's test runs do not land in a measurement.
 * Resolves {waitedMs, quiet, busy} (busy: CPUs in the last sample).
 */
export async function waitQuiet(maxMs, threshold = 0.3) {
  const t0 = performance.now();
  let calm = 0;
  let busy = null;
  for (;;) {
    const a = machineBusyMs();
    if (a == null) return { waitedMs: 0, quiet: true, busy: null };
    await new Promise((r) => setTimeout(r, 1000));
    busy = (machineBusyMs() - a) / 1000;
    calm = busy < threshold ? calm + 1 : 0;
    const waitedMs = performance.now() - t0;
    if (calm >= 3) return { waitedMs, quiet: true, busy };
    if (waitedMs >= maxMs) return { waitedMs, quiet: false, busy };
  }
}

// Linux reports /proc CPU times in USER_HZ, 100 on every common platform.
const CLK_TCK = 100;
