// Mixed load: signed-in clients creating, reading, updating (with _version), listing with a
// filter, running a report, creating expenses that start an approval, and an approver completing
// the approval tasks. Every ACKNOWLEDGED write (a 2xx answer) is recorded with its id and
// version; every other answer is counted by kind and status. `verifyMixed` then checks the
// database against what was acknowledged, and that each workflow effect happened exactly once.
// Used by bench/chaos.js, bench/soak.js, bench/cluster.js and engine/test/cli/chaos.test.ts
// (bench/README.md, "Clusters").
//
// The metadata (published by `setupMixed`):
//   ticket   title, amount (money), status (open|closed), note; the mixed CRUD target
//   effect   source (number), kind (text): written only by workflows — the countable effects
//   expense  title, amount, status
//   workflow ticket_effect     record_created(ticket) → wait 0 min (a durable fw_jobs timer) →
//                              create_record effect {source: ticket id, kind: 'ticket'} → end
//   workflow expense_approval  record_created(expense) → approval (the approver) →
//                              create_record effect {source: expense id, kind: 'approval'} → end
//   report   ticket_summary    tickets by status: count, sum of amount
//   role     clerk             create/read/update tickets, create/read expenses, read effects
//
// Exactly once: `effect` has no unique constraint, so a workflow step run twice (a job fired
// twice, an event dispatched twice, a task completed twice) shows up as two rows.
import http from 'node:http';
import { api, must, until, sleep } from './cluster.js';

const L = (zh, en) => ({ 'zh-CN': zh, en });
export const USER_PASSWORD = 'mixed-load-password-123';

export const TICKET_FORM = {
  key: 'ticket',
  label: L('工单', 'Ticket'),
  module: 'loadtest',
  titleField: 'title',
  fields: [
    { id: 'fld_ticket_title', key: 'title', type: 'text', label: L('标题', 'Title'), required: true },
    { id: 'fld_ticket_amount', key: 'amount', type: 'money', label: L('金额', 'Amount') },
    {
      id: 'fld_ticket_status', key: 'status', type: 'select', label: L('状态', 'Status'), default: 'open', indexed: true,
      options: [{ key: 'open', label: L('处理中', 'Open') }, { key: 'closed', label: L('已关闭', 'Closed') }],
    },
    { id: 'fld_ticket_note', key: 'note', type: 'text', label: L('备注', 'Note') },
  ],
};
/** The revision `addTicketField` publishes during the load: one more field. */
export const TICKET_EXTRA_FIELD = { id: 'fld_ticket_extra', key: 'extra', type: 'text', label: L('附加', 'Extra') };

export const EFFECT_FORM = {
  key: 'effect',
  label: L('流程效果', 'Effect'),
  module: 'loadtest',
  fields: [
    { id: 'fld_effect_source', key: 'source', type: 'number', label: L('来源', 'Source'), required: true },
    { id: 'fld_effect_kind', key: 'kind', type: 'text', label: L('类型', 'Kind'), required: true },
  ],
};

export const EXPENSE_FORM = {
  key: 'expense',
  label: L('报销', 'Expense'),
  module: 'loadtest',
  titleField: 'title',
  fields: [
    { id: 'fld_expense_title', key: 'title', type: 'text', label: L('事由', 'Title'), required: true },
    { id: 'fld_expense_amount', key: 'amount', type: 'money', label: L('金额', 'Amount') },
  ],
};

export const TICKET_EFFECT_WORKFLOW = {
  key: 'ticket_effect',
  label: L('工单效果', 'Ticket effect'),
  module: 'loadtest',
  trigger: { type: 'record_created', form: 'ticket' },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'pause', type: 'wait', config: { minutes: 0 } },
    { id: 'effect', type: 'create_record', config: { form: 'effect', values: { source: { var: 'id' }, kind: 'ticket' }, owner: 'none' } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'pause' },
    { id: 'e2', source: 'pause', target: 'effect' },
    { id: 'e3', source: 'effect', target: 'end' },
  ],
};

