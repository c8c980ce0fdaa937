#!/usr/bin/env node
/**
 * Two `formwork serve` processes on one PostgreSQL database behind a small round-robin proxy,
 * showing that they serve and share the work:
 *
 *   1. a sign-in through the proxy is a session both processes accept (sessions live in the database);
 *   2. a form published on A is served by B (each process refreshes its published documents when
 *      another one publishes), and a workflow published on B runs on A too;
 *   3. records written through one process are read (and updated) through the other;
 *   4. workflow jobs (fw_jobs rows: durable, claimed with a lease) are run by both: the job row's
 *      `locked_by` (`host:pid:random`) says which process ran it.
 *
 *   node examples/two-processes/run.mjs [--records 24] [--pg postgres://postgres@127.0.0.1:5432/test] [--json]
 *
 * Needs the built engine (`npm run build -w engine`). It creates a database `fw2p_<random>` on the
 * PostgreSQL server (FORMWORK_PG, FORMWORK_TEST_PG or --pg name the server and a database to connect
 * to for that), and drops it at the end, whatever happens. Plain Node: no shell, no bash.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const BIN = path.join(REPO, 'engine/bin/formwork.js');
const DEFAULT_PG = process.env.FORMWORK_PG ?? process.env.FORMWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_PASSWORD = 'two-processes-demo-123';

const L = (zh, en) => ({ 'zh-CN': zh, en });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The demo form: a visitor log whose records a workflow marks as triaged. */
const VISIT_FORM = {
  key: 'visit',
  label: L('来访登记', 'Visit'),
  module: 'demo',
  titleField: 'name',
  fields: [
    { id: 'fld_visit_name', key: 'name', type: 'text', label: L('来访人', 'Visitor'), required: true },
    { id: 'fld_visit_note', key: 'note', type: 'text', label: L('备注', 'Note') },
    {
      id: 'fld_visit_status', key: 'status', type: 'select', label: L('状态', 'Status'), default: 'new',
      options: [{ key: 'new', label: L('新登记', 'New') }, { key: 'triaged', label: L('已分诊', 'Triaged') }],
    },
  ],
};

/** A new visit waits (a durable `workflow.resume` job, due at once), then is marked triaged. */
const TRIAGE_WORKFLOW = {
  key: 'visit_triage',
  label: L('来访分诊', 'Visit triage'),
  module: 'demo',
  trigger: { type: 'record_created', form: 'visit' },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'pause', type: 'wait', config: { minutes: 0 } },
    { id: 'mark', type: 'set_fields', config: { values: { status: 'triaged' } } },
    { id: 'done', type: 'end' },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'pause' },
    { id: 'e2', source: 'pause', target: 'mark' },
    { id: 'e3', source: 'mark', target: 'done' },
  ],
};

// ------------------------------------------------------------------------------ the database

async function withPg(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function createDatabase(serverUrl) {
  const name = `fw2p_${crypto.randomBytes(5).toString('hex')}`;
  await withPg(serverUrl, (c) => c.query(`create database "${name}"`));
  const u = new URL(serverUrl);
  u.pathname = '/' + name;
  return { name, url: u.toString(), drop: () => withPg(serverUrl, (c) => c.query(`drop database if exists "${name}" with (force)`)) };
}

// ------------------------------------------------------------------------------ the processes

/** `formwork serve --port 0 --db URL`; resolves when it prints its listening line. */
function startServe(name, dbUrl, env) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', dbUrl], {
    cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const proc = {
    name, child, pid: child.pid, url: '', output: () => out,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => (clearTimeout(kill), resolve()));
      child.kill('SIGTERM');
    }),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 60 s:\n${out}`)), 60_000);
    const onExit = (code) => (clearTimeout(timer), reject(new Error(`${name} exited with ${code}:\n${out}`)));
    child.on('exit', onExit);
    child.stdout.on('data', () => {
      const m = /Formwork listening on (http:\/\/\S+)/.exec(out);
      if (m && !proc.url) {
        proc.url = m[1];
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(proc);
      }
    });
  });
}

// ------------------------------------------------------------------------------ the proxy

/** Round-robin over `upstreams`; each answer says who served it in `X-Formwork-Upstream`. */
function startProxy(upstreams) {
  let next = 0;
  const served = Object.fromEntries(upstreams.map((u) => [u.name, 0]));
  const server = http.createServer((req, res) => {
    const up = upstreams[next++ % upstreams.length];
    served[up.name]++;
    const target = new URL(req.url, up.url);
    const forwarded = { ...req.headers, host: target.host, 'x-forwarded-for': req.socket.remoteAddress ?? '' };
    const preq = http.request(target, { method: req.method, headers: forwarded }, (pres) => {
      res.writeHead(pres.statusCode ?? 502, { ...pres.headers, 'x-formwork-upstream': up.name });
      pres.pipe(res);
    });
    preq.on('error', (e) => {
      if (res.headersSent) return res.destroy(e);
      res.writeHead(502, { 'content-type': 'application/json', 'x-formwork-upstream': up.name });
      res.end(JSON.stringify({ error: { code: 'internal', message: `upstream ${up.name}: ${e.message}` } }));
    });
    req.pipe(preq);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}`,
      served,
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
    }));
  });
}

