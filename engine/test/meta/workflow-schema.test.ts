// Imported before metaschema.ts on purpose: the two modules import each other, and this file
// loads them in the other order than metaschema.test.ts does.
import {
  createWorkflowTypeRegistry, defaultWorkflowRegistry, validateWorkflowDef, workflowDefSchema,
  type MutableWorkflowTypeRegistry, type WorkflowNodeTypeInfo,
} from '../../src/meta/workflow-schema.js';
import { describe, expect, it } from 'vitest';
import { validateDocument } from '../../src/meta/index.js';
import { AppError, msg, type Msg } from '../../src/errors.js';
import type { EdgeDef, NodeDef, WorkflowDef } from '../../src/workflow/types.js';

type Errors = Record<string, Msg[]>;

// ---------------------------------------------------------------------------------------------
// Fake node and trigger types (the real plug-ins live on the server)
// ---------------------------------------------------------------------------------------------

const approval: WorkflowNodeTypeInfo = {
  type: 'approval',
  label: msg('审批', 'Approval'),
  group: 'human',
  configSchema: {
    type: 'object',
    required: ['approver'],
    additionalProperties: false,
    properties: { approver: { type: 'string', minLength: 1 }, dueDays: { type: 'integer', minimum: 0 } },
  },
  branches: () => ['approved', 'rejected'],
  waits: true,
};

const condition: WorkflowNodeTypeInfo = {
  type: 'condition',
  label: msg('条件', 'Condition'),
  group: 'flow',
  configSchema: {
    type: 'object',
    required: ['branches'],
    additionalProperties: false,
    properties: {
      branches: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['key', 'when'],
          additionalProperties: false,
          properties: { key: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' }, when: {} },
        },
      },
    },
  },
  branches: (node) => [...(node.config!.branches as Array<{ key: string }>).map((b) => b.key), 'else'],
  validate(node) {
    const out: Record<string, Msg[]> = {};
    const seen = new Set<string>();
    (node.config!.branches as Array<{ key: string }>).forEach((b, i) => {
      if (seen.has(b.key)) out[`/config/branches/${i}/key`] = [msg(`分支键 '${b.key}' 重复`, `duplicate branch key '${b.key}'`)];
      seen.add(b.key);
    });
    return out;
  },
};

const noSettings = { type: 'object', additionalProperties: false, properties: {} };

const parallel: WorkflowNodeTypeInfo = {
  type: 'parallel', label: msg('并行', 'Parallel'), group: 'flow', configSchema: noSettings,
  branches: () => [], outputs: 'many',
};
const join: WorkflowNodeTypeInfo = {
  type: 'join', label: msg('汇合', 'Join'), group: 'flow', configSchema: noSettings,
  branches: () => [], inputs: 'many', outputs: 'one',
};
const setFields: WorkflowNodeTypeInfo = {
  type: 'set_fields',
  label: msg('设置字段', 'Set fields'),
  group: 'data',
  configSchema: { type: 'object', required: ['values'], additionalProperties: false, properties: { values: { type: 'object' } } },
  branches: () => [],
};
/** A node that takes one incoming edge only. */
const single: WorkflowNodeTypeInfo = {
  type: 'single', label: msg('单入', 'Single'), group: 'flow', configSchema: noSettings,
  branches: () => [], inputs: 'one',
};

function testRegistry(): MutableWorkflowTypeRegistry {
  const r = createWorkflowTypeRegistry();
  for (const info of [approval, condition, parallel, join, setFields, single]) r.registerNode(info);
  r.registerTrigger({
    type: 'record_created',
    needsForm: true,
    configSchema: { type: 'object', additionalProperties: false, properties: { fields: { type: 'array', items: { type: 'string' } } } },
  });
  r.registerTrigger({ type: 'manual', configSchema: { type: 'object', additionalProperties: false } });
  return r;
}
const registry = testRegistry();

// ---------------------------------------------------------------------------------------------
// A sound approval graph
// ---------------------------------------------------------------------------------------------

const n = (id: string, type: string, config?: Record<string, unknown>): NodeDef => ({
  id, type, ...(config ? { config } : {}), position: { x: 0, y: 0 },
});
const e = (id: string, source: string, target: string, branch?: string): EdgeDef => ({
  id, source, target, ...(branch ? { branch } : {}),
});

