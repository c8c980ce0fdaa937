/**
 * WorkflowRuntime: instances pinned to the revision they started on, tokens moving through the
 * graph (several for parallel branches), human tasks, and a history of every step. Every state
 * change commits in one transaction with its cause; a task completes by compare-and-set on its
 * status, so of two racing completions exactly one wins.
 */
import type { Label } from '../meta/types.js';
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import type { RecordService } from '../records/record-service.js';
import type { ApiRecord } from '../store/record-query.js';
import type { PublishedCache } from '../documents/published-cache.js';
import type { DocumentService } from '../documents/document-service.js';
import type { Actor } from '../auth/actor.js';
import { SYSTEM_ACTOR } from '../auth/actor.js';
import { AppError, msg, notFound, conflict, forbidden } from '../errors.js';
import { applyRule } from '../rules/operations.js';
import type { WorkflowDef, NodeDef, InstanceStatus } from './types.js';
import type { NodeOutcome } from './node-type.js';
import type { InstanceRow, NodeContext, NodeExecutor, NodeSignal, RuntimeServices, TaskSignal, TokenRow } from './executor.js';
import type { JobQueue } from './jobs.js';

const MAX_STEPS = 1000;

export interface TaskView {
  id: number;
  title: string;
  workflow: string;
  node: string;
  form: string | null;
  recordId: number | null;
  assignee: number;
  status: string;
  kind: string;
  createdAt: string;
  dueAt: string | null;
  actions: string[];
  editableFields: string[];
  instance: number;
  doneAt?: string | null;
  action?: string | null;
  comment?: string | null;
  /** The record's title (its form's title field), for inbox lists. */
  recordTitle?: string | null;
}

export interface InstanceView {
  id: number;
  workflow: string;
  revision: number;
  status: string;
  current: string[];
  startedAt: string;
  endedAt: string | null;
  history: Array<{ at: string; node: string | null; actor: number | null; action: string; comment: string | null; actorName: string | null; nodeLabel: Label | null }>;
  /** The workflow's label (as of the revision the instance runs on). */
  label: Label;
}

const parse = (s: unknown) => (typeof s === 'string' ? JSON.parse(s) : s ?? {});

function taskView(r: any): TaskView {
  return {
    id: Number(r.id), title: r.title, workflow: r.workflow, node: r.node_id, form: r.form ?? null,
    recordId: r.record_id == null ? null : Number(r.record_id), assignee: Number(r.assignee), status: r.status,
    kind: r.kind, createdAt: r.created_at, dueAt: r.due_at ?? null, actions: parse(r.actions) ?? [],
    editableFields: parse(r.editable_fields) ?? [], instance: Number(r.instance_id),
    doneAt: r.done_at ?? null, action: r.action ?? null, comment: r.comment ?? null,
  };
}

/** Node types whose steps write no record (the subject record read for one step stays valid for the next). */
const READ_ONLY_NODES = new Set(['start', 'end', 'condition', 'parallel', 'join', 'approval', 'notify', 'cc', 'wait', 'webhook']);
function instanceRow(r: any): InstanceRow {
  return { ...r, id: Number(r.id), revision: Number(r.revision), record_id: r.record_id == null ? null : Number(r.record_id), context: parse(r.context) };
}

const TOKEN_COLUMNS = ['id', 'instance_id', 'node_id', 'status', 'fork_id', 'state', 'created_at'] as const;
function tokenRow(r: any): TokenRow {
  return { ...r, id: Number(r.id), instance_id: Number(r.instance_id), fork_id: r.fork_id == null ? null : Number(r.fork_id), state: parse(r.state) };
}

/** Node types that never look at the subject record: their context does not read it. */
const RECORDLESS_NODES = new Set(['start', 'end', 'parallel', 'join']);

export class WorkflowRuntime {
  private executors = new Map<string, NodeExecutor>();
  readonly services: RuntimeServices;

  constructor(
    private readonly db: Db,
    private readonly docs: DocumentService,
    readonly workflows: PublishedCache<WorkflowDef>,
    private readonly records: RecordService,
    private readonly jobs: JobQueue,
  ) {
    this.services = this.makeServices();
    jobs.register('workflow.resume', async (job, trx) => {
      const p = job.payload as { token: number; name: string; payload?: Record<string, unknown> };
      await this.resume(trx!, p.token, { kind: 'job', name: p.name, payload: p.payload ?? {} });
    });
  }

  /** The published forms (the record service's registry). */
  get forms() {
    return this.records.forms;
  }

  register(executor: NodeExecutor): void {
    this.executors.set(executor.info.type, executor);
  }

  nodeTypes(): NodeExecutor[] {
    return [...this.executors.values()];
  }

  // ---------- starting ----------

  /** The workflow document of an instance's revision (instances stay on the revision they started on). */
  private async definition(trx: Knex, key: string, revision: number): Promise<WorkflowDef> {
    const cur = this.workflows.peek(key) as (WorkflowDef & { __revision?: number }) | undefined;
    if (cur && (cur as any).__revision === revision) return cur;
    const row = await trx('fw_revisions').where({ kind: 'workflows', key, revision }).first();
    if (!row) throw new Error(`workflow ${key} revision ${revision} is missing`);
    return JSON.parse(row.doc);
  }

