// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by function
// and by module (engine file / npm package / node internals), and inclusive time of functions.
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function moduleOf(url) {
  if (!url) return '(native / vm)';
  let p = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (p.startsWith('node:')) return p;
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (p.startsWith(REPO)) return path.relative(REPO, p);
  return p;
}

export function analyzeProfile(file) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const cf = n.callFrame;
    return `${cf.functionName || '(anonymous)'} ${moduleOf(cf.url)}:${cf.lineNumber + 1}`;
  };
  const self = new Map();
  const byModule = new Map();
  const inclusive = new Map();
  let total = 0;
  let idle = 0;
  const samples = prof.samples ?? [];
  const deltas = prof.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000; // ms this sample stands for
    const n = nodes.get(samples[i]);
    if (!n) continue;
    const name = n.callFrame.functionName;
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    const k = keyOf(n);
    self.set(k, (self.get(k) ?? 0) + dt);
    const mod = name === '(garbage collector)' ? '(garbage collector)' : name === '(program)' ? '(program)' : moduleOf(n.callFrame.url);
    byModule.set(mod, (byModule.get(mod) ?? 0) + dt);
    const seen = new Set();
    for (let id = n.id; id != null; id = parent.get(id)) {
      const k2 = keyOf(nodes.get(id));
      if (seen.has(k2)) continue;
      seen.add(k2);
      inclusive.set(k2, (inclusive.get(k2) ?? 0) + dt);
    }
  }
  const top = (m, n) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => ({ name: k, ms: Math.round(ms), pct: total ? (100 * ms) / total : 0 }));
  return { file, busyMs: Math.round(total), idleMs: Math.round(idle), self: top(self, 30), modules: top(byModule, 20), inclusive: top(inclusive, 400) };
}

/** Markdown text of a profile analysis, with the inclusive time of functions whose name matches `focus`. */
export function profileText(label, a, focus = /engine\/dist|express|knex|ajv|sqlite3|pg|node:/) {
  const lines = [`#### ${label}`, '', `${a.busyMs} ms busy, ${a.idleMs} ms idle — ${path.basename(a.file)}`, '', 'Self time by module:', ''];
  for (const m of a.modules.slice(0, 12)) lines.push(`- ${m.name}: ${m.ms} ms (${m.pct.toFixed(1)} %)`);
  lines.push('', 'Self time by function (top 15):', '');
  for (const f of a.self.slice(0, 15)) lines.push(`- ${f.name}: ${f.ms} ms (${f.pct.toFixed(1)} %)`);
  lines.push('', 'Inclusive time, engine functions (top 25):', '');
  for (const f of a.inclusive.filter((x) => /engine\/dist/.test(x.name) && focus.test(x.name)).slice(0, 25)) lines.push(`- ${f.name}: ${f.ms} ms (${f.pct.toFixed(1)} %)`);
  return lines.join('\n');
}

// `node bench/lib/profile.js FILE.cpuprofile` prints the analysis.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  for (const f of process.argv.slice(2)) process.stdout.write(profileText(f, analyzeProfile(f)) + '\n\n');
}