/**
 * start → check (condition: big | else)
 *   big → manager (approval) ─approved→ director (approval) ─approved→ split (parallel) → mark_a, mark_b → join → done
 *                            ─rejected→ revise → manager (a loop through an approval: allowed)
 *                                                  director ─rejected→ refused (end, rejected)
 *   else → done (end, completed)
 */
function approvalFlow(): WorkflowDef {
  return {
    key: 'discount_approval',
    label: { 'zh-CN': '折扣审批', en: 'Discount approval' },
    module: 'sales',
    description: 'Large discounts need a manager and a director.',
    enabled: true,
    trigger: {
      type: 'record_created',
      form: 'service_order',
      config: { fields: ['discount'] },
      condition: { '>': [{ var: 'discount' }, 0] },
    },
    nodes: [
      n('start', 'start'), // 0
      n('check', 'condition', { branches: [{ key: 'big', when: { '>': [{ var: 'discount' }, 10000] } }] }), // 1
      n('manager', 'approval', { approver: 'manager', dueDays: 2 }), // 2
      n('director', 'approval', { approver: 'director' }), // 3
      n('revise', 'set_fields', { values: { status: 'draft' } }), // 4
      n('split', 'parallel'), // 5
      n('mark_a', 'set_fields', { values: { a: true } }), // 6
      n('mark_b', 'set_fields', { values: { b: true } }), // 7
      n('join', 'join'), // 8
      n('done', 'end', { outcome: 'completed' }), // 9
      n('refused', 'end', { outcome: 'rejected' }), // 10
    ],
    edges: [
      e('e1', 'start', 'check'), // 0
      e('e2', 'check', 'manager', 'big'), // 1
      e('e3', 'check', 'done', 'else'), // 2
      e('e4', 'manager', 'director', 'approved'), // 3
      e('e5', 'manager', 'revise', 'rejected'), // 4
      e('e6', 'revise', 'manager'), // 5
      e('e7', 'director', 'split', 'approved'), // 6
      e('e8', 'director', 'refused', 'rejected'), // 7
      e('e9', 'split', 'mark_a'), // 8
      e('e10', 'split', 'mark_b'), // 9
      e('e11', 'mark_a', 'join'), // 10
      e('e12', 'mark_b', 'join'), // 11
      e('e13', 'join', 'done'), // 12
    ],
    settings: { lockRecord: true, skipBulk: false },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- variants break the types on purpose
function variant(edit: (wf: any) => void): WorkflowDef {
  const wf = structuredClone(approvalFlow());
  edit(wf);
  return wf;
}
const node = (wf: WorkflowDef, id: string) => wf.nodes.find((x) => x.id === id)!;
const edge = (wf: WorkflowDef, id: string) => wf.edges.find((x) => x.id === id)!;
const dropEdge = (wf: WorkflowDef, id: string) => wf.edges.splice(wf.edges.findIndex((x) => x.id === id), 1);
const dropNode = (wf: WorkflowDef, id: string) => wf.nodes.splice(wf.nodes.findIndex((x) => x.id === id), 1);

/** The `fields` of the validation error `fn` throws; every message in both languages. */
function errorsOf(fn: () => unknown): Errors {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('validation');
    const fields = (err as AppError).fields!;
    for (const list of Object.values(fields)) {
      for (const m of list) {
        expect(m['zh-CN']).toBeTruthy();
        expect(m.en).toBeTruthy();
      }
    }
    return fields;
  }
  throw new Error('expected a validation error');
}
const errs = (doc: unknown, reg = registry) => errorsOf(() => validateWorkflowDef(doc, reg));

/** An error at `path` whose English text contains `en` and whose Chinese text contains `zh`. */
function expectError(errors: Errors, path: string, en: string, zh: string) {
  expect(Object.keys(errors), JSON.stringify(errors)).toContain(path);
  const list = errors[path]!;
  expect(list.some((m) => m.en.includes(en)), JSON.stringify(list)).toBe(true);
  expect(list.some((m) => m['zh-CN'].includes(zh)), JSON.stringify(list)).toBe(true);
}

// ---------------------------------------------------------------------------------------------

describe('validateWorkflowDef: sound workflows', () => {
  it('accepts the approval graph (a loop through an approval is allowed)', () => {
    const wf = approvalFlow();
    expect(validateWorkflowDef(wf, registry)).toBe(wf);
  });

  it("a condition's 'else' may stay without an edge", () => {
    expect(() => validateWorkflowDef(variant((wf) => dropEdge(wf, 'e3')), registry)).not.toThrow();
  });

  it('accepts a minimal graph: start → end, without configs or positions', () => {
    const wf = {
      key: 'w', label: 'W', trigger: { type: 'manual' },
      nodes: [{ id: 's', type: 'start' }, { id: 'x', type: 'end' }],
      edges: [{ id: 'a', source: 's', target: 'x' }],
    };
    expect(validateWorkflowDef(wf, registry)).toBe(wf);
  });

  it('exposes its metaschema', () => {
    expect(workflowDefSchema().$id).toBe('https://formwork.dev/schemas/workflow.json');
    expect(workflowDefSchema()).toBe(workflowDefSchema());
  });
});

describe('validateWorkflowDef: the graph, by JSON path, naming the node', () => {
  it('no start', () => {
    const errors = errs(variant((wf) => (dropNode(wf, 'start'), dropEdge(wf, 'e1'))));
    expectError(errors, '/nodes', 'needs a start node', '开始节点');
    expect(Object.keys(errors)).toEqual(['/nodes']); // reachability is not checked without a start
  });

  it('two starts', () => {
    const errors = errs(variant((wf) => {
      wf.nodes.push(n('start_2', 'start'));
      wf.edges.push(e('e14', 'start_2', 'check'));
    }));
    expectError(errors, '/nodes/11', 'node start_2: a workflow has exactly one start node (start is one already)', '节点 start_2：流程只能有一个开始节点');
    expect(Object.keys(errors)).toEqual(['/nodes/11']);
  });

  it('an edge into the start', () => {
    const errors = errs(variant((wf) => (edge(wf, 'e6').target = 'start')));
    expectError(errors, '/edges/5/target', 'edge e6: node start takes no incoming edge', '连线 e6：节点 start 不能有入边');
    expect(Object.keys(errors)).toEqual(['/edges/5/target']);
  });

  it('an unreachable node', () => {
    const errors = errs(variant((wf) => {
      wf.nodes.push(n('orphan', 'set_fields', { values: {} }));
      wf.edges.push(e('e14', 'orphan', 'done'));
    }));
    expectError(errors, '/nodes/11', 'node orphan: cannot be reached from the start', '节点 orphan：从开始节点无法到达');
    expect(Object.keys(errors)).toEqual(['/nodes/11']);
  });

  it('dangling edges', () => {
    const errors = errs(variant((wf) => {
      wf.edges.push(e('e14', 'mark_a', 'ghost'));
      wf.edges.push(e('e15', 'nowhere', 'done'));
    }));
    expectError(errors, '/edges/13/target', "edge e14: target node 'ghost' does not exist", "连线 e14：终点节点 'ghost' 不存在");
    expectError(errors, '/edges/14/source', "edge e15: source node 'nowhere' does not exist", "连线 e15：起点节点 'nowhere' 不存在");
    expect(Object.keys(errors).sort()).toEqual(['/edges/13/target', '/edges/14/source']);
  });

  it('nodes with no way to an end', () => {
    // check ─hold_case→ hold (approval) ─approved→ hold2 → hold; hold ─rejected→ hold: waits forever, never ends
    const errors = errs(variant((wf) => {
      (node(wf, 'check').config!.branches as unknown[]).push({ key: 'hold_case', when: false });
      wf.nodes.push(n('hold', 'approval', { approver: 'x' }), n('hold2', 'set_fields', { values: {} }));
      wf.edges.push(e('e14', 'check', 'hold', 'hold_case'), e('e15', 'hold', 'hold2', 'approved'), e('e16', 'hold', 'hold', 'rejected'), e('e17', 'hold2', 'hold'));
    }));
    expectError(errors, '/nodes/11', 'node hold: no path from here reaches an end node', '节点 hold：从此节点出发无法到达任何结束节点');
    expectError(errors, '/nodes/12', 'node hold2: no path from here reaches an end node', '节点 hold2：');
    expect(Object.keys(errors).sort()).toEqual(['/nodes/11', '/nodes/12']);
  });

  it('a node without an outgoing edge, and the nodes that can then not end', () => {
    const errors = errs(variant((wf) => dropEdge(wf, 'e13')));
    expectError(errors, '/nodes/8', 'node join: has no outgoing edge', '节点 join：没有出边');
    for (const [i, id] of [[5, 'split'], [6, 'mark_a'], [7, 'mark_b']] as const) {
      expectError(errors, `/nodes/${i}`, `node ${id}: no path from here reaches an end node`, `节点 ${id}：`);
    }
    expect(Object.keys(errors).sort()).toEqual(['/nodes/5', '/nodes/6', '/nodes/7', '/nodes/8']);
  });

  it('no end node', () => {
    const errors = errs({
      key: 'w', label: 'W', trigger: { type: 'manual' },
      nodes: [{ id: 's', type: 'start' }, { id: 'a', type: 'approval', config: { approver: 'x' } }],
      edges: [{ id: '1', source: 's', target: 'a' }, { id: '2', source: 'a', target: 'a', branch: 'approved' }, { id: '3', source: 'a', target: 'a', branch: 'rejected' }],
    });
    expectError(errors, '/nodes', 'needs at least one end node', '结束节点');
    expect(Object.keys(errors)).toEqual(['/nodes']);
  });

  it('a branch the node does not declare', () => {
    const errors = errs(variant((wf) => (edge(wf, 'e8').branch = 'refused')));
    expectError(errors, '/edges/7/branch', "edge e8: node director has no branch 'refused' (its branches: approved, rejected)", "连线 e8：节点 director 没有分支 'refused'");
    expectError(errors, '/nodes/3', "node director: branch 'rejected' has no edge", "节点 director：分支 'rejected' 没有连线");
    // the edge is wrong, not its target: refused is not reported unreachable
    expect(Object.keys(errors).sort()).toEqual(['/edges/7/branch', '/nodes/3']);
  });

  it('two edges on the same branch', () => {
    const errors = errs(variant((wf) => wf.edges.push(e('e14', 'director', 'refused', 'approved'))));
    expectError(errors, '/edges/13/branch', "edge e14: branch 'approved' of node director already has an edge (e7)", "连线 e14：节点 director 的分支 'approved' 已有连线 e7");
    expect(Object.keys(errors)).toEqual(['/edges/13/branch']);
  });

  it('a declared branch without an edge', () => {
    const errors = errs(variant((wf) => (node(wf, 'check').config!.branches as unknown[]).push({ key: 'small', when: true })));
    expectError(errors, '/nodes/1', "node check: branch 'small' has no edge", "节点 check：分支 'small' 没有连线");
    expect(Object.keys(errors)).toEqual(['/nodes/1']);
  });

  it('an edge of a branching node must name a branch', () => {
    const errors = errs(variant((wf) => delete edge(wf, 'e4').branch));
    expectError(errors, '/edges/3/branch', 'edge e4: must name a branch of node manager: approved, rejected', '连线 e4：须指定节点 manager 的一个分支');
    expectError(errors, '/nodes/2', "node manager: branch 'approved' has no edge", '节点 manager：');
  });

  it('an edge of a node without branches may not name one', () => {
    const errors = errs(variant((wf) => (edge(wf, 'e9').branch = 'left')));
    expectError(errors, '/edges/8/branch', "edge e9: node split has no branches: leave 'branch' out", '连线 e9：节点 split 没有分支');
    expect(Object.keys(errors)).toEqual(['/edges/8/branch']);
  });

  it("outputs 'one': a second way out; outputs 'none': no way out at all", () => {
    const errors = errs(variant((wf) => wf.edges.push(e('e14', 'mark_a', 'done'), e('e15', 'done', 'check'))));
    expectError(errors, '/edges/13/source', 'edge e14: node mark_a takes only one outgoing edge (e11 is one already)', '连线 e14：节点 mark_a 只能有一条出边');
    expectError(errors, '/edges/14/source', 'edge e15: node done ends the flow: it has no outgoing edges', '连线 e15：节点 done 结束流程');
    expect(Object.keys(errors).sort()).toEqual(['/edges/13/source', '/edges/14/source']);
  });

  it("inputs 'one': a second way in", () => {
    const errors = errs(variant((wf) => {
      wf.nodes.push(n('gate', 'single'));
      edge(wf, 'e11').target = 'gate';
      edge(wf, 'e12').target = 'gate';
      wf.edges.push(e('e14', 'gate', 'join'));
    }));
    expectError(errors, '/edges/11/target', 'edge e12: node gate takes only one incoming edge (e11 is one already)', '连线 e12：节点 gate 只能有一条入边');
    expect(Object.keys(errors)).toEqual(['/edges/11/target']);
  });

  it('a repeated edge', () => {
    const errors = errs(variant((wf) => wf.edges.push(e('e14', 'split', 'mark_a'))));
    expectError(errors, '/edges/13', 'edge e14: repeats edge e9', '连线 e14：与连线 e9 重复');
    expect(Object.keys(errors)).toEqual(['/edges/13']);
  });

  it('duplicate node and edge ids', () => {
    const errors = errs(variant((wf) => {
      wf.nodes.push(n('done', 'end'));
      edge(wf, 'e12').id = 'e11';
    }));
    expectError(errors, '/nodes/11/id', 'node done: duplicate node id (also at /nodes/9)', '节点 done：节点 id 重复');
    expectError(errors, '/edges/11/id', 'edge e11: duplicate edge id (also at /edges/10)', '连线 e11：连线 id 重复');
    expect(Object.keys(errors).sort()).toEqual(['/edges/11/id', '/nodes/11/id']);
  });
});

describe('validateWorkflowDef: loops must wait', () => {
  it('a loop through a condition without a waiting node', () => {
    // mark_a → retry (condition) ─again→ mark_a; retry ─else→ join
    const errors = errs(variant((wf) => {
      wf.nodes.push(n('retry', 'condition', { branches: [{ key: 'again', when: true }] }));
      edge(wf, 'e11').target = 'retry';
      wf.edges.push(e('e14', 'retry', 'mark_a', 'again'), e('e15', 'retry', 'join', 'else'));
    }));
    expectError(errors, '/nodes/6', 'node mark_a: the loop mark_a → retry → mark_a has no waiting node', '节点 mark_a：循环 mark_a → retry → mark_a 中没有等待节点');
    expect(Object.keys(errors)).toEqual(['/nodes/6']);
  });

  it('an unconditional loop: a parallel split that forks into itself', () => {
    const errors = errs(variant((wf) => wf.edges.push(e('e14', 'split', 'split'))));
    expectError(errors, '/nodes/5', 'node split: the loop split → split has no waiting node', '节点 split：循环 split → split');
    expect(Object.keys(errors)).toEqual(['/nodes/5']);
  });

  it('a loop through an approval is allowed, and a waits() function is asked per node', () => {
    const reg = testRegistry();
    reg.registerNode({ ...approval, waits: (nd) => nd.config?.approver !== 'auto' });
    expect(() => validateWorkflowDef(approvalFlow(), reg)).not.toThrow();
    const errors = errs(variant((wf) => (node(wf, 'manager').config!.approver = 'auto')), reg);
    expectError(errors, '/nodes/2', 'node manager: the loop manager → revise → manager', '节点 manager：');
  });
});

describe('validateWorkflowDef: node and trigger types and their settings', () => {
  it('a bad config: errors by path inside /nodes/i/config', () => {
    const errors = errs(variant((wf) => (node(wf, 'manager').config = { approver: 5, dueDays: -1, extra: 1 })));
    expectError(errors, '/nodes/2/config/approver', 'node manager: must be a string', '节点 manager：应为文本');
    expectError(errors, '/nodes/2/config/dueDays', 'node manager: must be at least 0', '节点 manager：不能小于 0');
    expectError(errors, '/nodes/2/config/extra', "node manager: unknown property 'extra'", "节点 manager：不允许的属性 'extra'");
    // the node's branches are not judged while its settings are wrong
    expect(Object.keys(errors).every((p) => p.startsWith('/nodes/2/config/'))).toBe(true);
  });

  it('a missing config is validated as {}', () => {
    const errors = errs(variant((wf) => delete node(wf, 'manager').config));
    expectError(errors, '/nodes/2/config/approver', "node manager: 'approver' is required", '节点 manager：缺少必填属性');
  });

  it('an end outcome must be one of the outcomes', () => {
    const errors = errs(variant((wf) => (node(wf, 'done').config = { outcome: 'won' })));
    expectError(errors, '/nodes/9/config/outcome', 'node done: "won" is not one of: completed, rejected, cancelled', '节点 done：');
  });

  it("a condition whose settings are wrong: its edges' branches are not judged", () => {
    const errors = errs(variant((wf) => (node(wf, 'check').config = { branches: [] })));
    expectError(errors, '/nodes/1/config/branches', 'node check: must have at least 1 item', '节点 check：至少需要 1 项');
    expect(Object.keys(errors)).toEqual(['/nodes/1/config/branches']);
  });

  it("the node type's validate hook, by path relative to the node", () => {
    const errors = errs(variant((wf) => (node(wf, 'check').config!.branches as unknown[]).push({ key: 'big', when: true })));
    expectError(errors, '/nodes/1/config/branches/1/key', "node check: duplicate branch key 'big'", "节点 check：分支键 'big' 重复");
  });

  it('an unknown node type', () => {
    const errors = errs(variant((wf) => (node(wf, 'mark_a').type = 'teleport')));
    expectError(errors, '/nodes/6/type', "node mark_a: unknown node type 'teleport'", "节点 mark_a：未知的节点类型 'teleport'");
    expect(Object.keys(errors)).toEqual(['/nodes/6/type']);
  });

  it('a trigger that needs a form, an unknown trigger, bad trigger settings', () => {
    expectError(errs(variant((wf) => delete wf.trigger.form)), '/trigger/form', 'trigger: a record_created trigger needs a form', '触发器：record_created 触发器需要指定表单');
    expectError(errs(variant((wf) => (wf.trigger.type = 'telepathy'))), '/trigger/type', "trigger: unknown trigger type 'telepathy'", "触发器：未知的触发器类型 'telepathy'");
    expectError(errs(variant((wf) => (wf.trigger.config = { fields: [3] }))), '/trigger/config/fields/0', 'trigger: must be a string', '触发器：应为文本');
  });
});

describe('validateWorkflowDef: the metaschema and the structure', () => {
  it('unknown properties, shapes and limits, named by node and edge', () => {
    const errors = errs(variant((wf) => {
      wf.color = 'red';
      Object.assign(node(wf, 'manager'), { colour: 'red' });
      Object.assign(node(wf, 'director'), { position: { x: 1 } });
      edge(wf, 'e4').id = 'x'.repeat(65);
      edge(wf, 'e5').branch = 'b'.repeat(49);
      wf.settings.lockRecord = 'yes';
      wf.trigger.extra = 1;
    }));
    expectError(errors, '/color', "unknown property 'color'", '不允许的属性');
    expectError(errors, '/nodes/2/colour', "node manager: unknown property 'colour'", "节点 manager：不允许的属性 'colour'");
    expectError(errors, '/nodes/3/position/y', "node director: 'y' is required", '节点 director：缺少必填属性');
    expectError(errors, '/edges/3/id', 'edge #3: must be at most 64 characters', '连线 #3：不能超过 64 个字符');
    expectError(errors, '/edges/4/branch', 'edge e5: must be at most 48 characters', '连线 e5：');
    expectError(errors, '/settings/lockRecord', 'must be a boolean', '布尔值');
    expectError(errors, '/trigger/extra', "trigger: unknown property 'extra'", '触发器：');
  });

  it('required parts, keys and node count', () => {
    const errors = errs({ key: 'Bad', label: '', trigger: { type: 'manual' }, nodes: [] });
    expectError(errors, '/key', 'lowercase letter', '小写字母');
    expectError(errors, '/edges', "'edges' is required", '缺少必填属性');
    expectError(errors, '/nodes', 'a workflow needs at least one node', '流程至少需要一个节点');
    const many = errs(variant((wf) => {
      for (let i = 0; i < 500; i++) wf.nodes.push(n(`x${i}`, 'end'));
    }));
    expectError(many, '/nodes', 'at most 500 items', '不能超过 500 项');
  });

  it('json-logic and settings are bounded in depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { '!': [deep] }; // 40 levels: under the document's 64, over json-logic's 32
    const errors = errs(variant((wf) => (wf.trigger.condition = deep)));
    expectError(errors, '/trigger/condition', 'trigger: is nested too deeply (at most 32 levels)', '触发器：嵌套太深');
  });

  it('__proto__, constructor and prototype keys are refused', () => {
    const wf = JSON.parse(JSON.stringify(approvalFlow()).replace('"config":{"approver":"manager"', '"config":{"__proto__":{"x":1},"approver":"manager"'));
    const errors = errs(wf);
    expectError(errors, '/nodes/2/config/__proto__', "node manager: '__proto__' is not allowed as a property name", '节点 manager：不允许使用');
    const top = JSON.parse('{"key":"w","label":"W","trigger":{"type":"manual","config":{"constructor":{"prototype":1}}},"nodes":[],"edges":[]}');
    expectError(errs(top), '/trigger/config/constructor', "trigger: 'constructor' is not allowed as a property name", '触发器：不允许使用');
  });

  it('the error body in one language names the node', () => {
    try {
      validateWorkflowDef(variant((wf) => (edge(wf, 'e8').branch = 'refused')), registry);
    } catch (err) {
      const zh = (err as AppError).toBody('zh-CN').error.fields!;
      expect(zh['/edges/7/branch']![0]).toBe("连线 e8：节点 director 没有分支 'refused'（可用：approved, rejected）");
      const en = (err as AppError).toBody('en').error.fields!;
      expect(en['/nodes/3']).toContain("node director: branch 'rejected' has no edge");
      return;
    }
    throw new Error('expected a throw');
  });
});