  /**
   * Start an instance (idempotent by `key`: a second start with the same key does nothing and
   * returns null).
   */
  async start(
    trx: Knex.Transaction,
    wf: { def: WorkflowDef; revision: number },
    subject: { form: string | null; recordId: number | null },
    opts: { key: string; by: number | null; context?: Record<string, unknown> },
  ): Promise<number | null> {
    const at = nowIso();
    const inserted = await trx('fw_wf_instances')
      .insert({
        workflow: wf.def.key, revision: wf.revision, form: subject.form, record_id: subject.recordId, status: 'running',
        context: JSON.stringify(opts.context ?? {}), started_by: opts.by, started_at: at, idempotency_key: opts.key,
      })
      .onConflict('idempotency_key')
      .ignore()
      .returning('id');
    const first = inserted[0] as unknown;
    if (first === undefined) return null;
    const id = Number(typeof first === 'object' ? (first as any).id : first);
    const start = wf.def.nodes.find((n) => n.type === 'start');
    if (!start) throw new AppError('validation', msg('流程没有开始节点', 'The workflow has no start node'));
    this.addHistory(trx, { instance_id: id, at, node_id: start.id, actor: opts.by, action: 'started' });
    const tokenId = await this.insertToken(trx, id, start.id, null);
    await this.advance(trx, id, tokenId);
    return id;
  }

  private async insertToken(trx: Knex, instanceId: number, nodeId: string, forkId: number | null, state: Record<string, unknown> = {}): Promise<number> {
    const res = await trx('fw_wf_tokens')
      .insert({ instance_id: instanceId, node_id: nodeId, status: 'active', fork_id: forkId, state: JSON.stringify(state), created_at: nowIso() })
      .returning('id');
    const r = res[0] as unknown;
    return Number(typeof r === 'object' ? (r as any).id : r);
  }

  // ---------- moving ----------

  /**
   * PostgreSQL: hold the instance's row lock until the transaction ends, so two processes never
   * move the same instance at once (parallel branches joining, two approvers deciding). SQLite
   * has one writer, and the transaction already serialises.
   */
  private async lockInstance(trx: Knex, id: number): Promise<boolean> {
    if (this.db.dialect !== 'pg') return false;
    const held = perTransaction(this.locksIn, trx, () => new Set());
    // A lock is held to the end of the transaction: taking it again is a round trip for nothing.
    if (held.has(id)) return false;
    await trx('fw_wf_instances').where({ id }).forUpdate().select('id');
    held.add(id);
    return true;
  }

  /**
   * PostgreSQL: lock the instance of a task and keep its row for the transaction's steps (one
   * statement for the lock and the read). A task id that does not exist locks nothing.
   */
  private async lockInstanceOfTask(trx: Knex, taskId: number): Promise<void> {
    const r = await trx('fw_wf_instances').whereIn('id', trx('fw_wf_tasks').where({ id: taskId }).select('instance_id')).forUpdate().first();
    if (!r) return;
    const id = Number(r.id);
    perTransaction(this.locksIn, trx, () => new Set()).add(id);
    perTransaction(this.instancesIn, trx, () => new Map()).set(id, instanceRow(r));
  }

  /**
   * History rows of a transaction not written yet: every step adds its own, and advance() writes
   * them in one statement when it stops (in the order they happened; nothing in a transaction
   * reads the history back).
   */
  private readonly historyIn = new WeakMap<object, Array<Record<string, unknown>>>();

  private addHistory(trx: Knex, row: { instance_id: number; at: string; node_id: string | null; actor: number | null; action: string; comment?: string | null; detail?: string | null }): void {
    perTransaction(this.historyIn, trx, () => []).push({ comment: null, detail: null, ...row });
  }

  private async writeHistory(trx: Knex): Promise<void> {
    const rows = this.historyIn.get(trx);
    if (!rows?.length) return;
    this.historyIn.delete(trx);
    await trx('fw_wf_history').insert(rows);
  }

  /**
   * Instances known, in a transaction, to have no open task: a decision on the only open task of
   * its instance puts it here; opening a task takes it out. Closing tasks then has nothing to
   * close and is skipped (cancelOpenTasks, finish).
   */
  private readonly noOpenTasksIn = new WeakMap<object, Set<number>>();

  /** Tokens whose state a step set and that is not written yet (advance writes it). */
  private readonly dirtyState = new WeakSet<TokenRow>();

  /** The instances whose row lock a transaction holds (PostgreSQL). */
  private readonly locksIn = new WeakMap<object, Set<number>>();

  /**
   * Instance rows as read in a transaction: read once, then shared by every step of it (nodes
   * that change the context change this object and write it; finish() marks its status), so a
   * token moving through several nodes does not read its instance again at each.
   */
  private readonly instancesIn = new WeakMap<object, Map<number, InstanceRow>>();

  /**
   * The subject record as the last step read it, per transaction: a step of a node type that
   * writes no record (READ_ONLY_NODES) leaves it valid for the next step; any other drops it.
   */
  private readonly recordsIn = new WeakMap<object, Map<string, ApiRecord | null>>();

