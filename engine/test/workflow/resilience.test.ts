/**
 * Workflow resilience with REAL engine processes (`formwork serve`, which runs the dispatcher
 * and the job loop in the background; ARCHITECTURE.md decision 5):
 *
 *  - two processes on one PostgreSQL database: their dispatchers race over one outbox and every
 *    task is completed twice at the same time, once through each process; exactly one completion
 *    wins, each record gets one instance and its status is set once;
 *  - kill -9 in the middle of a flow (approval → set fields → timer → set fields), on SQLite and
 *    PostgreSQL: after a restart on the same database nothing is lost and nothing happens twice.
 *
 * The processes run the BUILT engine (engine/dist; `npm test` builds it before vitest runs).
 * Every loop is bounded in count and time; traffic goes to 127.0.0.1 only; processes, databases
 * and temporary folders are removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/store/connection.js';
import { freshPgDatabase, REPO, startEngineProcess, type EngineProcess } from '../helpers/process.js';

const BUILT = path.join(REPO, 'engine/dist/cli.js');
const ADMIN_PASSWORD = 'admin-password-123';
const APPROVER_PASSWORD = 'approver-password-123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reply {
  /** 0: no answer (connection refused or reset: the process died, or the request timed out). */
  status: number;
  body: any;
}

/** One HTTP request to an engine process (127.0.0.1 only), bounded in time; never throws. */
async function api(base: string, token: string | null, method: string, p: string, body?: unknown, timeoutMs = 20_000): Promise<Reply> {
  if (new URL(base).hostname !== '127.0.0.1') throw new Error(`refusing to talk to ${base}`);
  try {
    const r = await fetch(base + p, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed };
  } catch (e) {
    return { status: 0, body: String((e as Error)?.message ?? e) };
  }
}

async function ok(r: Promise<Reply>, status: number, what: string): Promise<any> {
  const got = await r;
  if (got.status !== status) throw new Error(`${what}: expected ${status}, got ${got.status} ${JSON.stringify(got.body).slice(0, 500)}`);
  return got.body;
}

async function signIn(base: string, username: string, password: string): Promise<string> {
  return (await ok(api(base, null, 'POST', '/api/auth/login', { username, password }), 200, `login ${username}`)).token;
}

/** Run `fn` over `items` with at most `n` at once. */
async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Poll `check` until it returns true, at most `timeoutMs`. */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}


const count = async (q: any): Promise<number> => Number((await q.count({ n: '*' }).first()).n);
const parse = (s: unknown) => (typeof s === 'string' ? JSON.parse(s) : s);

// ---------- the metadata both scenarios publish ----------

const formDef = (key: string) => ({
  key,
  label: key,
  fields: [
    { id: 'c_title', key: 'title', type: 'text', label: 'Title', required: true },
    { id: 'c_amount', key: 'amount', type: 'money', label: 'Amount' },
    {
      id: 'c_status', key: 'status', type: 'select', label: 'Status', default: 'pending',
      options: ['pending', 'approved', 'closed'].map((k) => ({ key: k, label: k })),
    },
  ],
});
const FORM = formDef('claim');

function approvalOnly(approver: number, form = 'claim') {
  return {
    key: form === 'claim' ? 'claim_approval' : `${form}_approval`,
    label: 'Claim approval',
    trigger: { type: 'record_created', form },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'approve', type: 'approval', config: { assignees: [{ type: 'user', users: [approver] }], mode: 'any', actions: ['approve', 'reject'] } },
      { id: 'mark', type: 'set_fields', config: { values: { status: 'approved' } } },
      { id: 'end', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'approve' },
      { id: 'e2', source: 'approve', target: 'mark', branch: 'approved' },
      { id: 'e3', source: 'mark', target: 'end' },
    ],
  };
}

/** approval → set_fields → wait 3 s (a durable job) → set_fields → end */
function approvalThenTimer(approver: number) {
  return {
    key: 'claim_timer',
    label: 'Claim with a timer',
    trigger: { type: 'record_created', form: 'claim' },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'approve', type: 'approval', config: { assignees: [{ type: 'user', users: [approver] }], mode: 'any', actions: ['approve', 'reject'] } },
      { id: 'mark', type: 'set_fields', config: { values: { status: 'approved' } } },
      { id: 'pause', type: 'wait', config: { minutes: 0.05 } },
      { id: 'close', type: 'set_fields', config: { values: { status: 'closed' } } },
      { id: 'end', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'approve' },
      { id: 'e2', source: 'approve', target: 'mark', branch: 'approved' },
      { id: 'e3', source: 'mark', target: 'pause' },
      { id: 'e4', source: 'pause', target: 'close' },
      { id: 'e5', source: 'close', target: 'end' },
    ],
  };
}