describe('registries', () => {
  it('registerNode compiles the settings schema at once, and refuses a bad type name', () => {
    const r = createWorkflowTypeRegistry();
    expect(() => r.registerNode({ ...setFields, type: 'odd', configSchema: { type: 'nonsense' } })).toThrow(/node type odd: invalid configSchema/);
    expect(() => r.registerNode({ ...setFields, type: 'Bad Name' })).toThrow(/not a key/);
    expect(() => r.registerTrigger({ type: 'cron', configSchema: { type: 'object', properties: { at: { type: 7 } } } })).toThrow(/trigger type cron/);
    expect(r.node('odd')).toBeUndefined();
  });

  it('the last registration of a type wins; built-ins can be left out', () => {
    const r = createWorkflowTypeRegistry();
    expect(r.nodeTypes().map((x) => x.type)).toEqual(['start', 'end']);
    const start = { ...r.node('start')!, label: msg('起点', 'Begin') };
    r.registerNode(start);
    expect(r.node('start')).toBe(start);
    expect(r.nodeTypes()).toHaveLength(2);
    expect(createWorkflowTypeRegistry({ builtins: false }).nodeTypes()).toEqual([]);
  });

  it("validateDocument('workflows') uses the default registry", () => {
    const minimal = {
      key: 'w', label: 'W', trigger: { type: 'manual_test' },
      nodes: [{ id: 's', type: 'start' }, { id: 'x', type: 'end', config: { outcome: 'cancelled' } }],
      edges: [{ id: 'a', source: 's', target: 'x' }],
    };
    expectError(errorsOf(() => validateDocument('workflows', minimal)), '/trigger/type', "unknown trigger type 'manual_test'", '未知的触发器类型');
    defaultWorkflowRegistry.registerTrigger({ type: 'manual_test', configSchema: { type: 'object' } });
    expect(validateDocument('workflows', minimal)).toBe(minimal);
    expect(validateWorkflowDef(minimal)).toBe(minimal);
    const polluted = JSON.parse('{"key":"a","label":"A","trigger":{"type":"manual_test"},"nodes":[{"id":"s","type":"start","config":{"constructor":{"prototype":1}}}],"edges":[]}');
    expectError(errorsOf(() => validateDocument('workflows', polluted)), '/nodes/0/config/constructor', "node s: 'constructor' is not allowed", '节点 s：');
    expectError(errorsOf(() => validateDocument('workflows', { key: 'w', label: 'W' })), '/trigger', "'trigger' is required", '缺少');
  });
});