// ------------------------------------------------------------------------------ HTTP

async function call(base, method, p, { token, body } = {}) {
  const r = await fetch(base + p, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, via: r.headers.get('x-formwork-upstream') };
}

function must(r, status, what) {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function until(what, timeoutMs, check) {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

// ------------------------------------------------------------------------------ the run

/**
 * Run the whole demonstration and answer its report. `records`: visits written through the proxy
 * (more rounds of 8 follow, at most 3, while one process has run no job yet).
 */
export async function runTwoProcesses({ records = 24, pgUrl = DEFAULT_PG, log = console.log, timeoutMs = 40_000 } = {}) {
  const t0 = Date.now();
  const db = await createDatabase(pgUrl);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-2p-'));
  const env = {
    FORMWORK_LOG: 'warn',
    FORMWORK_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // Processes sharing a database must share the key of sensitive fields, and may share the data folder.
    FORMWORK_SECRET: crypto.randomBytes(24).toString('hex'),
    FORMWORK_DATA_DIR: dataDir,
  };
  const procs = [];
  let proxy = null;
  try {
    // One after the other: the first creates the tables and the administrator.
    procs.push(await startServe('A', db.url, env));
    procs.push(await startServe('B', db.url, env));
    const [A, B] = procs;
    const other = (name) => (name === 'A' ? B : A);
    proxy = await startProxy(procs);
    log(`Two Formwork processes on PostgreSQL database ${db.name}`);
    for (const p of procs) log(`  ${p.name}: ${p.url} (pid ${p.pid})`);
    log(`  proxy: ${proxy.url} (round robin)`);

    // 1. One sign-in, both processes.
    const login = await call(proxy.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    const token = must(login, 200, 'login').token;
    const meA = await call(A.url, 'GET', '/api/auth/me', { token });
    const meB = await call(B.url, 'GET', '/api/auth/me', { token });
    const sessionShared = meA.status === 200 && meB.status === 200;
    log(`1. signed in through the proxy (served by ${login.via}); the token works on A: ${meA.status}, on B: ${meB.status}`);

    // 2. Publish the form on A, see it on B; publish the workflow on B.
    must(await call(A.url, 'PUT', '/api/meta/forms/visit', { token, body: VISIT_FORM }), 200, 'save the form on A');
    const formRevision = must(await call(A.url, 'POST', '/api/meta/forms/visit/publish', { token, body: {} }), 200, 'publish on A').revision;
    const seen = await until('B to serve the form published on A', 10_000, async () => {
      const r = await call(B.url, 'GET', '/api/meta/forms/visit', { token });
      return r.status === 200 ? r.body : null;
    });
    const formSeenByB = seen.value.key === 'visit';
    must(await call(B.url, 'PUT', '/api/meta/workflows/visit_triage', { token, body: TRIAGE_WORKFLOW }), 200, 'save the workflow on B');
    must(await call(B.url, 'POST', '/api/meta/workflows/visit_triage/publish', { token, body: {} }), 200, 'publish on B');
    log(`2. form 'visit' published on A (revision ${formRevision}), served by B after ${seen.ms} ms; workflow 'visit_triage' published on B`);

    // 3. Writes through the proxy (alternating A and B), each read and updated through the other.
    const written = [];
    let crossReads = 0;
    let crossUpdates = 0;
    const writeRound = async (n) => {
      for (let i = 0; i < n; i++) {
        const k = written.length + 1;
        const r = await call(proxy.url, 'POST', '/api/records/visit', { token, body: { name: `访客 ${k}` } });
        const rec = must(r, 201, `create visit ${k}`);
        written.push({ id: rec.id, via: r.via });
        const back = await call(other(r.via).url, 'GET', `/api/records/visit/${rec.id}`, { token });
        if (back.status === 200 && back.body.name === rec.name && back.body._version === rec._version) crossReads++;
        // Jittered pauses, so the two job loops (polling every second) meet due jobs at different moments.
        await sleep(40 + Math.floor(Math.random() * 160));
      }
    };
    await writeRound(records);
    // One update through the other process of each of the first 4 records, read back through the writer.
    for (const w of written.slice(0, 4)) {
      // A running workflow may change the record between our read and our write: the stale
      // _version is then a clean 409 conflict, and a careful client reads again and retries.
      let upd;
      for (let attempt = 0; attempt < 5; attempt++) {
        const cur = must(await call(other(w.via).url, 'GET', `/api/records/visit/${w.id}`, { token }), 200, 'read');
        upd = await call(other(w.via).url, 'PATCH', `/api/records/visit/${w.id}`, { token, body: { note: `updated on ${other(w.via).name}`, _version: cur._version } });
        if (upd.status !== 409) break;
        await sleep(50 + Math.floor(Math.random() * 100));
      }
      if (upd.status === 200) {
        const again = await call((w.via === 'A' ? A : B).url, 'GET', `/api/records/visit/${w.id}`, { token });
        if (again.body.note === `updated on ${other(w.via).name}`) crossUpdates++;
      }
    }
    const viaCounts = { A: written.filter((w) => w.via === 'A').length, B: written.filter((w) => w.via === 'B').length };
    log(`3. ${written.length} visits written through the proxy (${viaCounts.A} by A, ${viaCounts.B} by B); read back through the other process: ${crossReads}/${written.length}; updated through the other and read back: ${crossUpdates}/4`);

    // 4. Wait for the workflow to triage them all, then ask fw_jobs who ran the jobs.
    const jobCounts = async () => withPg(db.url, async (c) => {
      const { rows } = await c.query(`select locked_by, count(*)::int as n from fw_jobs where kind = 'workflow.resume' and status = 'done' group by locked_by`);
      const by = { A: 0, B: 0, other: 0 };
      for (const r of rows) {
        const pid = Number(String(r.locked_by ?? '').split(':')[1]);
        const p = procs.find((x) => x.pid === pid);
        by[p ? p.name : 'other'] += r.n;
      }
      return by;
    });
    const allTriaged = () => until('every visit to be triaged', timeoutMs, async () => {
      const r = await call(proxy.url, 'GET', `/api/records/visit?pageSize=1&filter=${encodeURIComponent(JSON.stringify({ '==': [{ var: 'status' }, 'triaged'] }))}`, { token });
      return r.status === 200 && r.body.total === written.length;
    });
    await allTriaged();
    let jobs = await jobCounts();
    let extraRounds = 0;
    while ((jobs.A === 0 || jobs.B === 0) && extraRounds < 3) {
      extraRounds++;
      await writeRound(8);
      await allTriaged();
      jobs = await jobCounts();
    }
    const totalJobs = jobs.A + jobs.B + jobs.other;
    log(`4. ${totalJobs} workflow jobs done for ${written.length} visits: A ran ${jobs.A}, B ran ${jobs.B} (fw_jobs.locked_by)${extraRounds ? ` after ${extraRounds} extra round(s) of 8` : ''}`);
    log(`requests through the proxy: A ${proxy.served.A}, B ${proxy.served.B}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    return {
      database: db.name,
      processes: procs.map((p) => ({ name: p.name, url: p.url, pid: p.pid, proxied: proxy.served[p.name], jobs: jobs[p.name] })),
      sessionShared,
      form: { publishedOn: 'A', revision: formRevision, seenByB: formSeenByB, seenAfterMs: seen.ms },
      records: { written: written.length, via: viaCounts, crossReads, crossUpdates, triaged: written.length },
      jobs: { total: totalJobs, A: jobs.A, B: jobs.B, other: jobs.other, extraRounds },
      seconds: (Date.now() - t0) / 1000,
    };
  } catch (e) {
    for (const p of procs) if (p.output().trim()) log(`--- output of ${p.name} ---\n${p.output().trim()}`);
    throw e;
  } finally {
    await proxy?.close();
    await Promise.all(procs.map((p) => p.stop()));
    await db.drop().catch((e) => log(`could not drop ${db.name}: ${e.message}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes('--json');
  try {
    const report = await runTwoProcesses({
      records: arg('records') ? Number(arg('records')) : undefined,
      pgUrl: arg('pg') ?? DEFAULT_PG,
      log: json ? () => {} : console.log,
    });
    if (json) console.log(JSON.stringify(report, null, 2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