  private async instanceIn(trx: Knex, id: number): Promise<InstanceRow> {
    const m = perTransaction(this.instancesIn, trx, () => new Map());
    let r = m.get(id);
    if (!r) {
      r = await this.loadInstance(trx, id);
      m.set(id, r);
    }
    return r;
  }

  private async loadInstance(trx: Knex, id: number): Promise<InstanceRow> {
    const r = await trx('fw_wf_instances').where({ id }).first();
    if (!r) throw notFound('流程实例不存在', `No workflow instance ${id}`);
    return instanceRow(r);
  }

  private async loadToken(trx: Knex, id: number): Promise<TokenRow> {
    const r = await trx('fw_wf_tokens').where({ id }).first();
    if (!r) throw new Error(`no token ${id}`);
    return tokenRow(r);
  }

  private async context(trx: Knex.Transaction, instance: InstanceRow, token: TokenRow, def: WorkflowDef): Promise<NodeContext> {
    const node = def.nodes.find((n) => n.id === token.node_id);
    if (!node) throw new Error(`workflow ${def.key} has no node ${token.node_id}`);
    let record: ApiRecord | null = null;
    if (instance.form && instance.record_id != null && !RECORDLESS_NODES.has(node.type)) {
      const m = perTransaction(this.recordsIn, trx, () => new Map());
      const key = `${instance.form}:${instance.record_id}`;
      if (m.has(key)) record = m.get(key)!;
      else {
        const form = this.records.forms.peek(instance.form);
        record = form ? await this.records.query.getOne(form, instance.record_id, {}, trx) : null;
        m.set(key, record);
      }
    }
    const ctx: NodeContext = {
      trx, def, node, instance, token, record, services: this.services,
      // Written once, with whatever the step does to the token next (advance: stateWrite).
      setState: async (state) => {
        token.state = state;
        this.dirtyState.add(token);
      },
      history: async (e) => {
        this.addHistory(trx, {
          instance_id: instance.id, at: nowIso(), node_id: node.id, actor: e.actor ?? null, action: e.action,
          comment: e.comment ?? null, detail: e.detail === undefined ? null : JSON.stringify(e.detail),
        });
      },
    };
    return ctx;
  }

  private executor(node: NodeDef): NodeExecutor {
    const ex = this.executors.get(node.type);
    if (!ex) throw new Error(`no executor for node type ${node.type}`);
    return ex;
  }

  /** Run the token forward until every token waits or the instance ends; then write the history of it. */
  private async advance(
    trx: Knex.Transaction, instanceId: number, tokenId: number, first?: (ctx: NodeContext) => Promise<NodeOutcome>, firstToken?: TokenRow,
  ): Promise<void> {
    await this.steps(trx, instanceId, tokenId, first, firstToken);
    await this.writeHistory(trx);
  }

  private async steps(
    trx: Knex.Transaction, instanceId: number, tokenId: number, first?: (ctx: NodeContext) => Promise<NodeOutcome>, firstToken?: TokenRow,
  ): Promise<void> {
    // `unsaved`: the token moved to an end node and that move is not written (finish writes it).
    const queue: Array<{ tokenId: number; step?: (ctx: NodeContext) => Promise<NodeOutcome>; token?: TokenRow; unsaved?: boolean }> = [{ tokenId, step: first, token: firstToken }];
    let steps = 0;
    while (queue.length) {
      if (++steps > MAX_STEPS) throw new Error(`workflow instance ${instanceId} ran more than ${MAX_STEPS} steps without waiting`);
      const { tokenId: tid, step, token: carried, unsaved } = queue.shift()!;
      const instance = await this.instanceIn(trx, instanceId);
      if (instance.status !== 'running') return;
      // A token this loop just moved is carried over as it was written; others are read.
      const token = carried ?? (await this.loadToken(trx, tid));
      if (token.status === 'done' || token.status === 'cancelled') continue;
      const def = await this.definition(trx, instance.workflow, instance.revision);
      const ctx = await this.context(trx, instance, token, def);
      const outcome = await (step ? step(ctx) : this.executor(ctx.node).run(ctx));
      // A step that may write records (this one, or others: rollups, update_records) forgets every record read so far.
      if (!READ_ONLY_NODES.has(ctx.node.type)) this.recordsIn.get(trx)?.clear();
      // The state the step set (setState) goes out with the token's next write; a token that
      // moves on starts its next node with an empty state, so its old state is not written.
      const stateWrite = this.dirtyState.delete(ctx.token) ? { state: JSON.stringify(ctx.token.state) } : {};
      if ('wait' in outcome) {
        await trx('fw_wf_tokens').where({ id: tid }).update({ status: 'waiting', ...stateWrite });
        continue;
      }
      if ('end' in outcome) {
        await this.finish(trx, instance, def, outcome.end, ctx.node.id, { token: ctx.token, write: { ...(unsaved ? { node_id: ctx.token.node_id } : {}), ...stateWrite } });
        return;
      }
      if ('goto' in outcome) {
        if (!def.nodes.some((n) => n.id === outcome.goto)) {
          throw new AppError('validation', msg(`没有节点 ${outcome.goto}`, `No node '${outcome.goto}' in this workflow`));
        }
        await trx('fw_wf_tokens').where({ id: tid }).update({ node_id: outcome.goto, status: 'active', state: JSON.stringify({}) });
        queue.push({ tokenId: tid, token: { ...token, node_id: outcome.goto, status: 'active', state: {} } });
        continue;
      }
      const edges = def.edges.filter((e) => e.source === ctx.node.id);
      if ('fork' in outcome) {
        await trx('fw_wf_tokens').where({ id: tid }).update({ status: 'forked', state: JSON.stringify({ ...token.state, branches: edges.length }) });
        for (const e of edges) queue.push({ tokenId: await this.insertToken(trx, instanceId, e.target, tid) });
        continue;
      }
      const branch = outcome.branch;
      const edge = edges.find((e) => (e.branch ?? undefined) === branch) ?? (branch === undefined ? edges[0] : undefined);
      if (!edge) {
        // A branch left without an edge on purpose (a rejection with nowhere to go, a condition's else) ends the run.
        await this.finish(trx, instance, def, branch === 'rejected' ? 'rejected' : 'completed', ctx.node.id, { token: ctx.token, write: stateWrite });
        return;
      }
      const moved: TokenRow = { ...token, node_id: edge.target, status: 'active', state: {} };
      // To an end node: the move is written with the end (one statement instead of two).
      if (def.nodes.find((n) => n.id === edge.target)?.type === 'end') {
        queue.push({ tokenId: tid, token: moved, unsaved: true });
        continue;
      }
      await trx('fw_wf_tokens').where({ id: tid }).update({ node_id: edge.target, status: 'active', state: JSON.stringify({}) });
      queue.push({ tokenId: tid, token: moved });
    }
  }

