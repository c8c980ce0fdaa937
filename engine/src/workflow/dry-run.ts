/**
 * A workflow's dry run: what it would do for one record, without doing any of it. The trigger's
 * condition is evaluated on the record, then the graph is walked as the runtime walks it
 * (runtime.ts `advance`: the edge of the branch a node leaves by, else the only edge; a branch
 * without an edge ends the run; a parallel split follows every edge and its join waits for all of
 * them) — but nothing is written: no instance, token, task, job, notification or record.
 *
 *   - conditions (condition nodes, waits on a condition) are evaluated on the record's data as the
 *     condition node does (`ruleData`: the record, `$workflow`, `$instance`) with the same
 *     json-logic evaluator;
 *   - approvals are taken as approved, unless `decisions` says 'reject' for the node;
 *   - waits are passed through (the note says how long or until what);
 *   - data, message and webhook nodes are listed as "would …"; the values `set_fields` would
 *     write are applied to the in-memory copy of the record, so later conditions see them;
 *   - a node type the walk does not know leaves by its only way out (or its first branch).
 *
 * Server-side only because of the notification template renderer; otherwise pure.
 */
import { msg, type Msg } from '../errors.js';
import { labelText, type Label } from '../meta/types.js';
import type { WorkflowTypeRegistry } from '../meta/workflow-schema.js';
import { applyRule, truthy } from '../rules/operations.js';
import type { AssigneeSpec } from './assignees.js';
import { renderLocalized, type LocalizedText } from './email.js';
import type { EdgeDef, NodeDef, WorkflowDef } from './types.js';
import { safeUrl } from './webhook-delivery.js';

export type DryRunDecision = 'approve' | 'reject';

export interface DryRunStep {
  node: string;
  type: string;
  label?: Label;
  /** The branch the node leaves by (condition branch, 'approved' / 'rejected'). */
  branch?: string;
  /** The edge taken out of the node (none: the run ends or waits here). */
  edge?: string;
  /** What the node would do. */
  note: Msg;
}

export type DryRunOutcome = 'completed' | 'rejected' | 'cancelled' | 'loop' | 'stuck';

export interface DryRunResult {
  /** The trigger's condition holds on the record (no condition: true). The walk is shown either way. */
  triggered: boolean;
  trigger: Msg;
  path: DryRunStep[];
  outcome: DryRunOutcome;
  /** The fields set_fields nodes would write on the record, as they would end up. */
  changes: Record<string, unknown>;
}

export interface DryRunOptions {
  /** Per approval node: approve (default) or reject. */
  decisions?: Record<string, DryRunDecision>;
  /** Who would start it (`$instance.startedBy`). */
  startedBy?: number | null;
  /** For the branches of node types the walk does not know. */
  registry?: WorkflowTypeRegistry;
}

/** Steps before the walk gives up (far beyond any real workflow: 500 nodes at most). */
const MAX_STEPS = 2000;

const evaluate = (rule: unknown, data: Record<string, unknown>): unknown => {
  try {
    return applyRule(rule, data);
  } catch {
    return null;
  }
};

const short = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? 'null';
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

const listValues = (values: Record<string, unknown>): string =>
  Object.entries(values).map(([k, v]) => `${k} = ${short(v)}`).join(', ') || '—';

function assigneeText(specs: unknown): Msg {
  const list = Array.isArray(specs) ? (specs as AssigneeSpec[]) : [];
  const parts = list.map((s): Msg => {
    switch (s?.type) {
      case 'user': return msg(`用户 ${s.users.join('、')}`, `user ${s.users.join(', ')}`);
      case 'role': return s.within === 'department' ? msg(`本部门角色 ${s.role}`, `role ${s.role} in the department`) : msg(`角色 ${s.role}`, `role ${s.role}`);
      case 'department_head': return msg('部门负责人', 'the department head');
      case 'field': return msg(`字段 ${s.field} 中的人员`, `the person in field ${s.field}`);
      case 'manager': return msg('提交人的上级', "the submitter's manager");
      case 'submitter': return msg('提交人', 'the submitter');
      case 'owner': return msg('记录负责人', "the record's owner");
      default: return msg('?', '?');
    }
  });
  return msg(parts.map((p) => p['zh-CN']).join('、') || '—', parts.map((p) => p.en).join(', ') || '—');
}

