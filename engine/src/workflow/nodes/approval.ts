/**
 * The approval node: tasks for the resolved approvers in one of four modes — any one approves,
 * all approve, one after another, or a ratio of votes — with approve, reject, return (to the
 * submitter, who edits and resubmits or withdraws) and transfer. Comments may be required per
 * action; approvers may edit the listed fields; a submitter never approves their own request
 * unless the node allows it. Leaves by 'approved' or 'rejected'.
 */
import { renderLocalized } from '../email.js';
import { AppError, msg } from '../../errors.js';
import type { NodeContext, NodeExecutor, NodeSignal } from '../executor.js';
import type { NodeOutcome } from '../node-type.js';
import { ASSIGNEE_SCHEMA, resolveAssignees, submitterOf, type AssigneeSpec } from '../assignees.js';
import { labelText } from '../../meta/types.js';

export interface ApprovalConfig {
  title?: string;
  assignees: AssigneeSpec[];
  mode?: 'any' | 'all' | 'sequential' | 'ratio';
  ratio?: number;
  actions?: Array<'approve' | 'reject' | 'return' | 'transfer' | 'add_signer'>;
  commentRequired?: Array<'approve' | 'reject' | 'return' | 'transfer' | 'add_signer'>;
  editableFields?: string[];
  allowSelfApproval?: boolean;
  /**
   * When the approval is due — hours after it opens, or a date field of the record — and what
   * happens then: remind the approvers, escalate to more people, or decide automatically.
   */
  due?: { hours?: number; field?: string; action: 'remind' | 'escalate' | 'approve' | 'reject'; escalateTo?: AssigneeSpec[] };
}

interface ApprovalState {
  assignees: number[];
  approved: number[];
  rejected: number[];
  next: number; // sequential: index of the current approver
  returned?: boolean;
  /** Bumped each time the approval (re)opens, so a due job of an earlier round does nothing. */
  round?: number;
  /** Signers added before an approver: signer → the approver whose task comes back after them. */
  before?: Record<string, number>;
  /** Signers added after: they approve, in order, once the node would otherwise be approved. */
  after?: number[];
  /** The after-signer whose task is open now. */
  afterOpen?: number | null;
  [k: string]: unknown;
}

const DEFAULT_ACTIONS: ApprovalConfig['actions'] = ['approve', 'reject', 'return', 'transfer'];

function config(ctx: NodeContext): ApprovalConfig {
  return ctx.node.config as unknown as ApprovalConfig;
}

function title(ctx: NodeContext): string {
  const cfg = config(ctx);
  // A title may name the record's fields, as a notification's does ({{record.name}}).
  if (cfg.title) return renderLocalized(cfg.title, { record: ctx.record ?? {}, workflow: { key: ctx.def.key, label: labelText(ctx.def.label) }, context: ctx.instance.context }, ' / ');
  const node = labelText(ctx.node.label as never) || ctx.node.id;
  return `${labelText(ctx.def.label)}：${node}`;
}

async function approvers(ctx: NodeContext): Promise<number[]> {
  const cfg = config(ctx);
  let users = await resolveAssignees(ctx, cfg.assignees);
  const submitter = submitterOf(ctx);
  if (!cfg.allowSelfApproval && submitter != null) users = users.filter((u) => u !== submitter);
  if (!users.length) {
    // Nobody left (the only approver is the submitter, or a role with no members): administrators decide.
    users = (await ctx.services.usersWithRole(ctx.trx, 'admin', null)).filter((u) => cfg.allowSelfApproval || u !== submitter);
  }
  return users;
}

function dueAt(ctx: NodeContext): Date | null {
  const due = config(ctx).due;
  if (!due) return null;
  if (due.field) {
    const v = ctx.record?.[due.field];
    return typeof v === 'string' ? new Date(v.length === 10 ? `${v}T09:00:00+08:00` : v) : null;
  }
  return due.hours ? new Date(Date.now() + due.hours * 3600_000) : null;
}

async function openFor(ctx: NodeContext, users: number[]): Promise<void> {
  const cfg = config(ctx);
  const dueAt = (ctx.token.state as ApprovalState).dueAt as string | null ?? null;
  for (const u of users) {
    await ctx.services.openTask(ctx, {
      assignee: u, title: title(ctx), kind: 'approval', actions: [...(cfg.actions ?? DEFAULT_ACTIONS!)],
      editableFields: cfg.editableFields ?? [], commentRequired: cfg.commentRequired ?? [], dueAt,
    });
  }
}

