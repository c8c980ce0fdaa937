/**
 * The WorkflowDef metaschema (ajv) and the checks of a workflow's graph that a schema cannot
 * express: node and trigger types known to a registry, each node's settings against its type's
 * JSON Schema, ids, dangling edges, one start, every node reachable and able to reach an end,
 * edges only by the branches a node declares, and no loop that could spin without waiting.
 * Every problem is reported by JSON Pointer ('/nodes/3', '/edges/5/branch', '/nodes/2/config/x')
 * with a bilingual message naming the node or edge ("节点 approve_1：…" / "node approve_1: …").
 *
 * Node and trigger types are plug-ins: `defaultWorkflowRegistry` holds the built-in `start` and
 * `end` and whatever the server registers at start-up; `validateDocument('workflows', doc)`
 * validates against it.
 *
 * Isomorphic: no Node or database imports.
 *
 * This module and metaschema.ts import each other (metaschema.ts dispatches to us, we build on
 * its blocks), so nothing here touches metaschema.ts at the top level: the schema and the ajv
 * instances are made on first use.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { msg, validationError, type Msg } from '../errors.js';
import type { JsonSchema } from './field-types.js';
import { KEY_RE } from './types.js';
import type { NodeTypeInfo } from '../workflow/node-type.js';
import type { NodeDef, WorkflowDef } from '../workflow/types.js';
import {
  JSON_LOGIC_MAX_DEPTH, KEY_SCHEMA, LABEL_SCHEMA, LOGIC_SCHEMA, TEXT_SCHEMA,
  addError, createMetaAjv, schemaErrors, structuralErrors, type FieldErrors,
} from './metaschema.js';

const addFormats: FormatsPlugin = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ??
  ajvFormats) as unknown as FormatsPlugin;

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Most nodes of one workflow. */
export const WORKFLOW_MAX_NODES = 500;
/** Most edges of one workflow. */
export const WORKFLOW_MAX_EDGES = 2000;
/** Most values in one node's or trigger's settings (`config`). */
export const WORKFLOW_CONFIG_MAX_NODES = 50_000;

// ---------------------------------------------------------------------------------------------
// Node and trigger types
// ---------------------------------------------------------------------------------------------

/**
 * What the validator reads of a node type: NodeTypeInfo (workflow/node-type.ts) plus optional
 * facts it does not (yet) carry.
 */
export interface WorkflowNodeTypeInfo extends NodeTypeInfo {
  /**
   * The node waits for a person or a timer (approval, wait) before it goes on. A loop in the
   * graph must pass through a waiting node, or one run would spin forever. Default false.
   */
  waits?: boolean | ((node: NodeDef) => boolean);
  /**
   * Branches (of `branches(node)`) that may stay without an edge. Every other declared branch
   * needs exactly one (many when `outputs` is 'many'). Default: `['else']`, a condition's
   * fallback, when declared.
   */
  optionalBranches?(node: NodeDef): string[];
  /**
   * Extra checks of the node's settings, called once its `config` passed `configSchema`. Keys are
   * JSON Pointers relative to the node ('/config/branches/1/key'; '' for the node itself).
   * The validator passes the whole workflow as the second argument.
   */
  validate?(node: NodeDef, workflow?: WorkflowDef): Record<string, Msg[]>;
}

/** The isomorphic part of a trigger plug-in. */
export interface TriggerTypeInfo {
  type: string;
  label?: Msg;
  /** The JSON Schema of `trigger.config` (the designer renders it as the trigger's settings). */
  configSchema: JsonSchema;
  /** The trigger is about a form's records: `trigger.form` is required. */
  needsForm?: boolean;
}

/** The node and trigger types a workflow is validated against. */
export interface WorkflowTypeRegistry {
  node(type: string): NodeTypeInfo | undefined;
  trigger(type: string): TriggerTypeInfo | undefined;
}

/** A registry plug-ins register themselves in (last registration of a type wins). */
export interface MutableWorkflowTypeRegistry extends WorkflowTypeRegistry {
  node(type: string): WorkflowNodeTypeInfo | undefined;
  /** Register (or replace) a node type; its configSchema is compiled now, so a bad one fails at start-up. */
  registerNode(info: WorkflowNodeTypeInfo): void;
  /** Register (or replace) a trigger type; its configSchema is compiled now. */
  registerTrigger(info: TriggerTypeInfo): void;
  /** Every node type, in registration order (the designer's palette). */
  nodeTypes(): WorkflowNodeTypeInfo[];
  triggerTypes(): TriggerTypeInfo[];
}