  /** A join: the parent token continues once every branch of its fork has arrived. */
  async arriveAtJoin(ctx: NodeContext): Promise<NodeOutcome> {
    const { trx, token } = ctx;
    if (token.fork_id == null) return { next: true };
    await trx('fw_wf_tokens').where({ id: token.id }).update({ status: 'waiting' });
    const parent = await this.loadToken(trx, token.fork_id);
    const arrived = await trx('fw_wf_tokens').where({ fork_id: token.fork_id, node_id: ctx.node.id, status: 'waiting' }).count({ n: '*' }).first();
    if (Number((arrived as any).n) < Number(parent.state.branches ?? 0)) return { wait: true };
    await trx('fw_wf_tokens').where({ fork_id: token.fork_id }).update({ status: 'done' });
    // The parent token carries on from the join.
    await trx('fw_wf_tokens').where({ id: parent.id }).update({ node_id: ctx.node.id, status: 'active', state: JSON.stringify({ joined: true }) });
    await this.advance(trx, ctx.instance.id, parent.id, async () => ({ next: true }));
    return { wait: true };
  }

  /**
   * End the instance: every live token done, open tasks cancelled. `by`: the token that ended it,
   * with what of it is not written yet (its last move, its state).
   */
  private async finish(
    trx: Knex.Transaction, instance: InstanceRow, def: WorkflowDef, status: InstanceStatus, nodeId: string,
    by?: { token: TokenRow; write: Record<string, unknown> },
  ): Promise<void> {
    const at = nowIso();
    await trx('fw_wf_instances').where({ id: instance.id, status: 'running' }).update({ status, ended_at: at });
    instance.status = status;
    instance.ended_at = at;
    if (by && by.token.fork_id == null) {
      // The root token moving is never forked (its branches all ended at the join before it went
      // on): it is the only live token of the instance.
      await trx('fw_wf_tokens').where({ id: by.token.id }).update({ ...by.write, status: 'done' });
    } else {
      if (by && Object.keys(by.write).length) await trx('fw_wf_tokens').where({ id: by.token.id }).update(by.write);
      await trx('fw_wf_tokens').where({ instance_id: instance.id }).whereIn('status', ['active', 'waiting', 'forked']).update({ status: 'done' });
    }
    if (!this.noOpenTasksIn.get(trx)?.has(instance.id)) await trx('fw_wf_tasks').where({ instance_id: instance.id, status: 'open' }).update({ status: 'cancelled', done_at: at });
    this.addHistory(trx, { instance_id: instance.id, at, node_id: nodeId, actor: null, action: status });
    await trx('fw_outbox').insert({
      event: 'workflow.finished', form: instance.form, record_id: instance.record_id,
      payload: JSON.stringify({ workflow: def.key, instance: instance.id, status }),
      idempotency_key: `workflow:${instance.id}:finished`, created_at: at,
    });
  }

  /** A waiting token's task was acted on or its job fired. `known`: the token as read in this transaction. */
  async resume(trx: Knex.Transaction, tokenId: number, signal: NodeSignal, known?: TokenRow): Promise<void> {
    const first = known ?? (await this.loadToken(trx, tokenId));
    // PostgreSQL: read it again, as it is now that the instance is ours — unless it already was
    // when it was read (a task's decision locks first). SQLite: nobody else writes.
    const token = (await this.lockInstance(trx, first.instance_id)) ? await this.loadToken(trx, tokenId) : first;
    if (token.status !== 'waiting' && token.status !== 'active') return; // finished meanwhile: nothing to do
    const instance = await this.instanceIn(trx, token.instance_id);
    if (instance.status !== 'running') return;
    await this.advance(trx, instance.id, tokenId, async (ctx) => {
      const ex = this.executor(ctx.node);
      if (!ex.resume) throw new Error(`node type ${ctx.node.type} cannot resume`);
      return ex.resume(ctx, signal);
    }, token);
  }