export function expenseApprovalWorkflow(approverId) {
  return {
    key: 'expense_approval',
    label: L('报销审批', 'Expense approval'),
    module: 'loadtest',
    trigger: { type: 'record_created', form: 'expense' },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'approve', type: 'approval', config: { assignees: [{ type: 'user', users: [approverId] }], mode: 'any', actions: ['approve', 'reject'] } },
      { id: 'effect', type: 'create_record', config: { form: 'effect', values: { source: { var: 'id' }, kind: 'approval' }, owner: 'none' } },
      { id: 'end', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'approve' },
      { id: 'e2', source: 'approve', target: 'effect', branch: 'approved' },
      { id: 'e3', source: 'effect', target: 'end' },
    ],
  };
}

export const TICKET_REPORT = {
  key: 'ticket_summary',
  label: L('工单汇总', 'Ticket summary'),
  module: 'loadtest',
  category: 'operations',
  source: 'ticket',
  dimensions: [{ key: 'status', label: L('状态', 'Status'), field: 'status' }],
  measures: [
    { key: 'tickets', label: L('工单数', 'Tickets'), op: 'count' },
    { key: 'total', label: L('金额', 'Amount'), op: 'sum', field: 'amount' },
  ],
  type: 'table',
};

export const CLERK_ROLE = {
  key: 'clerk',
  label: L('办事员', 'Clerk'),
  module: 'loadtest',
  permissions: [
    { form: 'ticket', actions: ['create', 'read', 'update'], rows: 'all' },
    { form: 'expense', actions: ['create', 'read'], rows: 'all' },
    { form: 'effect', actions: ['read'], rows: 'all' },
  ],
};

/** The list query of the load: open tickets above an amount, the largest first. */
export function listPath(minAmount, page) {
  const filter = { and: [{ '==': [{ var: 'status' }, 'open'] }, { '>=': [{ var: 'amount' }, minAmount] }] };
  return `/api/records/ticket?filter=${encodeURIComponent(JSON.stringify(filter))}&sort=-amount&page=${page}&pageSize=20`;
}

async function publish(base, token, kind, doc) {
  await must(api(base, token, 'PUT', `/api/meta/${kind}/${doc.key}`, doc), 200, `save ${kind}/${doc.key}`);
  return must(api(base, token, 'POST', `/api/meta/${kind}/${doc.key}/publish`, {}), 200, `publish ${kind}/${doc.key}`);
}

export async function login(base, username, password) {
  return (await must(api(base, null, 'POST', '/api/auth/login', { username, password }), 200, `login ${username}`)).token;
}

/**
 * Publish the metadata through `base` (one process), create `clerks` clerk users and an approver,
 * sign them in. When `others` (URLs of the other processes) are given, wait until each serves
 * every form. Returns {admin, clerks: [{id, username, token}], approver}.
 */
export async function setupMixed(base, { adminPassword, clerks = 4, others = [] }) {
  const admin = await login(base, 'admin', adminPassword);
  for (const f of [TICKET_FORM, EFFECT_FORM, EXPENSE_FORM]) await publish(base, admin, 'forms', f);
  await publish(base, admin, 'roles', CLERK_ROLE);
  const users = [];
  for (let i = 0; i < clerks + 1; i++) {
    const username = i < clerks ? `clerk${i + 1}` : 'approver';
    const u = await must(api(base, admin, 'POST', '/api/users', { username, password: USER_PASSWORD, displayName: username, roles: ['clerk'] }), 201, `create ${username}`);
    users.push({ id: Number(u.id), username });
  }
  const approver = users.pop();
  await publish(base, admin, 'workflows', TICKET_EFFECT_WORKFLOW);
  await publish(base, admin, 'workflows', expenseApprovalWorkflow(approver.id));
  await publish(base, admin, 'reports', TICKET_REPORT);
  for (const u of [...users, approver]) u.token = await login(base, u.username, USER_PASSWORD);
  for (const o of others) {
    for (const f of ['ticket', 'expense', 'effect']) {
      await until(`${o} to serve form ${f}`, 15_000, async () => (await api(o, users[0].token, 'GET', `/api/records/${f}?pageSize=1`)).status === 200, 100);
    }
  }
  return { admin, clerks: users, approver };
}

