// A cluster of `formwork serve` processes on one fresh database behind a round-robin proxy, for
// the chaos test, the chaos/soak/cluster benchmarks (bench/README.md, "Clusters").
//
//   const c = await createCluster({ dialect: 'pg', processes: 2 });
//   c.proxy.url            // http://127.0.0.1:PORT: round robin over the live processes
//   c.procs[0].url         // one process directly
//   await c.kill('B');     // kill -9
//   await c.restart('B');  // the same port again, the same database
//   await c.stop();        // stop everything, drop the database, remove the data folder
//
// Plain ESM, no TypeScript: scripts import it, and so does engine/test/cli/chaos.test.ts. Talks to
// 127.0.0.1 only. Needs the built engine (`npm run build -w engine`).
//
// THE PROXY'S RETRY RULE. A request is sent to the next live upstream (round robin). It is sent
// again to another upstream only when the first attempt failed before any response byte came
// back, and only when a second execution cannot do harm:
//   1. the connection was refused (ECONNREFUSED, or any error on a new connection before it was
//      established): the request never reached a server, so any method is retried — a POST too;
//   2. the connection was reset or closed after the request may have been sent (ECONNRESET,
//      EPIPE, "socket hang up" on an established or reused keep-alive connection): the server may
//      have applied it before it died. Only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE;
//      RFC 9110 9.2.2) are retried; anything else (POST, PATCH) is answered 502 with
//      `X-Formwork-Proxy: upstream-cut` — the client did not get a 2xx, so the write is NOT
//      acknowledged, and it may or may not have been applied (exactly what a client of a real
//      load balancer sees when a server dies mid-request).
// A connection cut after response bytes were forwarded cannot be retried either: the client's
// connection is destroyed (it sees a network error, again no 2xx). An upstream that refused a
// connection is skipped for 1 s (then tried again by ordinary traffic), so a dead process costs
// one refused connect per second, not one per request. Upstream requests time out after 30 s (504).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../..');
export const BIN = path.join(REPO, 'engine/bin/formwork.js');
const GUARD = pathToFileURL(path.join(HERE, 'orphan-guard.js')).href;
export const PG_SERVER_URL = process.env.FORMWORK_BENCH_PG ?? process.env.FORMWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ADMIN_PASSWORD = 'cluster-admin-password-123';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Preloaded into each engine process when `memoryProbeMs` is set: prints its heap figures as one
 * line `@@mem {json}` on stderr every N ms (the harness reads them; RSS comes from /proc).
 */
const MEMORY_PROBE = (ms) =>
  'data:text/javascript,' +
  encodeURIComponent(
    `const t = setInterval(() => { const m = process.memoryUsage(); process.stderr.write('@@mem ' + JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }) + '\\n'); }, ${Number(ms)}); t.unref();`,
  );

function assertLocal(url) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost'].includes(host)) throw new Error(`the cluster harness only talks to 127.0.0.1; refusing ${host}`);
}