  /** A record changed: tokens waiting for it to match a condition look again. */
  async onRecordChanged(trx: Knex.Transaction, form: string, recordId: number): Promise<void> {
    // Only workflows on this form with a wait-until-condition node can be waiting for it.
    const waits = this.published().some((w) => w.def.trigger.form === form && w.def.nodes.some((n) => n.type === 'wait' && (n.config as { condition?: unknown } | undefined)?.condition !== undefined));
    if (!waits) return;
    const waiting = await trx('fw_wf_tokens as k')
      .join('fw_wf_instances as i', 'i.id', 'k.instance_id')
      .where({ 'i.form': form, 'i.record_id': recordId, 'i.status': 'running', 'k.status': 'waiting' })
      .select('k.id', 'k.node_id', 'i.workflow', 'i.revision');
    for (const w of waiting) {
      const def = await this.definition(trx, w.workflow, Number(w.revision));
      const node = def.nodes.find((n) => n.id === w.node_id);
      if (node?.type === 'wait' && (node.config as { condition?: unknown } | undefined)?.condition !== undefined) {
        await this.resume(trx, Number(w.id), { kind: 'job', name: 'record', payload: {} });
      }
    }
  }

  /**
   * The submitter takes their request back while nobody has acted on it yet (no task done).
   * Administrators may cancel any running instance.
   */
  async withdraw(actor: Actor, instanceId: number): Promise<InstanceView> {
    await this.db.knex.transaction(async (trx) => {
      await this.lockInstance(trx, instanceId); // not at the same moment as a decision on it
      const instance = await this.loadInstance(trx, instanceId);
      const record = instance.form && instance.record_id != null
        ? await trx(`t_${instance.form}`).where({ id: instance.record_id }).select('_owner').first()
        : null;
      const submitter = instance.started_by ?? (record?._owner == null ? null : Number(record._owner));
      if (!actor.isAdmin && (actor.userId == null || actor.userId !== submitter)) throw forbidden('只有提交人可以撤回', 'Only the submitter may withdraw');
      if (instance.status !== 'running') throw conflict('流程已结束', 'The workflow is no longer running');
      if (!actor.isAdmin) {
        const touched = await trx('fw_wf_tasks').where({ instance_id: instanceId, status: 'done' }).first();
        if (touched) throw conflict('已有人处理，不能撤回', 'Someone has already acted on it: it can no longer be withdrawn');
      }
      const def = await this.definition(trx, instance.workflow, instance.revision);
      this.addHistory(trx, { instance_id: instanceId, at: nowIso(), node_id: null, actor: actor.userId, action: 'withdraw' });
      await this.finish(trx, instance, def, 'cancelled', 'withdraw');
      await this.writeHistory(trx);
    });
    return this.instanceView(this.db.knex, instanceId);
  }

  // ---------- tasks ----------