/** The type of the one entry node of every workflow. */
export const START_NODE = 'start';
/** The type of the nodes that end an instance. */
export const END_NODE = 'end';
/** What an end node ends the instance as (`config.outcome`, default 'completed'). */
export const END_OUTCOMES = ['completed', 'rejected', 'cancelled'] as const;

/** The built-in entry: no settings, no incoming edge, one way out. */
export const START_NODE_INFO: WorkflowNodeTypeInfo = {
  type: START_NODE,
  label: msg('开始', 'Start'),
  group: 'flow',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  branches: () => [],
  inputs: 'none',
  outputs: 'one',
};

/** The built-in end: ends the instance as `config.outcome`. */
export const END_NODE_INFO: WorkflowNodeTypeInfo = {
  type: END_NODE,
  label: msg('结束', 'End'),
  group: 'flow',
  configSchema: {
    type: 'object',
    properties: {
      outcome: { enum: [...END_OUTCOMES], default: 'completed' },
    },
    additionalProperties: false,
  },
  branches: () => [],
  inputs: 'many',
  outputs: 'none',
};

/** A registry holding `start` and `end` (unless `builtins: false`). */
export function createWorkflowTypeRegistry(opts: { builtins?: boolean } = {}): MutableWorkflowTypeRegistry {
  const nodes = new Map<string, WorkflowNodeTypeInfo>();
  const triggers = new Map<string, TriggerTypeInfo>();
  // Built-ins go in without compiling: this may run while metaschema.ts is still loading.
  if (opts.builtins !== false) for (const info of [START_NODE_INFO, END_NODE_INFO]) nodes.set(info.type, info);

  const checkType = (what: string, type: unknown) => {
    if (typeof type !== 'string' || !KEY_RE.test(type)) throw new Error(`${what} type ${JSON.stringify(type)} is not a key`);
  };
  const compile = (what: string, schema: JsonSchema) => {
    try {
      configValidator(schema);
    } catch (e) {
      throw new Error(`${what}: invalid configSchema: ${(e as Error).message}`);
    }
  };
  return {
    node: (type) => nodes.get(type),
    trigger: (type) => triggers.get(type),
    registerNode(info) {
      checkType('node', info.type);
      compile(`node type ${info.type}`, info.configSchema);
      nodes.set(info.type, info);
    },
    registerTrigger(info) {
      checkType('trigger', info.type);
      compile(`trigger type ${info.type}`, info.configSchema);
      triggers.set(info.type, info);
    },
    nodeTypes: () => [...nodes.values()],
    triggerTypes: () => [...triggers.values()],
  };
}

/**
 * The registry `validateDocument('workflows', …)` uses. The engine's node and trigger plug-ins
 * register themselves here at start-up; until then it knows `start` and `end` only (and no
 * trigger type, so every workflow is refused until triggers are registered).
 */
export const defaultWorkflowRegistry: MutableWorkflowTypeRegistry = createWorkflowTypeRegistry();

// ---------------------------------------------------------------------------------------------
// The metaschema (built and compiled on first use)
// ---------------------------------------------------------------------------------------------

type Schema = Record<string, unknown>;

function buildWorkflowDefSchema(): Schema {
  const BOOL: Schema = { type: 'boolean' };
  const NUM: Schema = { type: 'number' };
  const CONFIG: Schema = { type: 'object', jsonLimits: { depth: JSON_LOGIC_MAX_DEPTH, nodes: WORKFLOW_CONFIG_MAX_NODES } };
  const NODE: Schema = {
    type: 'object',
    required: ['id', 'type'],
    additionalProperties: false,
    properties: {
      id: KEY_SCHEMA,
      type: KEY_SCHEMA,
      label: LABEL_SCHEMA,
      position: { type: 'object', required: ['x', 'y'], additionalProperties: false, properties: { x: NUM, y: NUM } },
      config: CONFIG,
    },
  };
  const EDGE: Schema = {
    type: 'object',
    required: ['id', 'source', 'target'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 64 },
      source: KEY_SCHEMA,
      target: KEY_SCHEMA,
      branch: { type: 'string', minLength: 1, maxLength: 48 },
      label: LABEL_SCHEMA,
    },
  };
  return {
    $id: 'https://formwork.dev/schemas/workflow.json',
    type: 'object',
    required: ['key', 'label', 'trigger', 'nodes', 'edges'],
    additionalProperties: false,
    properties: {
      key: KEY_SCHEMA,
      label: LABEL_SCHEMA,
      module: { type: 'string', minLength: 1, maxLength: 64 },
      description: TEXT_SCHEMA,
      enabled: BOOL,
      trigger: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: { type: KEY_SCHEMA, form: KEY_SCHEMA, config: CONFIG, condition: LOGIC_SCHEMA },
      },
      nodes: {
        type: 'array',
        minItems: 1,
        maxItems: WORKFLOW_MAX_NODES,
        items: NODE,
        'x-messages': { minItems: msg('流程至少需要一个节点', 'a workflow needs at least one node') },
      },
      edges: { type: 'array', maxItems: WORKFLOW_MAX_EDGES, items: EDGE },
      settings: { type: 'object', additionalProperties: false, properties: { lockRecord: BOOL, skipBulk: BOOL } },
    },
  };
}