interface Token {
  node: string;
  /** The fork this token is a branch of (index into `forks`), or null. */
  fork: number | null;
}

interface Fork {
  branches: number;
  arrived: number;
  /** The fork the splitting token itself belonged to. */
  parent: number | null;
}

/** Walk `def` for `record` (API values, as rules see them). */
export function dryRunWorkflow(def: WorkflowDef, record: Record<string, unknown>, opts: DryRunOptions = {}): DryRunResult {
  const decisions = opts.decisions ?? {};
  const data: Record<string, unknown> = { ...record };
  const context: Record<string, unknown> = { event: def.trigger.type === 'record_updated' ? 'record.updated' : 'record.created', dryRun: true };
  const changes: Record<string, unknown> = {};
  const ruleData = () => ({ ...data, $workflow: context, $instance: { id: null, startedBy: opts.startedBy ?? null } });

  // --- the trigger ---
  let triggered = true;
  let trigger: Msg;
  if (def.enabled === false) {
    triggered = false;
    trigger = msg('流程已停用：不会启动新的实例', 'The workflow is disabled: it starts no new instance');
  } else if (def.trigger.condition != null) {
    const changed = (def.trigger.config?.fields as string[] | undefined) ?? [];
    triggered = truthy(evaluate(def.trigger.condition, { ...data, $before: def.trigger.type === 'record_updated' ? { ...data } : null, $changed: changed }));
    trigger = triggered
      ? msg('触发条件成立：这条记录会启动此流程', 'The trigger condition holds: this record would start the workflow')
      : msg('触发条件不成立：这条记录不会启动此流程（以下按启动后的情形演示）', 'The trigger condition does not hold: this record would not start the workflow (the walk below shows what would happen if it did)');
  } else {
    trigger = msg('没有触发条件：这条记录会启动此流程', 'No trigger condition: this record would start the workflow');
  }

  const nodes = new Map(def.nodes.map((n) => [n.id, n]));
  const path: DryRunStep[] = [];
  const start = def.nodes.find((n) => n.type === 'start');
  if (!start) return { triggered, trigger, path, outcome: 'stuck', changes };

  const forks: Fork[] = [];
  const queue: Token[] = [{ node: start.id, fork: null }];
  const seen = new Set<string>();
  let outcome: DryRunOutcome | null = null;

  const outgoing = (id: string): EdgeDef[] => def.edges.filter((e) => e.source === id);
  const step = (node: NodeDef, note: Msg, extra: Partial<DryRunStep> = {}) => {
    const s: DryRunStep = { node: node.id, type: node.type, ...(node.label !== undefined ? { label: node.label } : {}), note, ...extra };
    path.push(s);
    return s;
  };

  while (queue.length && outcome === null) {
    if (path.length >= MAX_STEPS) {
      outcome = 'loop';
      break;
    }
    const token = queue.shift()!;
    const node = nodes.get(token.node);
    if (!node) {
      outcome = 'stuck';
      break;
    }
    // The same node reached again with the same data and fork decides the same way: a loop.
    const state = `${node.id}|${token.fork}|${JSON.stringify(data)}|${JSON.stringify(context)}`;
    if (seen.has(state) && node.type !== 'join') {
      step(node, msg('再次到达此节点，情况与上次相同：流程会在这里循环', 'Reached again with nothing changed: the flow would loop here'));
      outcome = 'loop';
      break;
    }
    seen.add(state);
    const cfg = (node.config ?? {}) as Record<string, any>;
    const edges = outgoing(node.id);

    /** Leave by `branch` (or the only way out); no edge ends the run as the runtime does. */
    const leave = (note: Msg, branch?: string) => {
      const edge = edges.find((e) => (e.branch ?? undefined) === branch) ?? (branch === undefined ? edges[0] : undefined);
      if (!edge) {
        const ends: DryRunOutcome = branch === 'rejected' ? 'rejected' : 'completed';
        const why = branch !== undefined
          ? msg(`；分支 '${branch}' 没有连线，流程在此结束（${ends}）`, `; branch '${branch}' has no edge, so the run ends here (${ends})`)
          : msg(`；没有出边，流程在此结束（${ends}）`, `; no edge leaves it, so the run ends here (${ends})`);
        step(node, msg(note['zh-CN'] + why['zh-CN'], note.en + why.en), branch !== undefined ? { branch } : {});
        outcome = ends;
        return;
      }
      step(node, note, { ...(branch !== undefined ? { branch } : {}), edge: edge.id });
      queue.push({ node: edge.target, fork: token.fork });
    };

    switch (node.type) {
      case 'start':
        leave(msg('流程开始', 'The run starts'));
        break;
      case 'end': {
        const o = (cfg.outcome as DryRunOutcome | undefined) ?? 'completed';
        step(node, msg(`流程结束（${o}）`, `The run ends (${o})`));
        outcome = o;
        break;
      }
      case 'condition': {
        const branches = (Array.isArray(cfg.branches) ? cfg.branches : []) as Array<{ key: string; label?: Label; when: unknown }>;
        const hit = branches.find((b) => truthy(evaluate(b.when, ruleData())));
        if (hit) {
          const name = labelText(hit.label as Label) || hit.key;
          leave(msg(`条件“${name}”成立，走分支 ${hit.key}`, `"${name}" holds: branch ${hit.key}`), hit.key);
        } else {
          leave(msg('没有条件成立，走“其他”分支', 'No condition holds: the else branch'), 'else');
        }
        break;
      }
      case 'parallel': {
        if (!edges.length) {
          step(node, msg('并行分支没有出边，流程在此结束', 'The split has no edge: the run ends here'));
          outcome = 'completed';
          break;
        }
        forks.push({ branches: edges.length, arrived: 0, parent: token.fork });
        const fork = forks.length - 1;
        step(node, msg(`分成 ${edges.length} 条并行分支`, `Splits into ${edges.length} parallel branches`));
        for (const e of edges) queue.push({ node: e.target, fork });
        break;
      }
      case 'join': {
        const fork = token.fork == null ? undefined : forks[token.fork];
        if (!fork) {
          leave(msg('汇合（没有并行分支要等）', 'Join (no parallel branches to wait for)'));
          break;
        }
        fork.arrived += 1;
        if (fork.arrived < fork.branches) {
          step(node, msg(`等待其他分支（${fork.arrived}/${fork.branches} 已到达）`, `Waits for the other branches (${fork.arrived}/${fork.branches} arrived)`));
          break;
        }
        token.fork = fork.parent;
        leave(msg(`所有 ${fork.branches} 条分支已到达，继续`, `All ${fork.branches} branches arrived: carries on`));
        break;
      }
      case 'approval': {
        const who = assigneeText(cfg.assignees);
        const reject = decisions[node.id] === 'reject';
        leave(
          reject
            ? msg(`交给 ${who['zh-CN']} 审批，假定驳回`, `Asks ${who.en} to approve; taken as rejected`)
            : msg(`交给 ${who['zh-CN']} 审批，假定通过`, `Asks ${who.en} to approve; taken as approved`),
          reject ? 'rejected' : 'approved',
        );
        break;
      }
      case 'set_fields': {
        const values: Record<string, unknown> = {};
        for (const [k, expr] of Object.entries((cfg.values ?? {}) as Record<string, unknown>)) values[k] = evaluate(expr, ruleData());
        Object.assign(data, values);
        Object.assign(changes, values);
        leave(msg(`会更新本记录：${listValues(values)}`, `Would set on this record: ${listValues(values)}`));
        break;
      }
      case 'create_record': {
        const values: Record<string, unknown> = {};
        for (const [k, expr] of Object.entries((cfg.values ?? {}) as Record<string, unknown>)) values[k] = evaluate(expr, ruleData());
        leave(msg(`会在表单 ${cfg.form} 新建记录：${listValues(values)}`, `Would create a record of ${cfg.form}: ${listValues(values)}`));
        break;
      }
      case 'update_records': {
        const values: Record<string, unknown> = {};
        for (const [k, expr] of Object.entries((cfg.values ?? {}) as Record<string, unknown>)) values[k] = evaluate(expr, ruleData());
        const which = cfg.id !== undefined
          ? msg(`记录 ${short(evaluate(cfg.id, ruleData()))}`, `record ${short(evaluate(cfg.id, ruleData()))}`)
          : msg('符合筛选条件的记录', 'the records matching the filter');
        leave(msg(`会更新表单 ${cfg.form} 的${which['zh-CN']}：${listValues(values)}`, `Would update ${which.en} of ${cfg.form}: ${listValues(values)}`));
        break;
      }
      case 'find_records':
        context[String(cfg.as)] = { count: 0, ids: [], titles: [] };
        leave(msg(`会在表单 ${cfg.form} 中查找记录，结果存入 $workflow.${cfg.as}（试运行中为空）`, `Would look up records of ${cfg.form} into $workflow.${cfg.as} (empty in the dry run)`));
        break;
      case 'assign_owner':
        leave(cfg.strategy === 'clear'
          ? msg('会清除记录负责人', "Would clear the record's owner")
          : msg(`会在角色 ${cfg.role ?? '—'} 中分配负责人（${cfg.strategy ?? 'round_robin'}）`, `Would assign an owner among role ${cfg.role ?? '—'} (${cfg.strategy ?? 'round_robin'})`));
        break;
      case 'notify': {
        const title = renderText(cfg.title as LocalizedText | undefined, { record: data, workflow: { key: def.key, label: labelText(def.label) }, context });
        const who = assigneeText(cfg.to);
        leave(msg(`会通知 ${who['zh-CN']}${cfg.email ? '（含邮件）' : ''}：${title}`, `Would notify ${who.en}${cfg.email ? ' (and e-mail)' : ''}: ${title}`));
        break;
      }
      case 'cc': {
        const who = assigneeText(cfg.to);
        leave(msg(`会抄送给 ${who['zh-CN']}`, `Would send a copy to ${who.en}`));
        break;
      }
      case 'wait': {
        let what: Msg;
        if (cfg.condition !== undefined) {
          const holds = truthy(evaluate(cfg.condition, ruleData()));
          what = holds ? msg('等待条件现在已成立', 'the condition to wait for holds already') : msg('会等到条件成立', 'would wait until the condition holds');
        } else if (cfg.until) {
          what = msg(`会等到字段 ${cfg.until} 的日期（${short(data[cfg.until] ?? null)}）`, `would wait until the date in ${cfg.until} (${short(data[cfg.until] ?? null)})`);
        } else {
          const d = Number(cfg.days ?? 0), h = Number(cfg.hours ?? 0), m = Number(cfg.minutes ?? 0);
          what = msg(`会等待 ${d} 天 ${h} 小时 ${m} 分钟`, `would wait ${d} d ${h} h ${m} min`);
        }
        leave(msg(`${what['zh-CN']}；试运行直接通过`, `${what.en}; the dry run passes through`));
        break;
      }
      case 'webhook': {
        let url = String(cfg.url ?? '');
        try {
          url = safeUrl(url);
        } catch {
          /* shown as written */
        }
        leave(msg(`会调用 ${cfg.method ?? 'POST'} ${url}`, `Would call ${cfg.method ?? 'POST'} ${url}`));
        break;
      }
      default: {
        // A plug-in type: its first declared branch, or its only way out.
        let branches: string[] = [];
        try {
          branches = opts.registry?.node(node.type)?.branches(node) ?? [];
        } catch {
          branches = [];
        }
        const name = opts.registry?.node(node.type)?.label;
        const what = name ? msg(`会执行“${name['zh-CN']}”`, `Would run "${name.en}"`) : msg(`会执行节点类型 ${node.type}`, `Would run node type ${node.type}`);
        leave(what, branches[0]);
      }
    }
  }
  if (outcome === null) outcome = 'stuck';
  return { triggered, trigger, path, outcome, changes };
}

function renderText(text: LocalizedText | undefined, data: Record<string, unknown>): string {
  if (text === undefined) return '';
  try {
    return renderLocalized(text, data, ' / ');
  } catch {
    return typeof text === 'string' ? text : text['zh-CN'] ?? text.en ?? '';
  }
}