  async completeTask(actor: Actor, taskId: number, body: { action?: unknown; comment?: unknown; to?: unknown; position?: unknown; fields?: unknown }): Promise<{ task: TaskView; instance: InstanceView }> {
    if (typeof body.action !== 'string') throw new AppError('validation', msg('请选择操作', 'action is required'), { fields: { action: [msg('必填', 'Required')] } });
    if (body.comment != null && (typeof body.comment !== 'string' || body.comment.length > 2000)) {
      throw new AppError('validation', msg('意见不合法', 'Invalid comment'), { fields: { comment: [msg('不超过 2000 字', 'At most 2000 characters')] } });
    }
    if (body.to != null && !Number.isInteger(body.to) && !(typeof body.to === 'string' && /^[a-z][a-z0-9_]{0,47}$/.test(body.to))) {
      throw new AppError('validation', msg('目标不合法', 'Invalid target'), { fields: { to: [msg('用户 id，或退回时的节点 id', 'A user id, or a node id to return to')] } });
    }
    if (body.position != null && body.position !== 'before' && body.position !== 'after') {
      throw new AppError('validation', msg('加签位置不合法', 'Invalid position'), { fields: { position: [msg('before 或 after', 'before or after')] } });
    }
    if (body.fields != null && (typeof body.fields !== 'object' || Array.isArray(body.fields))) {
      throw new AppError('validation', msg('字段不合法', 'Invalid fields'), { fields: { fields: [msg('必须是对象', 'Must be an object')] } });
    }
    const action = body.action;
    const done = await this.db.knex.transaction(async (trx) => {
      // One state change of an instance at a time (several engine processes): PostgreSQL locks the
      // task's instance (reading it, for the steps to come) before reading the task — so a decision
      // that committed meanwhile is seen to have closed it. SQLite's one writer serialises anyway.
      if (this.db.dialect === 'pg') await this.lockInstanceOfTask(trx, taskId);
      // The task with its token, and whether its instance has any other open task (read after
      // the lock: as they are now).
      const joined = await trx('fw_wf_tasks as t').leftJoin('fw_wf_tokens as k', 'k.id', 't.token_id').where('t.id', taskId)
        .first('t.*', ...TOKEN_COLUMNS.map((c) => `k.${c} as k__${c}`), trx.raw(
          '(select count(*) from ?? as ?? where ?? = ?? and ?? = ? and ?? <> ??) as ??',
          ['fw_wf_tasks', 'o', 'o.instance_id', 't.instance_id', 'o.status', 'open', 'o.id', 't.id', 'k__open_others'],
        ));
      const row = joined && Object.fromEntries(Object.entries(joined).filter(([k]) => !k.startsWith('k__')));
      if (!row || (Number(row.assignee) !== actor.userId && !actor.isAdmin)) throw notFound('任务不存在', `No task ${taskId}`);
      const task = taskView(row);
      if (task.status !== 'open') throw conflict('任务已处理', 'The task is no longer open');
      if (!task.actions.includes(action)) {
        throw new AppError('validation', msg(`不能执行“${action}”`, `Action '${action}' is not available on this task`), { fields: { action: [msg(`可选：${task.actions.join('、')}`, `One of: ${task.actions.join(', ')}`)] } });
      }
      const detail = parse(row.detail) as { commentRequired?: string[] };
      if (detail.commentRequired?.includes(action) && !(typeof body.comment === 'string' && body.comment.trim())) {
        throw new AppError('validation', msg('请填写意见', 'A comment is required'), { fields: { comment: [msg('必填', 'Required')] } });
      }
      const at = nowIso();
      const decision = { status: 'done', action, comment: (body.comment as string | undefined) ?? null, done_at: at, done_by: actor.userId };
      const n = await trx('fw_wf_tasks').where({ id: taskId, status: 'open' }).update(decision);
      if (n !== 1) throw conflict('任务已处理', 'The task is no longer open');
      if (Number(joined.k__open_others) === 0) perTransaction(this.noOpenTasksIn, trx, () => new Set()).add(task.instance);
      let token = joined.k__id == null ? undefined : tokenRow(Object.fromEntries(TOKEN_COLUMNS.map((c) => [c, joined[`k__${c}`]])));
      if (body.fields && Object.keys(body.fields as object).length && task.form && task.recordId != null) {
        const allowed = new Set(task.editableFields);
        const bad = Object.keys(body.fields as object).filter((k) => !allowed.has(k));
        if (bad.length) throw forbidden('这些字段不允许审批人修改', `The approver may not edit: ${bad.join(', ')}`);
        await this.services.updateRecord(trx, task.form, task.recordId, body.fields as Record<string, unknown>);
        token = undefined; // read again: the record's change may have moved it
      }
      const signal: TaskSignal = {
        kind: 'task', taskId, action, actor, comment: body.comment as string | undefined, to: body.to as number | string | undefined,
        position: body.position as 'before' | 'after' | undefined,
        fields: body.fields as Record<string, unknown> | undefined,
      };
      await this.resume(trx, Number(row.token_id), signal, token);
      // The answer, from what this transaction knows: the task as decided (nothing after the
      // decision writes it: later steps touch only open tasks), the instance row as the steps left it.
      return { task: taskView({ ...row, ...decision }), instance: this.instancesIn.get(trx)?.get(task.instance) };
    });
    return { task: done.task, instance: await this.instanceView(this.db.knex, done.task.instance, done.instance) };
  }

  async inbox(actor: Actor, status: 'open' | 'done' | 'cc'): Promise<TaskView[]> {
    const q = this.db.knex('fw_wf_tasks').where({ assignee: actor.userId }).orderBy('id', 'desc').limit(500);
    if (status === 'open') q.where({ status: 'open' }).whereNot({ kind: 'cc' });
    else if (status === 'done') q.where({ status: 'done' }).whereNot({ kind: 'cc' });
    else q.where({ kind: 'cc' });
    const tasks = (await q).map(taskView);
    await this.addRecordTitles(tasks);
    return tasks;
  }

  /** Each task's record title (one query per form), so an inbox shows what a task is about. */
  private async addRecordTitles(tasks: TaskView[]): Promise<void> {
    const byForm = new Map<string, number[]>();
    for (const t of tasks) if (t.form && t.recordId != null) byForm.set(t.form, [...(byForm.get(t.form) ?? []), t.recordId]);
    const titles = new Map<string, string | null>();
    for (const [formKey, ids] of byForm) {
      const form = this.records.forms.peek(formKey);
      const tf = form?.def.titleField ? form.byKey.get(form.def.titleField) : undefined;
      if (!form || !tf?.column || tf.sensitive) continue;
      const rows = await this.db.knex(form.table).whereIn('id', [...new Set(ids)]).select('id', tf.column);
      for (const r of rows) titles.set(`${formKey}:${Number(r.id)}`, r[tf.column] == null ? null : String(r[tf.column]));
    }
    for (const t of tasks) t.recordTitle = t.form && t.recordId != null ? titles.get(`${t.form}:${t.recordId}`) ?? null : null;
  }