async function withPg(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Databases `fw_cluster_*` (commented with their creator's pid) left by runs killed without cleanup. */
export async function removeLeftoverDatabases(serverUrl = PG_SERVER_URL) {
  const removed = [];
  await withPg(serverUrl, async (c) => {
    const { rows } = await c.query(`select datname, shobj_description(oid, 'pg_database') as note from pg_database where datname like 'fw\\_cluster\\_%'`);
    for (const r of rows) {
      const m = /^formwork cluster pid (\d+)$/.exec(r.note ?? '');
      if (!m || alive(Number(m[1])) || !/^fw_cluster_[0-9a-f]{10}$/.test(r.datname)) continue;
      await c.query(`drop database if exists "${r.datname}" with (force)`);
      removed.push(r.datname);
    }
  });
  return removed;
}

/** A fresh database: PostgreSQL `fw_cluster_<random>` on `serverUrl`, or an SQLite file in `dir`. */
export async function createDatabase(dialect, dir, serverUrl = PG_SERVER_URL) {
  if (dialect === 'sqlite') {
    const file = path.join(dir, 'formwork.db');
    return { dialect, name: file, url: `sqlite:${file}`, drop: async () => {} };
  }
  assertLocal(serverUrl);
  await removeLeftoverDatabases(serverUrl).catch(() => []);
  const name = `fw_cluster_${crypto.randomBytes(5).toString('hex')}`;
  await withPg(serverUrl, async (c) => {
    await c.query(`create database "${name}"`);
    await c.query(`comment on database "${name}" is 'formwork cluster pid ${process.pid}'`);
  });
  const u = new URL(serverUrl);
  u.pathname = '/' + name;
  return { dialect, name, url: u.toString(), drop: () => withPg(serverUrl, (c) => c.query(`drop database if exists "${name}" with (force)`)) };
}

/** Resident set size (bytes) of a process from /proc/PID/status (VmRSS); null when it is gone. */
export function rssBytes(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------ processes

/**
 * One `formwork serve` process (the orphan guard preloaded: it stops if this process dies).
 * Resolves when it prints its listening line.
 */
async function spawnServe(proc, { dbUrl, env, port, memoryProbeMs, startTimeoutMs = 60_000 }) {
  const nodeArgs = ['--import', GUARD];
  if (memoryProbeMs) nodeArgs.push('--import', MEMORY_PROBE(memoryProbeMs));
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', String(port ?? 0), '--db', dbUrl], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let pending = '';
  const keep = (d) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', (d) => {
    // memory probe lines go to proc.memory, the rest to the output
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (line.startsWith('@@mem ')) {
        try {
          proc.memory = JSON.parse(line.slice(6));
          proc.memoryLog.push(proc.memory);
          if (proc.memoryLog.length > 20_000) proc.memoryLog.splice(0, 10_000);
        } catch {
          /* torn line */
        }
      } else keep(line + '\n');
    }
  });
  proc.child = child;
  proc.pid = child.pid;
  proc.memory = null;
  proc.memoryLog = proc.memoryLog ?? []; // every probe line of every life of this process
  proc.output = () => out;
  proc.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  proc.url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${proc.name} did not start within ${startTimeoutMs / 1000} s:\n${out}`)), startTimeoutMs);
    const onData = () => {
      const m = /Formwork listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        resolve(m[1]);
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${proc.name} exited (${code ?? signal}) before it was ready:\n${out}`));
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  assertLocal(proc.url);
  proc.port = Number(new URL(proc.url).port);
  proc.alive = true;
  proc.starts = (proc.starts ?? 0) + 1;
  child.once('exit', () => (proc.alive = false));
  return proc;
}

// ------------------------------------------------------------------------------ the proxy

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const MAX_BODY = 30 * 1024 * 1024;

/**
 * The round-robin proxy over `upstreams` (objects with `name` and a current `url`), following the
 * retry rule at the top of this file. Every answer names who served it in `X-Formwork-Upstream`.
 * `stats`: per upstream requests served; `retried` (by reason), `cut` (502 upstream-cut answers),
 * `noUpstream` (every upstream refused), `aborted` (cut after response bytes).
 */