let compiledDef: { schema: Schema; validate: ValidateFunction } | undefined;
function workflowDefValidator(): { schema: Schema; validate: ValidateFunction } {
  if (!compiledDef) {
    const schema = buildWorkflowDefSchema();
    compiledDef = { schema, validate: createMetaAjv().compile(schema) };
  }
  return compiledDef;
}

/** The metaschema of a WorkflowDef (draft-07), e.g. for OpenAPI. */
export function workflowDefSchema(): Schema {
  return workflowDefValidator().schema;
}

/**
 * Node and trigger settings schemas come from plug-ins: one ajv for all of them, with formats,
 * our keywords (so a plug-in may give bilingual `x-messages`), and no registry of `$id`s (two
 * plug-ins may reuse one). Each schema is compiled once.
 */
let configAjv: Ajv | undefined;
const configValidators = new WeakMap<object, ValidateFunction>();
function configValidator(schema: JsonSchema): ValidateFunction {
  let validate = configValidators.get(schema);
  if (!validate) {
    if (!configAjv) {
      configAjv = createMetaAjv({ addUsedSchema: false });
      addFormats(configAjv);
    }
    validate = configAjv.compile(schema);
    configValidators.set(schema, validate);
  }
  return validate;
}

// ---------------------------------------------------------------------------------------------
// Messages name the node, edge or trigger
// ---------------------------------------------------------------------------------------------

const NODE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const EDGE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Prefix each message under '/nodes/i', '/edges/j' or '/trigger' with who it is about. */
function named(errors: FieldErrors, doc: unknown): FieldErrors {
  const out: FieldErrors = {};
  const d = (doc ?? {}) as { nodes?: unknown; edges?: unknown };
  const itemId = (list: unknown, i: number, re: RegExp): string => {
    const item = Array.isArray(list) ? list[i] : undefined;
    const id = item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
    return typeof id === 'string' && re.test(id) ? id : `#${i}`;
  };
  for (const [path, list] of Object.entries(errors)) {
    let who: Msg | null = null;
    const m = /^\/(nodes|edges)\/(\d+)(?:\/|$)/.exec(path);
    if (m?.[1] === 'nodes') {
      const id = itemId(d.nodes, Number(m[2]), NODE_NAME);
      who = msg(`节点 ${id}`, `node ${id}`);
    } else if (m?.[1] === 'edges') {
      const id = itemId(d.edges, Number(m[2]), EDGE_NAME);
      who = msg(`连线 ${id}`, `edge ${id}`);
    } else if (/^\/trigger(?:\/|$)/.test(path)) {
      who = msg('触发器', 'trigger');
    }
    for (const x of list) addError(out, path, who ? msg(`${who['zh-CN']}：${x['zh-CN']}`, `${who.en}: ${x.en}`) : x);
  }
  return out;
}

/** Add `errors` (by JSON Pointer into `value`) under `base`. */
function addUnder(out: FieldErrors, base: string, errors: FieldErrors): void {
  for (const [path, list] of Object.entries(errors)) for (const m of list) addError(out, base + path, m);
}

const listOf = (names: string[]) => (names.length ? names.join(', ') : '—');

// ---------------------------------------------------------------------------------------------
// The graph checks (after the metaschema passed)
// ---------------------------------------------------------------------------------------------

type Arity = 'none' | 'one' | 'many';