/**
 * During the load: publish a revision of `ticket` adding the field `extra` through `publishVia`,
 * then write a record carrying it through `writeVia` (another process), retrying until that
 * process accepts the field (at most `timeoutMs`). Returns {revision, ms, attempts, record}; the
 * record is acknowledged into `load` when given.
 */
export async function addTicketField({ publishVia, writeVia, adminToken, writerToken, load, timeoutMs = 15_000 }) {
  const doc = { ...TICKET_FORM, fields: [...TICKET_FORM.fields, TICKET_EXTRA_FIELD] };
  const t0 = Date.now();
  const { revision } = await publish(publishVia, adminToken, 'forms', doc);
  const published = Date.now();
  let attempts = 0;
  const value = `extra-${revision}-${Date.now()}`;
  let last = null;
  const { value: record } = await until(`${writeVia} to accept the new field`, timeoutMs, async () => {
    attempts++;
    last = await api(writeVia, writerToken, 'POST', '/api/records/ticket', { title: `with ${value}`, amount: 1, extra: value });
    if (last.status === 201 && last.body.extra === value) return last.body;
    if (last.status === 201) load?.acknowledgeTicket(last.body); // written before the field was known
    return null;
  }, 50);
  load?.acknowledgeTicket(record);
  return { revision, value, publishMs: published - t0, seenAfterMs: Date.now() - published, attempts, record, lastStatusBefore: last?.status };
}

// ------------------------------------------------------------------------------ the load

/** A keep-alive HTTP client for one signed-in user; answers {status, body, ms, headers}; status 0 = no answer. */
class UserClient {
  constructor(baseUrl, token) {
    const u = new URL(baseUrl);
    if (u.hostname !== '127.0.0.1') throw new Error(`refusing traffic to ${u.hostname}: 127.0.0.1 only`);
    this.port = Number(u.port);
    this.token = token;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  }