export function startProxy(upstreams, { downMs = 1000, timeoutMs = 30_000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  const down = new Map(); // name → until (ms)
  let next = 0;
  const stats = {
    served: Object.fromEntries(upstreams.map((u) => [u.name, 0])),
    retried: { refused: 0, reset: 0 },
    cut: 0,
    cutRequests: [],
    noUpstream: 0,
    aborted: 0,
    timeouts: 0,
  };

  /** Upstreams in the order to try: round robin, the ones marked down last. */
  function order() {
    const start = next++ % upstreams.length;
    const all = upstreams.map((_, i) => upstreams[(start + i) % upstreams.length]);
    const now = Date.now();
    return [...all.filter((u) => !(down.get(u.name) > now)), ...all.filter((u) => down.get(u.name) > now)];
  }

  /** One attempt: resolves {ok: true} once the answer is being forwarded, or {ok: false, reached, error}. */
  function attempt(up, req, res, body) {
    return new Promise((resolve) => {
      const target = new URL(req.url, up.url);
      const headers = { ...req.headers, host: target.host, 'x-forwarded-for': req.socket.remoteAddress ?? '' };
      delete headers.connection;
      if (body.length || headers['content-length'] != null) headers['content-length'] = String(body.length);
      let connected = false; // a new connection got established, or a keep-alive one was reused
      let settled = false;
      const done = (v) => {
        if (!settled) {
          settled = true;
          resolve(v);
        }
      };
      const preq = http.request(target, { method: req.method, headers, agent, timeout: timeoutMs }, (pres) => {
        // The first response bytes: from here on a failure cannot be retried.
        res.writeHead(pres.statusCode ?? 502, { ...pres.headers, 'x-formwork-upstream': up.name });
        pres.pipe(res);
        pres.on('error', () => {
          stats.aborted++;
          res.destroy();
        });
        pres.on('aborted', () => {
          stats.aborted++;
          res.destroy();
        });
        stats.served[up.name] = (stats.served[up.name] ?? 0) + 1;
        done({ ok: true });
      });
      preq.on('socket', (s) => {
        if (preq.reusedSocket) connected = true;
        else if (!s.connecting) connected = true;
        else s.once('connect', () => (connected = true));
      });
      preq.on('timeout', () => {
        stats.timeouts++;
        preq.destroy(Object.assign(new Error(`no answer from ${up.name} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      preq.on('error', (e) => done({ ok: false, reached: connected || e.code === 'ETIMEDOUT', error: e }));
      preq.end(body);
    });
  }

  async function handle(req, res) {
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'payload_too_large', message: 'proxy: body over 30 MB' } }));
      }
      chunks.push(c);
    }
    const body = Buffer.concat(chunks);
    let last = null;
    for (const up of order()) {
      const r = await attempt(up, req, res, body);
      if (r.ok) return;
      last = { up, error: r.error };
      if (!r.reached) {
        // Never reached a server: skip this upstream for a while, try the next one (any method).
        down.set(up.name, Date.now() + downMs);
        stats.retried.refused++;
        continue;
      }
      if (r.error.code !== 'ETIMEDOUT' && IDEMPOTENT.has(req.method)) {
        stats.retried.reset++;
        continue;
      }
      // May have been applied: answer, do not retry.
      if (r.error.code === 'ETIMEDOUT') {
        res.writeHead(504, { 'content-type': 'application/json', 'x-formwork-upstream': up.name, 'x-formwork-proxy': 'upstream-timeout' });
        return res.end(JSON.stringify({ error: { code: 'internal', message: `proxy: ${r.error.message}` } }));
      }
      stats.cut++;
      if (stats.cutRequests.length < 1000) stats.cutRequests.push({ method: req.method, path: req.url.split('?')[0], upstream: up.name, error: r.error.code ?? r.error.message, at: Date.now() });
      res.writeHead(502, { 'content-type': 'application/json', 'x-formwork-upstream': up.name, 'x-formwork-proxy': 'upstream-cut' });
      return res.end(JSON.stringify({ error: { code: 'internal', message: `proxy: upstream ${up.name} closed the connection before answering (${r.error.code ?? r.error.message}); the request may or may not have been applied` } }));
    }
    stats.noUpstream++;
    res.writeHead(502, { 'content-type': 'application/json', 'x-formwork-proxy': 'no-upstream' });
    res.end(JSON.stringify({ error: { code: 'internal', message: `proxy: no upstream answered (${last?.error?.code ?? last?.error?.message ?? 'none'})` } }));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (res.headersSent) return res.destroy(e);
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: `proxy: ${e.message}` } }));
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        stats,
        /** Forget that an upstream refused (after a restart). */
        markUp: (name) => down.delete(name),
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            agent.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}

// ------------------------------------------------------------------------------ the cluster

/**
 * Start a cluster. `dialect` 'pg' (default) or 'sqlite' (then `processes` must be 1: SQLite is the
 * single-process deployment). Processes are named A, B, C…; the first one starts alone (it creates
 * the tables and the administrator `admin` / ADMIN_PASSWORD), then the others.
 * `memoryProbeMs`: each process reports its heap every N ms (proc.memory: the latest;
 * proc.memoryLog: all of them, {at (ms epoch), rss, heapUsed, heapTotal, external, arrayBuffers}).
 */
export async function createCluster({ dialect = 'pg', processes = 2, pgUrl = PG_SERVER_URL, env = {}, memoryProbeMs = 0, log = () => {} } = {}) {
  if (dialect === 'sqlite' && processes !== 1) throw new Error('SQLite runs one process (one writer)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-cluster-'));
  fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
  const db = await createDatabase(dialect, dir, pgUrl);
  const procEnv = {
    FORMWORK_LOG: 'warn',
    FORMWORK_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // Processes sharing a database must share the key of sensitive fields; they share the data folder too.
    FORMWORK_SECRET: crypto.randomBytes(24).toString('hex'),
    FORMWORK_DATA_DIR: path.join(dir, 'data'),
    ...env,
  };
  const procs = Array.from({ length: processes }, (_, i) => ({ name: String.fromCharCode(65 + i), url: '', alive: false }));
  let proxy = null;
  let stopped = false;
  const cluster = {
    db,
    dir,
    procs,
    get proxy() {
      return proxy;
    },
    proc(name) {
      const p = procs.find((x) => x.name === name);
      if (!p) throw new Error(`no process ${name}`);
      return p;
    },
    /** kill -9 (or another signal); resolves when it has exited. */
    async kill(name, signal = 'SIGKILL') {
      const p = cluster.proc(name);
      if (!p.alive) return;
      p.child.kill(signal);
      await p.exited;
      log(`killed ${name} (pid ${p.pid}) with ${signal}`);
    },
    /** Start a stopped process again on its port (a fresh one if that is taken). */
    async restart(name) {
      const p = cluster.proc(name);
      if (p.alive) throw new Error(`${name} is running`);
      const t0 = Date.now();
      try {
        await spawnServe(p, { dbUrl: db.url, env: procEnv, port: p.port, memoryProbeMs });
      } catch (e) {
        if (!/EADDRINUSE/.test(String(e.message))) throw e;
        await spawnServe(p, { dbUrl: db.url, env: procEnv, port: 0, memoryProbeMs });
      }
      proxy?.markUp(name);
      log(`restarted ${name} (pid ${p.pid}) in ${Date.now() - t0} ms`);
      return p;
    },
    /** Stop every process (SIGTERM, SIGKILL after 10 s), close the proxy, drop the database, remove the folder. */
    async stop() {
      if (stopped) return;
      stopped = true;
      await proxy?.close().catch(() => undefined);
      await Promise.all(
        procs.map(async (p) => {
          if (!p.alive) return;
          const hard = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
          p.child.kill('SIGTERM');
          await p.exited;
          clearTimeout(hard);
        }),
      );
      await db.drop().catch((e) => log(`could not drop ${db.name}: ${e.message}`));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const onExit = () => {
    for (const p of procs) if (p.alive) p.child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  try {
    for (const p of procs) {
      await spawnServe(p, { dbUrl: db.url, env: procEnv, port: 0, memoryProbeMs });
      log(`${p.name}: ${p.url} (pid ${p.pid})`);
    }
    proxy = await startProxy(procs);
    log(`proxy: ${proxy.url} → ${procs.map((p) => p.name).join(', ')} (database ${db.name})`);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

// ------------------------------------------------------------------------------ HTTP helpers

/** One JSON request (127.0.0.1 only), bounded in time; never throws: status 0 = no answer. */
export async function api(base, token, method, p, body, timeoutMs = 30_000) {
  assertLocal(base);
  try {
    const r = await fetch(base + p, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed, via: r.headers.get('x-formwork-upstream') };
  } catch (e) {
    return { status: 0, body: String(e?.message ?? e), via: null };
  }
}

/** `api` that must answer `status`; returns the body. */
export async function must(promise, status, what) {
  const r = await promise;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

/** Poll `check` (truthy = done) every `everyMs`, at most `timeoutMs`. */
export async function until(what, timeoutMs, check, everyMs = 200) {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export { sleep };
