#!/usr/bin/env node
/**
 * What the heavy frames of a designer drag are made of: reads a Chrome trace kept with
 * `DRAG_TRACE=FILE node bench/designer-drag.js --quick` and, for the renderer main thread (the one
 * firing the most animation frames), splits its events into frames (FireAnimationFrame to the next),
 * then prints, for frames whose busy time is over the limit and for the others, the self time per
 * event name (an event's duration minus that of the events nested in it) summed and divided by the
 * number of frames.
 *
 *   node bench/designer-drag-trace.js FILE [--over 16] [--top 25] [--frames N]   (N: list the N heaviest frames)
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values: o, positionals } = parseArgs({ allowPositionals: true, options: { over: { type: 'string', default: '16' }, top: { type: 'string', default: '25' }, frames: { type: 'string', default: '0' } } });
const LIMIT = Number(o.over);
const trace = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
const events = Array.isArray(trace) ? trace : trace.traceEvents;
const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
const fired = new Map();
for (const e of events) {
  if (e.name !== 'FireAnimationFrame' || !mains.has(`${e.pid}:${e.tid}`)) continue;
  const k = `${e.pid}:${e.tid}`;
  (fired.get(k) ?? fired.set(k, []).get(k)).push(e.ts);
}
const [thread, starts] = [...fired].sort((a, b) => b[1].length - a[1].length)[0];
starts.sort((a, b) => a - b);
// Complete events of the thread (B/E pairs folded into X).
const xs = [];
const open = [];
for (const e of events) {
  if (`${e.pid}:${e.tid}` !== thread) continue;
  if (e.ph === 'X' && e.dur > 0) xs.push({ name: e.name, ts: e.ts, end: e.ts + e.dur, cpu: e.tdur ?? e.dur, args: e.args });
  else if (e.ph === 'B') open.push(e);
  else if (e.ph === 'E') {
    const b = open.pop();
    if (b) xs.push({ name: b.name, ts: b.ts, end: e.ts, args: b.args });
  }
}
xs.sort((a, b) => a.ts - b.ts || b.end - a.end);
// Self time: walk with a stack.
const stack = [];
for (const x of xs) {
  x.self = x.end - x.ts;
  while (stack.length && stack[stack.length - 1].end <= x.ts) stack.pop();
  const parent = stack[stack.length - 1];
  if (parent) { parent.self -= Math.min(x.end, parent.end) - x.ts; x.depth = stack.length; } else x.depth = 0;
  stack.push(x);
}
const isTask = (n) => n === 'ThreadControllerImpl::RunTask' || n === 'RunTask';
const frameOf = (ts) => {
  let lo = 0, hi = starts.length - 1;
  if (ts < starts[0] || ts >= starts[hi]) return -1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= ts) lo = mid; else hi = mid - 1; }
  return lo;
};
const nf = starts.length - 1;
const busy = new Float64Array(nf);
const cpu = new Float64Array(nf); // the same from thread time (tdur): what other load on the machine does not inflate
const per = Array.from({ length: nf }, () => new Map());
for (const x of xs) {
  // Busy time as the benchmark counts it: top-level tasks clipped to each frame they overlap.
  if (x.depth === 0 && isTask(x.name)) {
    for (let f = Math.max(0, frameOf(x.ts)); f < nf && starts[f] < x.end; f++) {
      const us = Math.min(x.end, starts[f + 1]) - Math.max(x.ts, starts[f]);
      if (us > 0) {
        busy[f] += us / 1000;
        cpu[f] += (us / (x.end - x.ts)) * x.cpu / 1000;
      }
    }
  }
  // Other events count in the frame they start in.
  const f = frameOf(x.ts);
  if (f < 0) continue;
  const m = per[f];
  m.set(x.name, (m.get(x.name) ?? 0) + x.self / 1000);
}
const heavy = [], light = [];
for (let i = 0; i < nf; i++) (busy[i] > LIMIT ? heavy : light).push(i);
const sorted = [...busy].sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
const cpuSorted = [...cpu].sort((a, b) => a - b);
const cpct = (p) => cpuSorted[Math.min(cpuSorted.length - 1, Math.floor(p / 100 * cpuSorted.length))];
console.log(`${nf} frames; busy median ${pct(50).toFixed(1)} / p95 ${pct(95).toFixed(1)} ms; ${heavy.length} over ${LIMIT} ms; thread CPU median ${cpct(50).toFixed(1)} / p95 ${cpct(95).toFixed(1)} ms, ${cpuSorted.filter((x) => x > LIMIT).length} over ${LIMIT} ms`);
const table = (idx, title) => {
  const sum = new Map();
  for (const i of idx) for (const [k, v] of per[i]) sum.set(k, (sum.get(k) ?? 0) + v);
  const rows = [...sum].sort((a, b) => b[1] - a[1]).slice(0, Number(o.top));
  console.log(`\n${title}: ${idx.length} frames, busy ${(idx.reduce((a, i) => a + busy[i], 0) / Math.max(1, idx.length)).toFixed(2)} ms per frame; self ms per frame by event:`);
  for (const [k, v] of rows) console.log(`  ${(v / Math.max(1, idx.length)).toFixed(2).padStart(7)}  ${k}`);
};
table(heavy, `frames over ${LIMIT} ms`);
table(light, 'the other frames');
const n = Number(o.frames);
if (n) {
  const top = [...busy.keys()].sort((a, b) => busy[b] - busy[a]).slice(0, n);
  for (const i of top) {
    const rows = [...per[i]].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    console.log(`\nframe ${i} (+${((starts[i] - starts[0]) / 1000).toFixed(0)} ms): busy ${busy[i].toFixed(1)} ms: ${rows}`);
  }
}