  request(method, path, body) {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { accept: 'application/json', authorization: `Bearer ${this.token}` };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode, body: parsed, ms: performance.now() - t0, headers: res.headers });
        });
        res.on('error', (e) => resolve({ status: 0, body: String(e.message), ms: performance.now() - t0, headers: {} }));
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no response within 30 s`)));
      req.on('error', (e) => resolve({ status: 0, body: String(e.message), ms: performance.now() - t0, headers: {} }));
      req.end(payload);
    });
  }

  close() {
    this.agent.destroy();
  }
}

export const KINDS = ['create', 'read', 'update', 'list', 'report', 'expense', 'tasks', 'complete'];
const EXPECT = { create: 201, read: 200, update: 200, list: 200, report: 200, expense: 201, tasks: 200, complete: 200 };
export const DEFAULT_MIX = { create: 20, read: 30, update: 15, list: 15, report: 5, expense: 5 };

/** A small seeded generator (mulberry32), so a run's choices repeat. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The load against `baseUrl` (the proxy, or one process): `clients` workers signed in as the
 * clerks in turn, picking operations by `mix` weights, plus `approvers` workers completing the
 * approver's open tasks (worker a takes the tasks whose id ≡ a mod approvers, so two never race).
 * A worker updates only the tickets it created, so no two clients race on a record: a `conflict`
 * is explained only by an earlier write of that record whose answer was lost (see `explained`).
 * `thinkMs`: a pause after each operation (0: back to back).
 *
 * start() begins; stop() ends it and resolves when every worker has finished its request.
 * result(): {kinds: {KIND: {ok, statuses, latencies}}, errors, ack, …}.
 */
export function createMixedLoad(baseUrl, users, { clients = 8, approvers = 1, mix = DEFAULT_MIX, thinkMs = 0, seed = 1, keepLatencies = true } = {}) {
  const rand = prng(seed);
  const weights = Object.entries(mix).filter(([, w]) => w > 0);
  const totalWeight = weights.reduce((s, [, w]) => s + w, 0);
  const pick = () => {
    let x = rand() * totalWeight;
    for (const [k, w] of weights) if ((x -= w) < 0) return k;
    return weights[weights.length - 1][0];
  };
  const kinds = Object.fromEntries(KINDS.map((k) => [k, { ok: 0, statuses: {}, latencies: [], samples: [] }]));
  /** Acknowledged state. tickets: id → {version, title, amount, note, extra?}; expenses: id → title; completions: task id → record id. */
  const ack = { tickets: new Map(), expenses: new Map(), completions: new Map() };
  const ticketIds = [];
  /** Requests the proxy answered 502 upstream-cut (sent, outcome unknown), by kind. */
  const cut = Object.fromEntries(KINDS.map((k) => [k, 0]));
  /** Answers that are not the expected status but follow from an earlier cut (a conflict on that record or task). */
  const explained = [];
  const unexplained = [];
  const stale = []; // reads answering an older version than acknowledged before the read was sent
  let stopped = false;
  let running = null;
  const t = { start: 0, end: 0 };

  function acknowledgeTicket(rec) {
    const prev = ack.tickets.get(rec.id);
    if (!prev) ticketIds.push(rec.id);
    if (!prev || prev.version <= rec._version) ack.tickets.set(rec.id, { version: rec._version, title: rec.title, amount: rec.amount, note: rec.note ?? null, extra: rec.extra });
  }

  function note(kind, r, { explainedBy } = {}) {
    const k = kinds[kind];
    if (r.status === EXPECT[kind]) {
      k.ok++;
      if (keepLatencies) k.latencies.push(r.ms);
      return true;
    }
    k.statuses[r.status] = (k.statuses[r.status] ?? 0) + 1;
    const entry = { kind, status: r.status, at: Date.now(), proxy: r.headers?.['x-formwork-proxy'] ?? null, message: typeof r.body === 'string' ? r.body.slice(0, 200) : JSON.stringify(r.body)?.slice(0, 300) };
    if (r.status === 502 && entry.proxy === 'upstream-cut') {
      cut[kind]++;
      explained.push({ ...entry, why: 'upstream-cut: the process died with the request in flight; not acknowledged' });
    } else if (explainedBy) explained.push({ ...entry, why: explainedBy });
    else unexplained.push(entry);
    if (k.samples.length < 5) k.samples.push(`${r.status} ${entry.message}`);
    return false;
  }

  async function clerk(w) {
    const user = users.clerks[w % users.clerks.length];
    const c = new UserClient(baseUrl, user.token);
    const mine = []; // ids this worker created: {id, version}
    const uncertain = new Set(); // own ids with a write whose answer was cut
    let i = 0;
    try {
      while (!stopped) {
        const op = pick();
        i++;
        if (op === 'create' || (op === 'update' && !mine.length) || (op === 'read' && !ticketIds.length)) {
          const body = { title: `t${w}-${i}-${Math.floor(rand() * 1e9).toString(36)}`, amount: Math.round(rand() * 1e6) / 100, status: rand() < 0.7 ? 'open' : 'closed' };
          const r = await c.request('POST', '/api/records/ticket', body);
          if (note('create', r)) {
            acknowledgeTicket(r.body);
            mine.push({ id: r.body.id, version: r.body._version });
          }
        } else if (op === 'read') {
          const id = ticketIds[Math.floor(rand() * ticketIds.length)];
          const before = ack.tickets.get(id).version;
          const r = await c.request('GET', `/api/records/ticket/${id}`);
          if (note('read', r) && r.body._version < before) stale.push({ id, acknowledged: before, read: r.body._version });
        } else if (op === 'update') {
          const own = mine[Math.floor(rand() * mine.length)];
          const body = { amount: Math.round(rand() * 1e6) / 100, note: `n${w}-${i}`, _version: own.version };
          const r = await c.request('PATCH', `/api/records/ticket/${own.id}`, body);
          const was = uncertain.has(own.id);
          if (note('update', r, { explainedBy: r.status === 409 && was ? `conflict after a cut write of ticket ${own.id}` : undefined })) {
            acknowledgeTicket(r.body);
            own.version = r.body._version;
            uncertain.delete(own.id);
          } else if (r.status === 409 && r.body?.error?.details?.currentVersion != null) {
            own.version = r.body.error.details.currentVersion;
            uncertain.delete(own.id);
          } else if (r.status === 502 || r.status === 0) uncertain.add(own.id);
        } else if (op === 'list') {
          note('list', await c.request('GET', listPath(Math.floor(rand() * 9000), 1 + Math.floor(rand() * 5))));
        } else if (op === 'report') {
          note('report', await c.request('POST', '/api/reports/ticket_summary/run', { params: {} }));
        } else if (op === 'expense') {
          const title = `e${w}-${i}`;
          const r = await c.request('POST', '/api/records/expense', { title, amount: Math.round(rand() * 1e5) / 100 });
          if (note('expense', r)) ack.expenses.set(r.body.id, title);
        }
        if (thinkMs) await sleep(thinkMs);
      }
    } finally {
      c.close();
    }
  }

  async function approver(a) {
    const c = new UserClient(baseUrl, users.approver.token);
    const cutTasks = new Set();
    try {
      while (!stopped) {
        const r = await c.request('GET', '/api/tasks?status=open');
        if (!note('tasks', r)) {
          await sleep(100);
          continue;
        }
        const mineOpen = r.body.items.filter((x) => x.workflow === 'expense_approval' && x.id % approvers === a).slice(0, 10);
        if (!mineOpen.length) {
          await sleep(100);
          continue;
        }
        for (const task of mineOpen) {
          if (stopped) break;
          const d = await c.request('POST', `/api/tasks/${task.id}/complete`, { action: 'approve' });
          if (note('complete', d, { explainedBy: d.status === 409 && cutTasks.has(task.id) ? `conflict after a cut completion of task ${task.id}` : undefined })) ack.completions.set(task.id, task.recordId);
          else if (d.status === 502 || d.status === 0) cutTasks.add(task.id);
        }
        if (thinkMs) await sleep(thinkMs);
      }
    } finally {
      c.close();
    }
  }

  return {
    ack,
    acknowledgeTicket,
    start() {
      if (running) throw new Error('already started');
      t.start = performance.now();
      running = Promise.all([...Array.from({ length: clients }, (_, w) => clerk(w)), ...Array.from({ length: approvers }, (_, a) => approver(a))]);
      return this;
    },
    async stop() {
      stopped = true;
      await running;
      t.end = performance.now();
    },
    /** Requests acknowledged so far (all kinds). */
    okCount: () => Object.values(kinds).reduce((s, k) => s + k.ok, 0),
    /** Latencies recorded so far are dropped (after a warm-up). */
    resetFigures() {
      for (const k of Object.values(kinds)) {
        k.ok = 0;
        k.statuses = {};
        k.latencies = [];
      }
      t.start = performance.now();
    },
    result() {
      const wallMs = (t.end || performance.now()) - t.start;
      return { kinds, cut, explained, unexplained, stale, wallMs, ack };
    },
  };
}

/** p50/p99 and req/s per kind of a load result. */
export function figures(result) {
  const out = {};
  let total = 0;
  let errors = 0;
  for (const [k, v] of Object.entries(result.kinds)) {
    const s = Float64Array.from(v.latencies).sort();
    const n = s.length;
    const pct = (p) => (n ? s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] : null);
    const errs = Object.values(v.statuses).reduce((a, b) => a + b, 0);
    out[k] = { ok: v.ok, rps: (v.ok * 1000) / result.wallMs, p50: pct(50), p99: pct(99), errors: errs, statuses: v.statuses };
    total += v.ok;
    errors += errs;
  }
  return { byKind: out, total, rps: (total * 1000) / result.wallMs, errors, seconds: result.wallMs / 1000 };
}

// ------------------------------------------------------------------------------ verification

const n = (x) => Number(x);

/**
 * Wait until the workflows have caught up: no unprocessed outbox row, no pending or running
 * workflow job, an effect for every ticket. A process killed with jobs claimed leaves them
 * `running` until their lease (30 s) expires; `timeoutMs` allows for that.
 */
export async function drainWorkflows(knex, { timeoutMs = 90_000 } = {}) {
  return until('the workflows to drain', timeoutMs, async () => {
    const [{ c: outbox }] = await knex('fw_outbox').whereNull('processed_at').count({ c: '*' });
    const [{ c: jobs }] = await knex('fw_jobs').where('kind', 'like', 'workflow.%').whereIn('status', ['pending', 'running']).count({ c: '*' });
    const [{ c: tickets }] = await knex('t_ticket').count({ c: '*' });
    const [{ c: effects }] = await knex('t_effect').where({ kind: 'ticket' }).count({ c: '*' });
    return n(outbox) === 0 && n(jobs) === 0 && n(effects) >= n(tickets) ? { tickets: n(tickets), effects: n(effects) } : null;
  }, 250);
}

/**
 * Check the database (a knex of the engine's database) against what the load acknowledged.
 * Answers the facts and lists of violations (each list empty when all is well):
 *  - missingTickets / olderTickets / changedTickets: an acknowledged ticket absent, at an older
 *    _version, or at the acknowledged version with other values;
 *  - missingExpenses: an acknowledged expense absent;
 *  - ticketEffects: tickets whose effect count is not exactly 1; orphanEffects: effects of no record;
 *  - approvalEffects: expenses whose approval effect count is not 1 (approved) or 0 (not approved);
 *  - instancesPerRecord: records of ticket/expense without exactly one workflow instance;
 *  - tasksTwice: instances with more than one approve/reject decision or more than one done task;
 *  - completionsNotDone: acknowledged completions whose task is not done with 'approve'.
 */
export async function verifyMixed(knex, load) {
  const { ack } = load;
  const tickets = new Map((await knex('t_ticket').select('id', '_version', 'title', 'amount', 'note')).map((r) => [n(r.id), r]));
  const missingTickets = [];
  const olderTickets = [];
  const changedTickets = [];
  for (const [id, a] of ack.tickets) {
    const row = tickets.get(id);
    if (!row) missingTickets.push(id);
    else if (n(row._version) < a.version) olderTickets.push({ id, acknowledged: a.version, stored: n(row._version) });
    else if (n(row._version) === a.version && (row.title !== a.title || n(row.amount) !== Math.round(a.amount * 100) || (row.note ?? null) !== (a.note ?? null))) {
      changedTickets.push({ id, acknowledged: a, stored: row });
    }
  }
  const expenses = new Set((await knex('t_expense').select('id')).map((r) => n(r.id)));
  const missingExpenses = [...ack.expenses.keys()].filter((id) => !expenses.has(id));

  const effects = await knex('t_effect').select('kind', 'source').count({ c: '*' }).groupBy('kind', 'source');
  const effectCount = new Map(effects.map((r) => [`${r.kind}:${n(r.source)}`, n(r.c)]));
  const ticketEffects = [];
  for (const id of tickets.keys()) {
    const c = effectCount.get(`ticket:${id}`) ?? 0;
    if (c !== 1) ticketEffects.push({ ticket: id, effects: c });
  }
  const orphanEffects = effects.filter((r) => (r.kind === 'ticket' ? !tickets.has(n(r.source)) : r.kind === 'approval' ? !expenses.has(n(r.source)) : true)).map((r) => ({ kind: r.kind, source: n(r.source) }));

  const instances = await knex('fw_wf_instances').whereIn('workflow', ['ticket_effect', 'expense_approval']).select('id', 'workflow', 'record_id', 'status');
  const perRecord = new Map();
  for (const i of instances) perRecord.set(`${i.workflow}:${n(i.record_id)}`, [...(perRecord.get(`${i.workflow}:${n(i.record_id)}`) ?? []), i]);
  const instancesPerRecord = [];
  for (const id of tickets.keys()) if ((perRecord.get(`ticket_effect:${id}`) ?? []).length !== 1) instancesPerRecord.push({ workflow: 'ticket_effect', record: id, instances: (perRecord.get(`ticket_effect:${id}`) ?? []).length });
  for (const id of expenses) if ((perRecord.get(`expense_approval:${id}`) ?? []).length !== 1) instancesPerRecord.push({ workflow: 'expense_approval', record: id, instances: (perRecord.get(`expense_approval:${id}`) ?? []).length });

  const tasks = await knex('fw_wf_tasks').where({ workflow: 'expense_approval' }).select('id', 'instance_id', 'record_id', 'status', 'action');
  const decisions = await knex('fw_wf_history as h').join('fw_wf_instances as i', 'i.id', 'h.instance_id').where('i.workflow', 'expense_approval').whereIn('h.action', ['approve', 'reject']).select('h.instance_id').count({ c: '*' }).groupBy('h.instance_id');
  const tasksTwice = decisions.filter((d) => n(d.c) > 1).map((d) => ({ instance: n(d.instance_id), decisions: n(d.c) }));
  const doneByInstance = new Map();
  for (const t of tasks) if (t.status === 'done') doneByInstance.set(n(t.instance_id), (doneByInstance.get(n(t.instance_id)) ?? 0) + 1);
  for (const [inst, c] of doneByInstance) if (c > 1) tasksTwice.push({ instance: inst, doneTasks: c });
  const taskById = new Map(tasks.map((t) => [n(t.id), t]));
  const completionsNotDone = [...ack.completions.keys()].filter((id) => !(taskById.get(id)?.status === 'done' && taskById.get(id)?.action === 'approve'));
  const approved = new Set(tasks.filter((t) => t.status === 'done' && t.action === 'approve').map((t) => n(t.record_id)));
  const approvalEffects = [];
  for (const id of expenses) {
    const c = effectCount.get(`approval:${id}`) ?? 0;
    if (c !== (approved.has(id) ? 1 : 0)) approvalEffects.push({ expense: id, approved: approved.has(id), effects: c });
  }
  return {
    counts: {
      tickets: tickets.size, acknowledgedTickets: ack.tickets.size, expenses: expenses.size, acknowledgedExpenses: ack.expenses.size,
      effects: effects.reduce((s, r) => s + n(r.c), 0), tasks: tasks.length, doneTasks: tasks.filter((t) => t.status === 'done').length,
      acknowledgedCompletions: ack.completions.size, approved: approved.size,
      unacknowledgedTickets: [...tickets.keys()].filter((id) => !ack.tickets.has(id)).length,
    },
    violations: { missingTickets, olderTickets, changedTickets, missingExpenses, ticketEffects, orphanEffects, approvalEffects, instancesPerRecord, tasksTwice, completionsNotDone },
  };
}

/** Total number of violations in a verifyMixed answer. */
export const violationCount = (v) => Object.values(v.violations).reduce((s, x) => s + x.length, 0);