async function begin(ctx: NodeContext): Promise<NodeOutcome> {
  const cfg = config(ctx);
  const users = await approvers(ctx);
  const round = ((ctx.token.state as ApprovalState).round ?? 0) + 1;
  const due = dueAt(ctx);
  const state: ApprovalState = { assignees: users, approved: [], rejected: [], next: 0, round, dueAt: due?.toISOString() ?? null };
  await ctx.setState(state);
  if (due && cfg.due) await ctx.services.schedule(ctx, 'due', due, { round });
  await openFor(ctx, cfg.mode === 'sequential' ? users.slice(0, 1) : users);
  await ctx.history({ action: 'waiting', detail: { assignees: cfg.mode === 'sequential' ? users.slice(0, 1) : users, mode: cfg.mode ?? 'any' } });
  return { wait: true };
}

function needed(cfg: ApprovalConfig, n: number): number {
  switch (cfg.mode ?? 'any') {
    case 'any': return 1;
    case 'ratio': return Math.max(1, Math.ceil((cfg.ratio ?? 0.5) * n - 1e-9));
    default: return n;
  }
}

export const approval: NodeExecutor = {
  info: {
    type: 'approval', label: msg('审批', 'Approval'), group: 'human', inputs: 'many', outputs: 'many',
    configSchema: {
      type: 'object', required: ['assignees'], additionalProperties: false,
      properties: {
        title: { type: 'string', maxLength: 200 },
        assignees: ASSIGNEE_SCHEMA,
        mode: { enum: ['any', 'all', 'sequential', 'ratio'] },
        ratio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        actions: { type: 'array', uniqueItems: true, minItems: 1, items: { enum: ['approve', 'reject', 'return', 'transfer', 'add_signer'] } },
        commentRequired: { type: 'array', uniqueItems: true, items: { enum: ['approve', 'reject', 'return', 'transfer', 'add_signer'] } },
        editableFields: { type: 'array', uniqueItems: true, maxItems: 200, items: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' } },
        allowSelfApproval: { type: 'boolean' },
        due: {
          type: 'object', required: ['action'], additionalProperties: false,
          properties: {
            hours: { type: 'number', exclusiveMinimum: 0, maximum: 8760 },
            field: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' },
            action: { enum: ['remind', 'escalate', 'approve', 'reject'] },
            escalateTo: ASSIGNEE_SCHEMA,
          },
        },
      },
    },
    branches: () => ['approved', 'rejected'],
    optionalBranches: () => ['rejected'],
    waits: true,
  },

  run: begin,

  async resume(ctx: NodeContext, signal: NodeSignal): Promise<NodeOutcome> {
    const cfg = config(ctx);
    const state = ctx.token.state as ApprovalState;
    if (signal.kind === 'job') {
      if (signal.name !== 'due' || signal.payload.round !== state.round || state.returned) return { wait: true };
      return onDue(ctx, cfg, state);
    }
    const who = signal.actor.userId;
    await ctx.history({ action: signal.action, actor: who, comment: signal.comment ?? null });

    switch (signal.action) {
      case 'resubmit':
        state.returned = false;
        await ctx.setState(state);
        return begin(ctx);
      case 'withdraw':
        await ctx.services.cancelOpenTasks(ctx);
        return { end: 'cancelled' };
      case 'transfer': {
        const to = signal.to;
        if (typeof to !== 'number') return { wait: true };
        await ctx.services.openTask(ctx, {
          assignee: to, title: title(ctx), kind: 'approval', actions: [...(cfg.actions ?? DEFAULT_ACTIONS!)],
          editableFields: cfg.editableFields ?? [], commentRequired: cfg.commentRequired ?? [],
        });
        state.assignees = state.assignees.map((u) => (u === who ? to : u));
        await ctx.setState(state);
        return { wait: true };
      }
      case 'add_signer': {
        if (typeof signal.to !== 'number') return { wait: true };
        if (signal.position === 'before') {
          // The signer goes first; the approver's task comes back once they approve.
          state.before = { ...(state.before ?? {}), [String(signal.to)]: who! };
          await ctx.setState(state);
          await openFor(ctx, [signal.to]);
          return { wait: true };
        }
        // After: this approver approves now, the signer must approve too before the node is done.
        state.after = [...(state.after ?? []), signal.to];
        await ctx.setState(state);
        return approve(ctx, cfg, state, who!, signal.taskId);
      }
      case 'return': {
        if (typeof signal.to === 'string') {
          // Back to an earlier node of the graph (the approver chose which).
          if (!earlierNodes(ctx).has(signal.to)) {
            throw new AppError('validation', msg(`不能退回到节点 ${signal.to}`, `Cannot return to '${signal.to}': not an earlier step`), {
              fields: { to: [msg('须为之前的步骤', 'Must be an earlier step')] },
            });
          }
          await ctx.services.cancelOpenTasks(ctx, signal.taskId);
          return { goto: signal.to };
        }
        await ctx.services.cancelOpenTasks(ctx, signal.taskId);
        const submitter = submitterOf(ctx);
        state.returned = true;
        await ctx.setState(state);
        if (submitter == null) return { next: true, branch: 'rejected' };
        await ctx.services.openTask(ctx, {
          assignee: submitter, title: `${title(ctx)}（已退回 / returned）`, kind: 'approval', actions: ['resubmit', 'withdraw'], editableFields: ['*'],
        });
        await ctx.services.notify(ctx.trx, {
          users: [submitter], title: `已退回：${title(ctx)}`, body: signal.comment ?? '', link: recordLink(ctx),
        });
        return { wait: true };
      }
      case 'reject': {
        state.rejected = [...new Set([...state.rejected, who!])];
        await ctx.setState(state);
        const n = state.assignees.length;
        // A rejection decides unless a ratio vote can still pass without this voter.
        if ((cfg.mode ?? 'any') === 'ratio' && n - state.rejected.length >= needed(cfg, n)) return { wait: true };
        await ctx.services.cancelOpenTasks(ctx, signal.taskId);
        return { next: true, branch: 'rejected' };
      }
      case 'approve':
        return approve(ctx, cfg, state, who!, signal.taskId);
      default:
        return { wait: true };
    }
  },
};

/** Nodes from which this one can be reached (the steps before it), other than the start. */
function earlierNodes(ctx: NodeContext): Set<string> {
  const seen = new Set<string>();
  const stack = [ctx.node.id];
  while (stack.length) {
    const id = stack.pop()!;
    for (const e of ctx.def.edges) if (e.target === id && !seen.has(e.source)) {
      seen.add(e.source);
      stack.push(e.source);
    }
  }
  for (const n of ctx.def.nodes) if (n.type === 'start') seen.delete(n.id);
  return seen;
}

/** An approval: counts toward the mode, after any signer added before or after. */
async function approve(ctx: NodeContext, cfg: ApprovalConfig, state: ApprovalState, who: number, taskId: number): Promise<NodeOutcome> {
  // A signer added before someone: that person's task comes back now.
  const back = state.before?.[String(who)];
  if (back != null) {
    delete state.before![String(who)];
    await ctx.setState(state);
    await openFor(ctx, [back]);
    return { wait: true };
  }
  const decided = async (): Promise<NodeOutcome> => {
    const next = state.after?.shift();
    if (next != null) {
      state.afterOpen = next;
      await ctx.setState(state);
      await ctx.services.cancelOpenTasks(ctx, taskId);
      await openFor(ctx, [next]);
      return { wait: true };
    }
    await ctx.setState(state);
    await ctx.services.cancelOpenTasks(ctx, taskId);
    return { next: true, branch: 'approved' };
  };
  if (state.afterOpen === who) {
    state.afterOpen = null;
    return decided();
  }
  state.approved = [...new Set([...state.approved, who])];
  const n = state.assignees.length;
  if ((cfg.mode ?? 'any') === 'sequential') {
    state.next += 1;
    await ctx.setState(state);
    if (state.next < n) {
      await openFor(ctx, [state.assignees[state.next]!]);
      return { wait: true };
    }
    return decided();
  }
  await ctx.setState(state);
  if (state.approved.length >= needed(cfg, n)) return decided();
  return { wait: true };
}

/** The approval is due: remind, escalate, or decide as configured. */
async function onDue(ctx: NodeContext, cfg: ApprovalConfig, state: ApprovalState): Promise<NodeOutcome> {
  const open = await ctx.trx('fw_wf_tasks').where({ token_id: ctx.token.id, status: 'open', kind: 'approval' }).select('assignee');
  const waiting = open.map((t: any) => Number(t.assignee));
  switch (cfg.due!.action) {
    case 'remind':
      await ctx.services.notify(ctx.trx, { users: waiting, title: `催办：${title(ctx)} / Reminder`, link: recordLink(ctx) });
      await ctx.history({ action: 'remind', detail: { users: waiting } });
      return { wait: true };
    case 'escalate': {
      const more = (await resolveAssignees(ctx, cfg.due!.escalateTo ?? [{ type: 'manager' }])).filter((u) => !state.assignees.includes(u));
      if (more.length) {
        state.assignees = [...state.assignees, ...more];
        await ctx.setState(state);
        await openFor(ctx, more);
        await ctx.services.notify(ctx.trx, { users: more, title: `已升级：${title(ctx)} / Escalated`, link: recordLink(ctx) });
      }
      await ctx.history({ action: 'escalate', detail: { users: more } });
      return { wait: true };
    }
    case 'approve':
    case 'reject':
      await ctx.services.cancelOpenTasks(ctx);
      await ctx.history({ action: `auto_${cfg.due!.action}` });
      return { next: true, branch: cfg.due!.action === 'approve' ? 'approved' : 'rejected' };
  }
}

export function recordLink(ctx: NodeContext): string | null {
  return ctx.instance.form && ctx.instance.record_id != null ? `/records/${ctx.instance.form}/${ctx.instance.record_id}` : null;
}