interface NodeFacts {
  node: NodeDef;
  /** A node of a registered type (unknown ones are taken as they come: no checks, no noise). */
  known: boolean;
  /** Declared branches; null when they cannot be known (unknown type, settings invalid). */
  branches: string[] | null;
  optional: Set<string>;
  inputs: Arity;
  outputs: Arity;
  waits: boolean;
  terminal: boolean;
}

function semanticErrors(wf: WorkflowDef, registry: WorkflowTypeRegistry): FieldErrors {
  const out: FieldErrors = {};
  const add = (path: string, zh: string, en: string) => addError(out, path, msg(zh, en));

  // --- trigger ---
  const trigger = registry.trigger(wf.trigger.type);
  if (!trigger) {
    add('/trigger/type', `未知的触发器类型 '${wf.trigger.type}'`, `unknown trigger type '${wf.trigger.type}'`);
  } else {
    const config = wf.trigger.config ?? {};
    const validate = configValidator(trigger.configSchema);
    if (!validate(config)) addUnder(out, '/trigger/config', schemaErrors(validate.errors, config));
    if (trigger.needsForm && wf.trigger.form === undefined) {
      add('/trigger/form', `${trigger.type} 触发器需要指定表单（form）`, `a ${trigger.type} trigger needs a form`);
    }
  }

  // --- nodes: ids, types, settings ---
  const indexOf = new Map<string, number>();
  const facts = wf.nodes.map((node, i): NodeFacts => {
    const first = indexOf.get(node.id);
    if (first !== undefined) add(`/nodes/${i}/id`, `节点 id 重复（与 /nodes/${first} 相同）`, `duplicate node id (also at /nodes/${first})`);
    else indexOf.set(node.id, i);

    const info = registry.node(node.type) as WorkflowNodeTypeInfo | undefined;
    if (!info) {
      add(`/nodes/${i}/type`, `未知的节点类型 '${node.type}'`, `unknown node type '${node.type}'`);
      const isStart = node.type === START_NODE;
      return { node, known: false, branches: null, optional: new Set(), inputs: isStart ? 'none' : 'many', outputs: 'many', waits: true, terminal: false };
    }
    const config = node.config ?? {};
    const validate = configValidator(info.configSchema);
    let settingsOk = true;
    if (!validate(config)) {
      settingsOk = false;
      addUnder(out, `/nodes/${i}/config`, schemaErrors(validate.errors, config));
    } else if (info.validate) {
      for (const [rel, list] of Object.entries(info.validate(node, wf))) {
        const path = `/nodes/${i}` + (rel === '' || rel.startsWith('/') ? rel : `/${rel}`);
        for (const m of list) addError(out, path, m);
      }
    }
    const branches = settingsOk ? [...new Set(info.branches(node))] : null;
    const optional = new Set(settingsOk ? (info.optionalBranches ? info.optionalBranches(node) : ['else']) : []);
    const waits = typeof info.waits === 'function' ? (settingsOk ? info.waits(node) : true) : info.waits === true;
    const outputs = info.outputs ?? 'one';
    return {
      node, known: true, branches, optional,
      inputs: node.type === START_NODE ? 'none' : info.inputs ?? 'many',
      outputs, waits, terminal: outputs === 'none',
    };
  });
  /** The node of an id (its first occurrence: later duplicates are not part of the graph). */
  const member = (i: number) => indexOf.get(wf.nodes[i]!.id) === i;
  const idOf = (i: number) => wf.nodes[i]!.id;

  // --- edges: ids, ends ---
  const edgeAt = new Map<string, number>();
  const succ: number[][] = wf.nodes.map(() => []);
  const pred: number[][] = wf.nodes.map(() => []);
  const outEdges: number[][] = wf.nodes.map(() => []);
  const inEdges: number[][] = wf.nodes.map(() => []);
  const sameEdge = new Map<string, number>();
  wf.edges.forEach((e, j) => {
    const first = edgeAt.get(e.id);
    if (first !== undefined) add(`/edges/${j}/id`, `连线 id 重复（与 /edges/${first} 相同）`, `duplicate edge id (also at /edges/${first})`);
    else edgeAt.set(e.id, j);
    const s = indexOf.get(e.source);
    const t = indexOf.get(e.target);
    if (s === undefined) add(`/edges/${j}/source`, `起点节点 '${e.source}' 不存在`, `source node '${e.source}' does not exist`);
    if (t === undefined) add(`/edges/${j}/target`, `终点节点 '${e.target}' 不存在`, `target node '${e.target}' does not exist`);
    if (s === undefined || t === undefined) return;
    const triple = JSON.stringify([e.source, e.branch ?? null, e.target]);
    const same = sameEdge.get(triple);
    if (same !== undefined) {
      add(`/edges/${j}`, `与连线 ${wf.edges[same]!.id} 重复（起点、分支和终点都相同）`, `repeats edge ${wf.edges[same]!.id} (same source, branch and target)`);
      return;
    }
    sameEdge.set(triple, j);
    outEdges[s]!.push(j);
    inEdges[t]!.push(j);
    // An edge out of an end never runs: reported below, and left out of the paths.
    if (facts[s]!.terminal) return;
    succ[s]!.push(t);
    pred[t]!.push(s);
  });

  // --- ways in and out of each node ---
  const stuck = new Set<number>(); // reported: no way out
  facts.forEach((f, i) => {
    if (!member(i)) return;
    const id = idOf(i);
    const ins = inEdges[i]!;
    if (f.inputs === 'none') {
      for (const j of ins) add(`/edges/${j}/target`, `节点 ${id} 不能有入边`, `node ${id} takes no incoming edge`);
    } else if (f.inputs === 'one') {
      for (const j of ins.slice(1)) {
        add(`/edges/${j}/target`, `节点 ${id} 只能有一条入边（已有 ${wf.edges[ins[0]!]!.id}）`, `node ${id} takes only one incoming edge (${wf.edges[ins[0]!]!.id} is one already)`);
      }
    }

    if (!f.known) return;
    const outs = outEdges[i]!;
    if (f.outputs === 'none') {
      for (const j of outs) add(`/edges/${j}/source`, `节点 ${id} 结束流程，不能有出边`, `node ${id} ends the flow: it has no outgoing edges`);
      return;
    }
    if (outs.length === 0) {
      const which = f.branches?.length ? msg(`（分支：${listOf(f.branches)}）`, ` (branches: ${listOf(f.branches)})`) : msg('', '');
      add(`/nodes/${i}`, `没有出边，流程会停在这里${which['zh-CN']}`, `has no outgoing edge: the flow would stop here${which.en}`);
      stuck.add(i);
      return;
    }
    if (f.branches === null) return;
    const declared = f.branches;
    const byWay = new Map<string, number[]>(); // branch ('' = the unbranched way) → edges
    for (const j of outs) {
      const b = wf.edges[j]!.branch;
      if (declared.length) {
        if (b === undefined) {
          add(`/edges/${j}/branch`, `须指定节点 ${id} 的一个分支：${listOf(declared)}`, `must name a branch of node ${id}: ${listOf(declared)}`);
          continue;
        }
        if (!declared.includes(b)) {
          add(`/edges/${j}/branch`, `节点 ${id} 没有分支 '${b}'（可用：${listOf(declared)}）`, `node ${id} has no branch '${b}' (its branches: ${listOf(declared)})`);
          continue;
        }
      } else if (b !== undefined) {
        add(`/edges/${j}/branch`, `节点 ${id} 没有分支，请去掉 branch`, `node ${id} has no branches: leave 'branch' out`);
        continue;
      }
      const key = b ?? '';
      if (!byWay.has(key)) byWay.set(key, []);
      byWay.get(key)!.push(j);
    }
    if (f.outputs === 'one') {
      for (const [b, edges] of byWay) {
        const first = wf.edges[edges[0]!]!.id;
        for (const j of edges.slice(1)) {
          if (b) add(`/edges/${j}/branch`, `节点 ${id} 的分支 '${b}' 已有连线 ${first}`, `branch '${b}' of node ${id} already has an edge (${first})`);
          else add(`/edges/${j}/source`, `节点 ${id} 只能有一条出边（已有 ${first}）`, `node ${id} takes only one outgoing edge (${first} is one already)`);
        }
      }
    }
    for (const b of declared) {
      if (!byWay.has(b) && !f.optional.has(b)) add(`/nodes/${i}`, `分支 '${b}' 没有连线`, `branch '${b}' has no edge`);
    }
  });

  // --- one start, some end ---
  const members = wf.nodes.map((_, i) => i).filter(member);
  const starts = members.filter((i) => wf.nodes[i]!.type === START_NODE);
  if (starts.length === 0) add('/nodes', `流程需要一个开始节点（类型 '${START_NODE}'）`, `a workflow needs a start node (type '${START_NODE}')`);
  for (const i of starts.slice(1)) {
    add(`/nodes/${i}`, `流程只能有一个开始节点（已有 ${idOf(starts[0]!)}）`, `a workflow has exactly one start node (${idOf(starts[0]!)} is one already)`);
  }
  const ends = members.filter((i) => facts[i]!.terminal);
  if (ends.length === 0) add('/nodes', `流程需要至少一个结束节点（类型 '${END_NODE}'）`, `a workflow needs at least one end node (type '${END_NODE}')`);

  // --- every node reachable from the start ---
  if (starts.length) {
    const reached = reach(starts, succ, () => true);
    for (const i of members) {
      if (!reached.has(i)) add(`/nodes/${i}`, '从开始节点无法到达此节点', 'cannot be reached from the start');
    }
  }

  // --- from every node, some end is reachable (unknown types count as possible ends) ---
  if (ends.length) {
    const seeds = members.filter((i) => facts[i]!.terminal || !facts[i]!.known);
    const canEnd = reach(seeds, pred, () => true);
    for (const i of members) {
      if (!canEnd.has(i) && !stuck.has(i)) add(`/nodes/${i}`, '从此节点出发无法到达任何结束节点', 'no path from here reaches an end node');
    }
  }

  // --- loops must wait: a cycle among non-waiting nodes would spin ---
  const spins = (i: number) => member(i) && !facts[i]!.waits;
  const inComponent = new Set<number>();
  for (const r of members) {
    if (!spins(r) || inComponent.has(r)) continue;
    const forward = reach([r], succ, spins);
    const backward = reach([r], pred, spins);
    const component = new Set([...forward].filter((x) => backward.has(x)));
    for (const x of component) inComponent.add(x);
    if (component.size === 1 && !succ[r]!.includes(r)) continue;
    const cycle = cycleThrough(r, succ, component).map(idOf);
    const chain = (cycle.length > 12 ? [...cycle.slice(0, 11), '…', cycle[cycle.length - 1]!] : cycle).join(' → ');
    add(
      `/nodes/${r}`,
      `循环 ${chain} 中没有等待节点（如审批或等待），会无休止地运行`,
      `the loop ${chain} has no waiting node (such as an approval or a wait) and would run forever`,
    );
  }
  return out;
}