  /** An instance, its current nodes and its history; `known`: its row as already read. */
  async instanceView(trx: Knex, id: number, known?: InstanceRow): Promise<InstanceView> {
    // The reads at once (PostgreSQL's pool runs them side by side; SQLite queues them).
    const [i, tokens, history] = await Promise.all([
      known ?? this.loadInstance(trx, id),
      trx('fw_wf_tokens').where({ instance_id: id }).whereIn('status', ['active', 'waiting']).select('node_id'),
      trx('fw_wf_history as h').leftJoin('fw_users as u', 'u.id', 'h.actor').where('h.instance_id', id).orderBy('h.id').select('h.*', 'u.display_name as actor_name'),
    ]);
    const row = i as InstanceRow & { started_at: string; ended_at?: string | null };
    const def = await this.definition(trx, i.workflow, i.revision).catch(() => null);
    const nodeLabel = (nodeId: string | null) => (nodeId && def ? ((def.nodes.find((n) => n.id === nodeId)?.label as Label | undefined) ?? null) : null);
    return {
      id, workflow: i.workflow, revision: i.revision, status: i.status, label: (def?.label as Label | undefined) ?? i.workflow,
      current: [...new Set(tokens.map((t: any) => t.node_id as string))],
      startedAt: row.started_at, endedAt: row.ended_at ?? null,
      history: history.map((h: any) => ({
        at: h.at, node: h.node_id ?? null, actor: h.actor == null ? null : Number(h.actor), action: h.action, comment: h.comment ?? null,
        actorName: h.actor_name ?? null, nodeLabel: nodeLabel(h.node_id ?? null),
      })),
    };
  }

  async recordTimeline(form: string, recordId: number): Promise<InstanceView[]> {
    const rows = await this.db.knex('fw_wf_instances').where({ form, record_id: recordId }).orderBy('id');
    const out: InstanceView[] = [];
    for (const r of rows) out.push(await this.instanceView(this.db.knex, Number(r.id)));
    return out;
  }

  /** The running instances on a record, and the fields their open tasks let the assignee edit. */
  async locksOn(trx: Knex, form: string, recordId: number): Promise<Array<{ instance: number; workflow: string; editable: Map<number, string[]> }>> {
    const running = await trx('fw_wf_instances').where({ form, record_id: recordId, status: 'running' }).select('id', 'workflow', 'revision');
    const out = [];
    for (const r of running) {
      const def = await this.definition(trx, r.workflow, Number(r.revision));
      const locks = def.settings?.lockRecord ?? def.nodes.some((n) => n.type === 'approval');
      if (!locks) continue;
      const tasks = await trx('fw_wf_tasks').where({ instance_id: r.id, status: 'open' }).select('assignee', 'editable_fields');
      const editable = new Map<number, string[]>();
      for (const t of tasks) editable.set(Number(t.assignee), [...(editable.get(Number(t.assignee)) ?? []), ...(parse(t.editable_fields) ?? [])]);
      out.push({ instance: Number(r.id), workflow: r.workflow as string, editable });
    }
    return out;
  }

  // ---------- services for nodes ----------

  private makeServices(): RuntimeServices {
    const records = this.records;
    return {
      openTask: async (ctx, t) => {
        this.noOpenTasksIn.get(ctx.trx)?.delete(ctx.instance.id);
        const res = await ctx.trx('fw_wf_tasks').insert({
          instance_id: ctx.instance.id, token_id: ctx.token.id, node_id: ctx.node.id, workflow: ctx.def.key,
          form: ctx.instance.form, record_id: ctx.instance.record_id, assignee: t.assignee, status: 'open',
          kind: t.kind ?? 'approval', title: t.title, actions: JSON.stringify(t.actions),
          editable_fields: JSON.stringify(t.editableFields ?? []), detail: JSON.stringify({ ...(t.detail ?? {}), commentRequired: t.commentRequired ?? [] }),
          created_at: nowIso(), due_at: t.dueAt ?? null,
        }).returning('id');
        const r = res[0] as unknown;
        return Number(typeof r === 'object' ? (r as any).id : r);
      },
      cancelOpenTasks: async (ctx, exceptTaskId) => {
        if (this.noOpenTasksIn.get(ctx.trx)?.has(ctx.instance.id)) return;
        const q = ctx.trx('fw_wf_tasks').where({ token_id: ctx.token.id, status: 'open' }).whereNot({ kind: 'cc' });
        if (exceptTaskId != null) q.whereNot({ id: exceptTaskId });
        await q.update({ status: 'cancelled', done_at: nowIso() });
      },
      usersWithRole: async (trx, role, departments) => {
        const rows = await trx('fw_users').where({ disabled: false }).select('id', 'roles', 'department_id').orderBy('id');
        return rows
          .filter((u: any) => (JSON.parse(u.roles ?? '[]') as string[]).includes(role))
          .filter((u: any) => !departments || departments.includes(Number(u.department_id)))
          .map((u: any) => Number(u.id));
      },
      userInfo: async (trx, userId) => {
        const u = await trx('fw_users').where({ id: userId }).first();
        if (!u) return null;
        return { id: Number(u.id), departmentId: u.department_id == null ? null : Number(u.department_id), managerId: u.manager_id == null ? null : Number(u.manager_id), roles: JSON.parse(u.roles ?? '[]') };
      },
      departmentHead: async (trx, departmentId) => {
        const d = await trx('fw_departments').where({ id: departmentId }).first();
        return d?.head_user_id == null ? null : Number(d.head_user_id);
      },
      updateRecord: (trx, form, id, values) => records.updateIn(trx, SYSTEM_ACTOR, form, id, values),
      createRecord: (trx, form, values, owner) => records.createIn(trx, SYSTEM_ACTOR, form, values, { owner }),
      assignOwner: (trx, form, id, owner) => records.assignOwnerIn(trx, SYSTEM_ACTOR, form, id, owner),
      findRecords: async (trx, form, filter, limit) => {
        const f = records.forms.peek(form);
        if (!f) throw notFound('表单不存在', `No published form '${form}'`);
        return (await records.query.list(f, { filter, pageSize: Math.min(limit, 500) }, {}, trx)).items;
      },
      notify: async (trx, n) => {
        const at = nowIso();
        const users = [...new Set(n.users)];
        if (!users.length) return;
        await trx('fw_notifications').insert(users.map((u) => ({ user_id: u, title: n.title.slice(0, 500), body: n.body ?? null, link: n.link ?? null, at })));
        if (n.email) {
          for (const u of users) {
            // Enough attempts (with backoff) to ride out an SMTP outage of an hour or two.
            await this.jobs.enqueue(trx, { kind: 'notify.email', payload: { user: u, title: n.title, body: n.body ?? '' }, maxAttempts: 10 });
          }
        }
      },
      schedule: async (ctx, name, runAt, payload) => {
        await this.jobs.enqueue(ctx.trx, {
          kind: 'workflow.resume', runAt, payload: { token: ctx.token.id, name, payload: payload ?? {} },
          key: `wf:${ctx.token.id}:${name}:${runAt.toISOString()}`,
        });
      },
      evaluate: (rule, data) => applyRule(rule, data),
    };
  }

