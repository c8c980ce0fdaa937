/**
 * The workflow designer's document helpers: the catalogue the server answers (node and trigger
 * types), new nodes with what their settings need, each node's branches (the handles an edge may
 * leave by), connecting, renaming and removing. Pure functions (no React).
 */
import type { EdgeDef, NodeDef, TriggerDef, WorkflowDef } from '../../../engine/src/workflow/types';
import type { Label } from '../../../engine/src/meta/types';

export type { EdgeDef, NodeDef, TriggerDef, WorkflowDef, Label };

export type Msg = { 'zh-CN': string; en: string };
export type NodeGroup = 'flow' | 'human' | 'data' | 'message' | 'time';
export const GROUPS: NodeGroup[] = ['flow', 'human', 'data', 'message', 'time'];

/** GET /api/meta/workflows/node-types */
export interface NodeTypeFacts {
  type: string;
  label: Msg;
  group: NodeGroup;
  configSchema: Record<string, unknown>;
  inputs: 'none' | 'one' | 'many';
  outputs: 'none' | 'one' | 'many';
  /** With empty settings (a condition's depend on its settings: see branchesOf). */
  branches: string[];
  waits: boolean;
}

/** GET /api/meta/workflows/trigger-types */
export interface TriggerTypeFacts { type: string; label: Msg; configSchema: Record<string, unknown>; needsForm: boolean }

/** POST /api/meta/workflows/:key/check */
export interface CheckResult {
  ok: boolean;
  fields: Record<string, string[]>;
  /** node id → problems */
  errors: Record<string, string[]>;
  /** edge id → problems */
  edges: Record<string, string[]>;
  workflow: string[];
  branches: Record<string, string[]>;
}

export interface DryRunStep { node: string; type: string; label?: Label; branch?: string; edge?: string; note: string }
/** POST /api/meta/workflows/:key/dry-run */
export interface DryRunResult {
  workflow: string; form: string; record: number; triggered: boolean; trigger: string;
  outcome: 'completed' | 'rejected' | 'cancelled' | 'loop' | 'stuck';
  changes: Record<string, unknown>;
  path: DryRunStep[];
}

export interface PlacedErrors { byNode: Record<string, string[]>; byEdge: Record<string, string[]>; workflow: string[] }
export const NO_ERRORS: PlacedErrors = { byNode: {}, byEdge: {}, workflow: [] };

export interface ConditionBranch { key: string; label?: Label; when: unknown }

/** A fresh id `base_1`, `base_2`, … not used by any node. */
export function newNodeId(type: string, doc: WorkflowDef): string {
  const taken = new Set(doc.nodes.map((n) => n.id));
  const base = type.replace(/[^a-z0-9_]/g, '_').slice(0, 40) || 'node';
  for (let i = 1; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

export function newEdgeId(doc: WorkflowDef): string {
  const taken = new Set(doc.edges.map((e) => e.id));
  for (let i = doc.edges.length + 1; ; i++) if (!taken.has(`e_${i}`)) return `e_${i}`;
}

/** Settings a new node of a type starts with: what its schema requires, filled plausibly. */
export function defaultConfig(type: string): Record<string, unknown> | undefined {
  switch (type) {
    case 'start': case 'parallel': case 'join': return undefined;
    case 'end': return undefined;
    case 'condition': return { branches: [{ key: 'branch_1', label: { 'zh-CN': '分支1', en: 'Branch 1' }, when: null }] };
    case 'approval': return { assignees: [{ type: 'manager' }], mode: 'any' };
    case 'notify': return { to: [{ type: 'owner' }], title: { 'zh-CN': '通知', en: 'Notice' } };
    case 'cc': return { to: [{ type: 'owner' }] };
    case 'set_fields': return { values: {} };
    case 'wait': return { days: 1 };
    case 'webhook': return { url: 'https://example.com/hook' };
    default: return {};
  }
}

/** The branches an edge may leave a node by: a condition's branch keys and 'else'; else its type's. */
export function branchesOf(node: NodeDef, info: NodeTypeFacts | undefined, fromServer?: string[]): string[] {
  if (node.type === 'condition') {
    const list = (node.config?.branches as ConditionBranch[] | undefined) ?? [];
    return [...new Set([...list.map((b) => b.key).filter(Boolean), 'else'])];
  }
  return fromServer ?? info?.branches ?? [];
}

/**
 * Connect `source` (by `branch`, or its only way out) to `target`. A branch, or a node with one
 * way out, keeps one edge: connecting it again moves that edge.
 */
export function connect(doc: WorkflowDef, source: string, target: string, branch: string | undefined, info: NodeTypeFacts | undefined): WorkflowDef {
  if (source === target) return doc;
  const single = branch !== undefined || (info?.outputs ?? 'one') === 'one';
  const keep = doc.edges.filter((e) => !(single && e.source === source && (e.branch ?? undefined) === branch));
  if (keep.some((e) => e.source === source && e.target === target && (e.branch ?? undefined) === branch)) return doc;
  const edge: EdgeDef = { id: newEdgeId(doc), source, target, ...(branch !== undefined ? { branch } : {}) };
  return { ...doc, edges: [...keep, edge] };
}

/** Remove nodes and edges (a node's edges go with it). */
export function removeItems(doc: WorkflowDef, nodeIds: Set<string>, edgeIds: Set<string>): WorkflowDef {
  if (!nodeIds.size && !edgeIds.size) return doc;
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !nodeIds.has(n.id)),
    edges: doc.edges.filter((e) => !edgeIds.has(e.id) && !nodeIds.has(e.source) && !nodeIds.has(e.target)),
  };
}