/** Nodes reachable from `from` (included) along `adj`, through nodes `ok` allows. */
function reach(from: number[], adj: number[][], ok: (i: number) => boolean): Set<number> {
  const seen = new Set<number>(from);
  const queue = [...from];
  while (queue.length) {
    const i = queue.pop()!;
    for (const j of adj[i]!) {
      if (!seen.has(j) && ok(j)) {
        seen.add(j);
        queue.push(j);
      }
    }
  }
  return seen;
}

/** A shortest cycle r → … → r inside `component` (a strongly connected set holding r). */
function cycleThrough(r: number, succ: number[][], component: Set<number>): number[] {
  const parent = new Map<number, number>();
  const queue = [r];
  for (let k = 0; k < queue.length; k++) {
    const u = queue[k]!;
    for (const v of succ[u]!) {
      if (v === r) {
        const path = [u];
        while (path[0] !== r) path.unshift(parent.get(path[0]!)!);
        return [...path, r];
      }
      if (component.has(v) && !parent.has(v)) {
        parent.set(v, u);
        queue.push(v);
      }
    }
  }
  return [r, r];
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Validate a workflow document: structure (forbidden keys, depth, size), the metaschema, then
 * the registry and graph checks. Throws `validationError(fields)` whose `fields` map JSON
 * Pointers ('/nodes/3', '/edges/5/branch', '/nodes/2/config/approver') to bilingual messages
 * that name the node or edge; returns the document, typed, when it is sound.
 */
export function validateWorkflowDef(doc: unknown, registry: WorkflowTypeRegistry = defaultWorkflowRegistry): WorkflowDef {
  const structural = structuralErrors(doc);
  if (Object.keys(structural).length) throw validationError(named(structural, doc));
  const { validate } = workflowDefValidator();
  if (!validate(doc)) throw validationError(named(schemaErrors(validate.errors, doc), doc));
  const semantic = semanticErrors(doc as WorkflowDef, registry);
  if (Object.keys(semantic).length) throw validationError(named(semantic, doc));
  return doc as WorkflowDef;
}