  /** A workflow that could not start: kept as a failed run, to be seen and retried. */
  async recordFailedStart(
    trx: Knex.Transaction, wf: { def: WorkflowDef; revision: number }, subject: { form: string | null; recordId: number | null },
    key: string, by: number | null, error: unknown,
  ): Promise<void> {
    const text = String((error as Error)?.message ?? error).slice(0, 2000);
    await trx('fw_wf_instances')
      .insert({
        workflow: wf.def.key, revision: wf.revision, form: subject.form, record_id: subject.recordId, status: 'failed',
        context: JSON.stringify({ error: text, retryKey: key }), started_by: by, started_at: nowIso(), ended_at: nowIso(), idempotency_key: key,
      })
      .onConflict('idempotency_key')
      .ignore();
  }

  /** Runs of a workflow (newest first), for the automations' run history. */
  async runs(filter: { workflow?: string; status?: string; limit?: number }): Promise<Array<Record<string, unknown>>> {
    const q = this.db.knex('fw_wf_instances').orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 500));
    if (filter.workflow) q.where({ workflow: filter.workflow });
    if (filter.status) q.where({ status: filter.status });
    return (await q).map((r: any) => ({
      id: Number(r.id), workflow: r.workflow, revision: Number(r.revision), form: r.form, recordId: r.record_id == null ? null : Number(r.record_id),
      status: r.status, startedAt: r.started_at, endedAt: r.ended_at ?? null, error: parse(r.context).error ?? null,
    }));
  }

  /** Start a failed run again, on the workflow's current revision. The failed run stays in the history. */
  async retryRun(id: number, by: number | null): Promise<number> {
    await this.workflows.fresh();
    return this.db.knex.transaction(async (trx) => {
      const r = await trx('fw_wf_instances').where({ id }).first();
      if (!r) throw notFound('运行记录不存在', `No run ${id}`);
      if (r.status !== 'failed') throw conflict('只有失败的运行可以重试', 'Only failed runs can be retried');
      const def = this.workflows.peek(r.workflow) as (WorkflowDef & { __revision: number }) | undefined;
      if (!def) throw notFound('流程不存在', `No published workflow '${r.workflow}'`);
      const n = await trx('fw_wf_instances').where('idempotency_key', 'like', `${r.idempotency_key}%`).count({ n: '*' }).first();
      const started = await this.start(
        trx, { def, revision: def.__revision },
        { form: r.form ?? null, recordId: r.record_id == null ? null : Number(r.record_id) },
        { key: `${r.idempotency_key}:retry:${Number((n as any).n)}`, by },
      );
      await trx('fw_wf_instances').where({ id }).update({ context: JSON.stringify({ ...parse(r.context), retriedAs: started }) });
      return started!;
    });
  }

  /** The published workflows (and their revision). */
  published(): Array<{ def: WorkflowDef; revision: number }> {
    return this.workflows.values().map((def: any) => ({ def, revision: def.__revision as number }));
  }
}

/** The value a transaction keeps in one of the runtime's per-transaction maps, made on first use. */
function perTransaction<V>(map: WeakMap<object, V>, trx: object, make: () => V): V {
  let v = map.get(trx);
  if (v === undefined) {
    v = make();
    map.set(trx, v);
  }
  return v;
}