/** Give a node a new id; its edges follow. */
export function renameNode(doc: WorkflowDef, from: string, to: string): WorkflowDef {
  if (from === to || doc.nodes.some((n) => n.id === to)) return doc;
  return {
    ...doc,
    nodes: doc.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
    edges: doc.edges.map((e) => ({ ...e, source: e.source === from ? to : e.source, target: e.target === from ? to : e.target })),
  };
}

export function updateNode(doc: WorkflowDef, id: string, update: (n: NodeDef) => NodeDef): WorkflowDef {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? update(n) : n)) };
}

export function updateEdge(doc: WorkflowDef, id: string, update: (e: EdgeDef) => EdgeDef): WorkflowDef {
  return { ...doc, edges: doc.edges.map((e) => (e.id === id ? update(e) : e)) };
}

/** The branch's display name: a condition branch's label, else the branch key. */
export function branchLabel(node: NodeDef | undefined, branch: string, text: (l: unknown, fb: string) => string, elseText: string): string {
  if (branch === 'else') return elseText;
  if (node?.type === 'condition') {
    const b = ((node.config?.branches as ConditionBranch[] | undefined) ?? []).find((x) => x.key === branch);
    if (b) return text(b.label, b.key);
  }
  return branch;
}

/**
 * Where a node added by a click goes: at `near` (the middle of the visible canvas) moved down
 * until no node sits there; without it, below the lowest node.
 */
export function freeSpot(doc: WorkflowDef, near: { x: number; y: number } | null): { x: number; y: number } {
  if (!near) {
    if (!doc.nodes.length) return { x: 0, y: 0 };
    const lowest = Math.max(...doc.nodes.map((n) => n.position?.y ?? 0));
    return { x: 0, y: lowest + 120 };
  }
  const at = { x: Math.round(near.x - 90), y: Math.round(near.y - 30) };
  const placed = drawnPositions(doc);
  const drawn = doc.nodes.map((n) => placed.get(n.id)!);
  const busy = (p: { x: number; y: number }) => drawn.some((q) => Math.abs(q.x - p.x) < 190 && Math.abs(q.y - p.y) < 100);
  for (let i = 0; i < 40 && busy(at); i++) at.y += 40;
  return at;
}

/**
 * Where the canvas draws each node: its kept position, else (documents written by hand or by a
 * pack without positions) in layers by distance from the start, side by side within a layer.
 */
export function drawnPositions(doc: WorkflowDef): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  const missing = doc.nodes.filter((n) => !n.position);
  for (const n of doc.nodes) if (n.position) out.set(n.id, n.position);
  if (!missing.length) return out;
  const depth = new Map<string, number>();
  const start = doc.nodes.find((n) => n.type === 'start');
  const queue = start ? [start.id] : [];
  if (start) depth.set(start.id, 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of doc.edges) {
      if (e.source === id && !depth.has(e.target)) {
        depth.set(e.target, depth.get(id)! + 1);
        queue.push(e.target);
      }
    }
  }
  const maxDepth = Math.max(0, ...depth.values());
  const layers = new Map<number, string[]>();
  for (const n of missing) {
    const d = depth.get(n.id) ?? maxDepth + 1;
    layers.set(d, [...(layers.get(d) ?? []), n.id]);
  }
  for (const [d, ids] of layers) ids.forEach((id, i) => out.set(id, { x: (i - (ids.length - 1) / 2) * 230, y: d * 130 }));
  return out;
}