/** parallel split → one approval per branch (a different approver each) → join → set_fields → end */
function parallelApprovals(form: string, first: number, second: number) {
  return {
    key: `${form}_flow`,
    label: 'Two approvals in parallel',
    trigger: { type: 'record_created', form },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'split', type: 'parallel' },
      { id: 'left', type: 'approval', config: { assignees: [{ type: 'user', users: [first] }], actions: ['approve', 'reject'] } },
      { id: 'right', type: 'approval', config: { assignees: [{ type: 'user', users: [second] }], actions: ['approve', 'reject'] } },
      { id: 'join', type: 'join' },
      { id: 'mark', type: 'set_fields', config: { values: { status: 'approved' } } },
      { id: 'end', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'split' },
      { id: 'e2', source: 'split', target: 'left' },
      { id: 'e3', source: 'split', target: 'right' },
      { id: 'e4', source: 'left', target: 'join', branch: 'approved' },
      { id: 'e5', source: 'right', target: 'join', branch: 'approved' },
      { id: 'e6', source: 'join', target: 'mark' },
      { id: 'e7', source: 'mark', target: 'end' },
    ],
  };
}

/** One approval any of two approvers may decide → set_fields → end */
function anyOfTwo(form: string, first: number, second: number) {
  return {
    key: `${form}_flow`,
    label: 'Any one of two approvers',
    trigger: { type: 'record_created', form },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'approve', type: 'approval', config: { assignees: [{ type: 'user', users: [first, second] }], mode: 'any', actions: ['approve', 'reject'] } },
      { id: 'mark', type: 'set_fields', config: { values: { status: 'approved' } } },
      { id: 'end', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'approve' },
      { id: 'e2', source: 'approve', target: 'mark', branch: 'approved' },
      { id: 'e3', source: 'mark', target: 'end' },
    ],
  };
}

async function publish(base: string, token: string, kind: 'forms' | 'workflows', doc: { key: string }): Promise<void> {
  await ok(api(base, token, 'PUT', `/api/meta/${kind}/${doc.key}`, doc), 200, `save ${kind}/${doc.key}`);
  await ok(api(base, token, 'POST', `/api/meta/${kind}/${doc.key}/publish`, {}), 200, `publish ${kind}/${doc.key}`);
}

/** An approver (a plain user: the administrator creates the records and may not approve them). */
async function addApprover(base: string, adminToken: string, username = 'approver'): Promise<number> {
  const u = await ok(api(base, adminToken, 'POST', '/api/users', { username, password: APPROVER_PASSWORD, roles: [] }), 201, `create ${username}`);
  return Number(u.id);
}

async function openTasks(base: string, token: string): Promise<any[]> {
  const r = await api(base, token, 'GET', '/api/tasks?status=open');
  return r.status === 200 ? (r.body.items as any[]) : [];
}

/** History actions of every instance of a workflow, in order, keyed by instance id. */
async function histories(db: Db, workflow: string): Promise<Map<number, Array<{ node: string | null; action: string }>>> {
  const rows = await db.knex('fw_wf_history as h').join('fw_wf_instances as i', 'i.id', 'h.instance_id').where('i.workflow', workflow).orderBy('h.id').select('h.instance_id', 'h.node_id', 'h.action');
  const out = new Map<number, Array<{ node: string | null; action: string }>>();
  for (const r of rows) {
    const id = Number(r.instance_id);
    if (!out.has(id)) out.set(id, []);
    out.get(id)!.push({ node: r.node_id ?? null, action: r.action });
  }
  return out;
}

/** For each record, the status values its audit trail shows being written (update rows only). */
async function statusWrites(db: Db, form = 'claim'): Promise<Map<number, string[]>> {
  const rows = await db.knex('fw_audit').where({ form, action: 'update' }).orderBy('id').select('record_id', 'changes');
  const out = new Map<number, string[]>();
  for (const r of rows) {
    const ch = parse(r.changes) as Record<string, [unknown, unknown]>;
    if (!ch.status) continue;
    const id = Number(r.record_id);
    out.set(id, [...(out.get(id) ?? []), String(ch.status[1])]);
  }
  return out;
}

beforeAll(() => {
  if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: build the engine first (npm run build -w engine; npm test does)`);
});

// ---------------------------------------------------------------------------------------------

describe('two engine processes on one PostgreSQL database', () => {
  const RECORDS = 100;
  let pg: { url: string; drop(): Promise<void> };
  let db: Db;
  let dataDir: string;
  const procs: EngineProcess[] = [];
  let a: EngineProcess;
  let b: EngineProcess;
  let adminA: string;
  let adminB: string;
  const approvers: Array<{ id: number; token: string }> = [];

  beforeAll(async () => {
    pg = await freshPgDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-resilience-'));
    const env = { FORMWORK_DATA_DIR: dataDir };
    // One after the other: the first start on an empty database creates the administrator, and
    // two first starts at the same moment race on it (UserService.ensureAdmin: one of them exits
    // with a duplicate-key error).
    a = await startEngineProcess(pg.url, env);
    procs.push(a);
    b = await startEngineProcess(pg.url, env);
    procs.push(b);
    db = await openDb(pg.url, { poolMax: 2 });
    adminA = await signIn(a.url, 'admin', ADMIN_PASSWORD);
    adminB = await signIn(b.url, 'admin', ADMIN_PASSWORD);
    for (const name of ['approver', 'approver2']) {
      const id = await addApprover(a.url, adminA, name);
      approvers.push({ id, token: await signIn(a.url, name, APPROVER_PASSWORD) });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await db?.close();
    await pg?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Publish a form through A and wait until B serves it too. */
  async function publishForm(form: string) {
    await publish(a.url, adminA, 'forms', formDef(form));
    // B notices another process's publish at its next metadata-version check (PublishedCache:
    // at most once per second); until then it answers 404 for the new form.
    await until(`process B to see form ${form}`, 10_000, async () => (await api(b.url, adminB, 'GET', `/api/records/${form}?pageSize=1`)).status === 200, 100);
  }

  /**
   * Publish a form and its workflow through A. No wait for B's workflow cache: its dispatcher
   * must notice the publish by itself (as the test 'a workflow published through A starts for
   * every record created right after …' checks).
   */
  async function publishThroughA(form: string, workflow: { key: string }) {
    await publishForm(form);
    await publish(a.url, adminA, 'workflows', workflow);
  }

  /** `n` records through A and B alternately, `concurrency` at a time: both dispatchers race over the outbox. */
  async function createRecords(form: string, n: number, concurrency = 4): Promise<number[]> {
    const ids = await pool(Array.from({ length: n }, (_, i) => i), concurrency, async (i) => {
      const [base, token] = i % 2 === 0 ? [a.url, adminA] : [b.url, adminB];
      const rec = await ok(api(base, token, 'POST', `/api/records/${form}`, { title: `${form} ${i}`, amount: 100 + i }), 201, `create ${form} ${i}`);
      return Number(rec.id);
    });
    expect(new Set(ids).size).toBe(n);
    return ids;
  }

  /** Wait until `who` has an open task of `workflow` on each of `ids`; returns them by record. */
  async function tasksOn(who: string, workflow: string, ids: number[]): Promise<Map<number, any>> {
    let tasks: any[] = [];
    await until(`an open task of ${workflow} on every record`, 60_000, async () => {
      tasks = (await openTasks(a.url, who)).filter((t) => t.workflow === workflow);
      return new Set(tasks.map((t) => t.recordId)).size >= ids.length;
    });
    expect(tasks).toHaveLength(ids.length); // one task per record: no instance started twice
    return new Map(tasks.map((t) => [t.recordId as number, t]));
  }

  it(`complete each of ${RECORDS} tasks through both processes at once: one 200 and one 409 each, one instance and one status write per record`, async () => {
    const approverId = approvers[0]!.id;
    const approver = approvers[0]!.token;
    await publishThroughA('claim', approvalOnly(approverId));
    const ids = await createRecords('claim', RECORDS);
    const tasks = [...(await tasksOn(approver, 'claim_approval', ids)).values()];
    expect(new Set(tasks.map((t) => t.recordId))).toEqual(new Set(ids));

    // Every task completed twice at the same moment, once through each process.
    const pairs = await pool(tasks, 10, async (t) => {
      const body = { action: 'approve', comment: `ok ${t.id}` };
      const [ra, rb] = await Promise.all([
        api(a.url, approver, 'POST', `/api/tasks/${t.id}/complete`, body),
        api(b.url, approver, 'POST', `/api/tasks/${t.id}/complete`, body),
      ]);
      return { task: t.id, record: t.recordId as number, a: ra, b: rb };
    });
    const wins = { a: 0, b: 0 };
    for (const p of pairs) {
      const statuses = [p.a.status, p.b.status].sort();
      expect(statuses, `task ${p.task}: ${JSON.stringify([p.a, p.b]).slice(0, 600)}`).toEqual([200, 409]);
      const [win, lose] = p.a.status === 200 ? [p.a, p.b] : [p.b, p.a];
      wins[p.a.status === 200 ? 'a' : 'b']++;
      expect(lose.body.error.code).toBe('conflict');
      expect(win.body.task).toMatchObject({ id: p.task, status: 'done', action: 'approve' });
      expect(win.body.instance.status).toBe('completed');
    }
    expect(wins.a + wins.b).toBe(RECORDS);

    // The events the completions wrote (record.updated, workflow.finished) are dispatched too.
    await until('an empty outbox', 30_000, async () => (await count(db.knex('fw_outbox').whereNull('processed_at'))) === 0);

    // One instance per record, each completed once.
    const instances = await db.knex('fw_wf_instances').where({ form: 'claim' }).select('id', 'record_id', 'status', 'workflow');
    expect(instances).toHaveLength(RECORDS);
    expect(new Set(instances.map((i: any) => Number(i.record_id)))).toEqual(new Set(ids));
    for (const i of instances) expect(i).toMatchObject({ workflow: 'claim_approval', status: 'completed' });
    expect(await count(db.knex('fw_outbox').where({ event: 'workflow.finished' }))).toBe(RECORDS);

    // Every task done once, by the approver, with the winning completion's action.
    const taskRows = await db.knex('fw_wf_tasks').where({ workflow: 'claim_approval' }).select('status', 'done_by', 'action');
    expect(taskRows).toHaveLength(RECORDS);
    for (const t of taskRows) expect(t).toMatchObject({ status: 'done', done_by: approverId, action: 'approve' });

    // Exactly the expected steps per instance: one approve, one set_fields, one completed.
    const hist = await histories(db, 'claim_approval');
    expect(hist.size).toBe(RECORDS);
    for (const [id, steps] of hist) {
      expect(steps, `instance ${id}`).toEqual([
        { node: 'start', action: 'started' },
        { node: 'approve', action: 'waiting' },
        { node: 'approve', action: 'approve' },
        { node: 'mark', action: 'set_fields' },
        { node: 'end', action: 'completed' },
      ]);
    }

    // Each record's status written exactly once (the audit trail of the set_fields step).
    const writes = await statusWrites(db);
    for (const id of ids) expect(writes.get(id), `record ${id}`).toEqual(['approved']);
    const statuses = await db.knex('t_claim').select('id', 'status');
    expect(statuses.every((r: any) => r.status === 'approved')).toBe(true);
    console.info(`[resilience] ${RECORDS} double completions: process A won ${wins.a}, process B won ${wins.b}`);
  }, 240_000);

  // A process's caches refresh at most once a second, so right after process A publishes a
  // workflow, process B may claim new events with a stale cache. The dispatcher reads the
  // metadata version after claiming; when it moved it reloads and claims again, so no event is
  // matched against an older set of workflows.
  it('a workflow published through A starts for every record created right after, whichever process dispatches the event', async () => {
    const N = 40;
    await publishForm('lclaim');
    await publish(a.url, adminA, 'workflows', approvalOnly(approvers[0]!.id, 'lclaim'));
    const ids = await createRecords('lclaim', N, 2); // at once, through A and B alternately
    await until('every lclaim event dispatched', 20_000, async () => (await count(db.knex('fw_outbox').where({ form: 'lclaim' }).whereNull('processed_at'))) === 0);
    const started = await db.knex('fw_wf_instances').where({ form: 'lclaim' }).select('record_id');
    const missing = ids.filter((id) => !started.some((i: any) => Number(i.record_id) === id));
    expect(missing, `${missing.length} of ${N} records never got their workflow instance`).toEqual([]);
  }, 120_000);

  // Two signals to ONE instance at the same moment, through the two processes (PostgreSQL;
  // SQLite has one writer). Without serialising on the instance, two transactions each see it as
  // it was before the other: a join would count only its own arrival and never go on, and two
  // any-one approvers would deadlock cancelling each other's task (a 500, not a 409). The
  // runtime locks the instance row first in completeTask() and resume().
  it('parallel branches approved at the same moment through both processes join, once', async () => {
    const N = 30;
    const [left, right] = approvers as [{ id: number; token: string }, { id: number; token: string }];
    await publishThroughA('pclaim', parallelApprovals('pclaim', left.id, right.id));
    const ids = await createRecords('pclaim', N);
    const leftTasks = await tasksOn(left.token, 'pclaim_flow', ids);
    const rightTasks = await tasksOn(right.token, 'pclaim_flow', ids);
    const replies = await pool(ids, 10, (id) =>
      Promise.all([
        api(a.url, left.token, 'POST', `/api/tasks/${leftTasks.get(id).id}/complete`, { action: 'approve' }),
        api(b.url, right.token, 'POST', `/api/tasks/${rightTasks.get(id).id}/complete`, { action: 'approve' }),
      ]),
    );
    for (const r of replies.flat()) expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    // Both completions committed: the instance is finished now, or never will be.
    const instances = await db.knex('fw_wf_instances').where({ form: 'pclaim' }).select('id', 'status');
    expect(instances).toHaveLength(N);
    const stuck = instances.filter((i: any) => i.status !== 'completed');
    expect(stuck.length, `${stuck.length} of ${N} instances stuck at the join with both branches approved`).toBe(0);
    const writes = await statusWrites(db, 'pclaim');
    for (const id of ids) expect(writes.get(id), `record ${id}`).toEqual(['approved']);
  }, 120_000);

  it('two approvers of an any-one approval deciding at the same moment: one 200 and one 409, never a 500', async () => {
    const N = 30;
    const [first, second] = approvers as [{ id: number; token: string }, { id: number; token: string }];
    await publishThroughA('aclaim', anyOfTwo('aclaim', first.id, second.id));
    const ids = await createRecords('aclaim', N);
    const firstTasks = await tasksOn(first.token, 'aclaim_flow', ids);
    const secondTasks = await tasksOn(second.token, 'aclaim_flow', ids);
    const outcomes: Record<string, number> = {};
    await pool(ids, 10, async (id) => {
      const rs = await Promise.all([
        api(a.url, first.token, 'POST', `/api/tasks/${firstTasks.get(id).id}/complete`, { action: 'approve' }),
        api(b.url, second.token, 'POST', `/api/tasks/${secondTasks.get(id).id}/complete`, { action: 'approve' }),
      ]);
      const k = rs.map((r) => r.status).sort().join('+');
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    });
    expect(outcomes).toEqual({ '200+409': N });
    const instances = await db.knex('fw_wf_instances').where({ form: 'aclaim' }).select('status');
    expect(instances.map((i: any) => i.status)).toEqual(Array(N).fill('completed'));
    const writes = await statusWrites(db, 'aclaim');
    for (const id of ids) expect(writes.get(id), `record ${id}`).toEqual(['approved']);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe.each(['sqlite', 'pg'] as const)('kill -9 in the middle of a flow on %s', (dialect) => {
  let dbUrl: string;
  let pg: { url: string; drop(): Promise<void> } | null = null;
  let db: Db | null = null;
  let dir: string;
  const procs: EngineProcess[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-resilience-'));
    if (dialect === 'pg') {
      pg = await freshPgDatabase();
      dbUrl = pg.url;
    } else {
      dbUrl = `sqlite:${path.join(dir, 'engine.db')}`;
    }
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await db?.close();
    await pg?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and does nothing twice after the process is killed and restarted', async () => {
    const env = { FORMWORK_DATA_DIR: dir };
    const first = await startEngineProcess(dbUrl, env);
    procs.push(first);
    db = await openDb(dbUrl, { poolMax: 2 });
    let admin = await signIn(first.url, 'admin', ADMIN_PASSWORD);
    const approverId = await addApprover(first.url, admin);
    let approver = await signIn(first.url, 'approver', APPROVER_PASSWORD);
    await publish(first.url, admin, 'forms', FORM);
    await publish(first.url, admin, 'workflows', approvalThenTimer(approverId));

    // ---- traffic until the kill: two creators and two approvers, all the time ----
    let base = first.url;
    let stop = false;
    const confirmed: number[] = []; // records whose 201 arrived
    let completed = 0;
    let lostReplies = 0; // requests in flight when the process died
    const deadline1 = Date.now() + 90_000;
    const creator = async (w: number) => {
      for (let i = 0; i < 400 && !stop && Date.now() < deadline1; i++) {
        const r = await api(base, admin, 'POST', '/api/records/claim', { title: `c${w}-${i}`, amount: i });
        if (r.status === 201) confirmed.push(Number(r.body.id));
        else if (r.status === 0) lostReplies++;
        else throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
        await sleep(15);
      }
    };
    const completer = async (w: number) => {
      for (let i = 0; i < 2000 && !stop && Date.now() < deadline1; i++) {
        const tasks = (await openTasks(base, approver)).filter((_, k) => k % 2 === w);
        for (const t of tasks.slice(0, 4)) {
          if (stop) break;
          const r = await api(base, approver, 'POST', `/api/tasks/${t.id}/complete`, { action: 'approve' });
          if (r.status === 200) completed++;
          else if (r.status === 0) lostReplies++;
          else if (r.status !== 409) throw new Error(`complete: ${r.status} ${JSON.stringify(r.body)}`);
        }
        await sleep(30);
      }
    };
    const traffic = Promise.all([creator(0), creator(1), completer(0), completer(1)]);

    // Kill once the flow is well under way: records waiting for approval, timers pending, some finished.
    let before = { records: 0, waitingTimers: 0, finished: 0 };
    await until('a flow in full swing', 60_000, async () => {
      before = {
        records: await count(db!.knex('t_claim')),
        waitingTimers: await count(db!.knex('fw_jobs').where({ kind: 'workflow.resume' }).whereIn('status', ['pending', 'running'])),
        finished: await count(db!.knex('fw_wf_instances').where({ status: 'completed' })),
      };
      return before.records >= 40 && completed >= 20 && before.waitingTimers >= 1 && before.finished >= 3;
    }, 50);
    await first.kill('SIGKILL'); // resolves once it has exited
    expect(first.child.signalCode).toBe('SIGKILL');
    stop = true;
    await traffic;

    const atKill = {
      records: await count(db.knex('t_claim')),
      confirmed: confirmed.length,
      instances: await count(db.knex('fw_wf_instances')),
      openTasks: await count(db.knex('fw_wf_tasks').where({ status: 'open' })),
      jobsPending: await count(db.knex('fw_jobs').where({ status: 'pending' })),
      jobsRunning: await count(db.knex('fw_jobs').where({ status: 'running' })), // claimed by the dead process
      outboxPending: await count(db.knex('fw_outbox').whereNull('processed_at')),
      completedInstances: await count(db.knex('fw_wf_instances').where({ status: 'completed' })),
    };

    // ---- restart on the same database and carry on ----
    const second = await startEngineProcess(dbUrl, env);
    procs.push(second);
    base = second.url;
    admin = await signIn(base, 'admin', ADMIN_PASSWORD);
    approver = await signIn(base, 'approver', APPROVER_PASSWORD);
    for (let i = 0; i < 10; i++) {
      const r = await ok(api(base, admin, 'POST', '/api/records/claim', { title: `after-${i}`, amount: i }), 201, `create after restart ${i}`);
      confirmed.push(Number(r.id));
    }
    // Complete what is open until every instance has finished and every job is done. Jobs the
    // dead process had claimed come back when their lease (30 s) expires: allow for that.
    let rounds = 0;
    await until('every instance finished and every job done', 150_000, async () => {
      rounds++;
      for (const t of await openTasks(base, approver)) {
        const r = await api(base, approver, 'POST', `/api/tasks/${t.id}/complete`, { action: 'approve' });
        if (r.status !== 200 && r.status !== 409) throw new Error(`complete after restart: ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status === 200) completed++;
      }
      const records = await count(db!.knex('t_claim'));
      const done = await count(db!.knex('fw_wf_instances').where({ status: 'completed' }));
      // (the hourly file clean-up `formwork serve` schedules is always pending: not this flow's work)
      const busyJobs = await count(db!.knex('fw_jobs').whereIn('status', ['pending', 'running']).whereNot('kind', 'files.cleanup'));
      const outbox = await count(db!.knex('fw_outbox').whereNull('processed_at'));
      return done === records && busyJobs === 0 && outbox === 0;
    }, 500);
    await second.kill('SIGTERM');
    expect(second.child.exitCode).toBe(0);

    // ---- nothing lost ----
    const records = (await db.knex('t_claim').select('id', 'status')).map((r: any) => ({ id: Number(r.id), status: r.status }));
    const recordIds = new Set(records.map((r) => r.id));
    for (const id of confirmed) expect(recordIds.has(id), `confirmed record ${id}`).toBe(true);
    for (const r of records) expect(r.status, `record ${r.id}`).toBe('closed');
    const instances = await db.knex('fw_wf_instances').select('id', 'record_id', 'status', 'workflow');
    expect(instances).toHaveLength(records.length); // exactly one instance per record …
    expect(new Set(instances.map((i: any) => Number(i.record_id)))).toEqual(recordIds); // … for every record
    for (const i of instances) expect(i).toMatchObject({ workflow: 'claim_timer', status: 'completed' });
    const tasks = await db.knex('fw_wf_tasks').select('instance_id', 'status', 'action');
    expect(tasks).toHaveLength(records.length);
    for (const t of tasks) expect(t).toMatchObject({ status: 'done', action: 'approve' });

    // ---- nothing twice ----
    // Each step once per instance, in order (no duplicate history entry for a step).
    const hist = await histories(db, 'claim_timer');
    expect(hist.size).toBe(records.length);
    for (const [id, steps] of hist) {
      expect(steps, `instance ${id}`).toEqual([
        { node: 'start', action: 'started' },
        { node: 'approve', action: 'waiting' },
        { node: 'approve', action: 'approve' },
        { node: 'mark', action: 'set_fields' },
        { node: 'pause', action: 'waiting' },
        { node: 'close', action: 'set_fields' },
        { node: 'end', action: 'completed' },
      ]);
    }
    // Each record's status written once to 'approved' and once to 'closed' (the final field).
    const writes = await statusWrites(db);
    for (const r of records) expect(writes.get(r.id), `record ${r.id}`).toEqual(['approved', 'closed']);
    // One timer job per waiting token, every job done (none failed, none left behind).
    const jobs = await db.knex('fw_jobs').whereNot('kind', 'files.cleanup').select('kind', 'status', 'payload', 'attempts');
    expect(jobs.every((j: any) => j.status === 'done'), JSON.stringify(jobs.filter((j: any) => j.status !== 'done')).slice(0, 1000)).toBe(true);
    const timers = jobs.filter((j: any) => j.kind === 'workflow.resume').map((j: any) => parse(j.payload) as { token: number; name: string });
    expect(timers).toHaveLength(records.length);
    expect(new Set(timers.map((p) => `${p.token}:${p.name}`)).size).toBe(records.length);
    expect(timers.every((p) => p.name === 'wait')).toBe(true);
    // Every event was dispatched, the workflow.finished event once per instance.
    expect(await count(db.knex('fw_outbox').whereNull('processed_at'))).toBe(0);
    expect(await count(db.knex('fw_outbox').where({ event: 'workflow.finished' }))).toBe(records.length);
    const retaken = jobs.filter((j: any) => Number(j.attempts) > 1).length;
    console.info(
      `[resilience ${dialect}] killed at ${JSON.stringify(atKill)}; ${lostReplies} replies lost with the process; ` +
        `after the restart: ${records.length} records, ${completed} completions acknowledged, ${retaken} jobs re-claimed, ${rounds} polling rounds`,
    );
    if (atKill.jobsRunning) expect(retaken).toBeGreaterThanOrEqual(atKill.jobsRunning);
  }, 300_000);
});
