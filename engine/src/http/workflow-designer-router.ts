/**
 * What the workflow designer needs beyond /api/meta/workflows (mounted at /api/meta/workflows,
 * before the meta router, whose `/:kind/:key` would otherwise take `node-types`):
 *
 *   GET  /node-types       the registered node types: label, palette group, settings schema, ways in and out
 *   GET  /trigger-types    the registered trigger types and their settings schemas
 *   POST /:key/check       a document → its graph problems by node and edge, and each node's branches
 *   POST /:key/dry-run     the path the workflow would take for one record, with no side effects
 *
 * The same permission as changing workflow metadata (administrators and roles with
 * manageMetadata); the dry run reads the record as the caller may read it.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Engine } from '../app.js';
import { AppError, forbidden, msg, notFound, type Msg } from '../errors.js';
import { KEY_RE } from '../meta/types.js';
import { defaultWorkflowRegistry, validateWorkflowDef, type WorkflowNodeTypeInfo } from '../meta/workflow-schema.js';
import { dryRunWorkflow, type DryRunDecision } from '../workflow/dry-run.js';
import type { NodeDef, WorkflowDef } from '../workflow/types.js';
import { actorOf } from './authn.js';
import { langOf } from './errors.js';
import { bodyObject, intParam } from './params.js';

/** A type's facts for the palette; branches as an empty node of the type has them. */
function nodeTypeFacts(info: WorkflowNodeTypeInfo) {
  const sample: NodeDef = { id: 'sample', type: info.type, config: {} };
  let branches: string[] = [];
  try {
    branches = info.branches(sample);
  } catch {
    branches = [];
  }
  let waits = false;
  try {
    waits = typeof info.waits === 'function' ? info.waits(sample) : info.waits === true;
  } catch {
    waits = false;
  }
  return {
    type: info.type,
    label: info.label,
    group: info.group,
    configSchema: info.configSchema,
    inputs: info.type === 'start' ? 'none' : info.inputs ?? 'many',
    outputs: info.outputs ?? 'one',
    branches,
    waits,
  };
}

/**
 * The problems of a workflow document, by JSON Pointer (as a 422 from PUT has them) and placed:
 * on the node a pointer names ('/nodes/3/…'), on the edge ('/edges/5/…') and on the node at the
 * edge's end that exists (its target for '/target', else its source), or on the workflow.
 */
export function placeWorkflowErrors(doc: unknown, fields: Record<string, string[]>) {
  const d = (doc ?? {}) as { nodes?: unknown; edges?: unknown };
  const nodes = Array.isArray(d.nodes) ? (d.nodes as Array<Partial<NodeDef>>) : [];
  const edges = Array.isArray(d.edges) ? (d.edges as Array<{ id?: unknown; source?: unknown; target?: unknown }>) : [];
  const ids = new Set(nodes.map((n) => n?.id).filter((x): x is string => typeof x === 'string'));
  const out = { errors: {} as Record<string, string[]>, edges: {} as Record<string, string[]>, workflow: [] as string[] };
  const push = (m: Record<string, string[]>, k: string, list: string[]) => {
    m[k] = [...(m[k] ?? []), ...list.filter((x) => !(m[k] ?? []).includes(x))];
  };
  for (const [path, list] of Object.entries(fields)) {
    const n = /^\/nodes\/(\d+)(?:\/|$)/.exec(path);
    const e = /^\/edges\/(\d+)(\/[a-z]+)?/.exec(path);
    if (n) {
      const id = nodes[Number(n[1])]?.id;
      if (typeof id === 'string') push(out.errors, id, list);
      else out.workflow.push(...list);
    } else if (e) {
      const edge = edges[Number(e[1])];
      if (typeof edge?.id === 'string') push(out.edges, edge.id, list);
      const ends = e[2] === '/target' ? [edge?.target, edge?.source] : [edge?.source, edge?.target];
      const at = ends.find((x): x is string => typeof x === 'string' && ids.has(x));
      if (at) push(out.errors, at, list);
      else if (typeof edge?.id !== 'string') out.workflow.push(...list);
    } else {
      out.workflow.push(...list);
    }
  }
  return out;
}

const localized = (fields: Record<string, Msg[]>, lang: 'zh-CN' | 'en'): Record<string, string[]> =>
  Object.fromEntries(Object.entries(fields).map(([k, list]) => [k, list.map((m) => m[lang] ?? m.en)]));

export function workflowDesignerRouter(engine: Engine): Router {
  const { docs, policy, records } = engine;
  const registry = defaultWorkflowRegistry;
  const r = Router();

  const requireManager = (req: Request, _res: Response, next: NextFunction) => {
    if (!policy.canManageMetadata(actorOf(req))) return next(forbidden('没有管理元数据的权限', 'You may not change metadata'));
    next();
  };
  const keyOf = (req: Request): string => {
    const key = String(req.params.key);
    if (!KEY_RE.test(key)) throw notFound('流程不存在', `No workflow '${key.slice(0, 60)}'`);
    return key;
  };

  r.get('/node-types', requireManager, (_req, res) => {
    res.json(registry.nodeTypes().map(nodeTypeFacts));
  });

  r.get('/trigger-types', requireManager, (_req, res) => {
    res.json(registry.triggerTypes().map((t) => ({ type: t.type, label: t.label ?? msg(t.type, t.type), configSchema: t.configSchema, needsForm: t.needsForm === true })));
  });

  r.post('/:key/check', requireManager, (req, res) => {
    keyOf(req);
    const doc = bodyObject(req.body);
    let fields: Record<string, string[]> = {};
    try {
      validateWorkflowDef(doc, registry);
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'validation') throw e;
      fields = localized(e.fields ?? {}, langOf(req));
    }
    const branches: Record<string, string[]> = {};
    for (const node of Array.isArray(doc.nodes) ? (doc.nodes as NodeDef[]) : []) {
      if (!node || typeof node !== 'object' || typeof node.id !== 'string') continue;
      try {
        branches[node.id] = registry.node(String(node.type))?.branches(node) ?? [];
      } catch {
        branches[node.id] = [];
      }
    }
    res.json({ ok: Object.keys(fields).length === 0, fields, ...placeWorkflowErrors(doc, fields), branches });
  });

  r.post('/:key/dry-run', requireManager, async (req, res) => {
    const key = keyOf(req);
    const body = bodyObject(req.body);
    const recordId = intParam(body.record, 'record');
    if (body.draft !== undefined && typeof body.draft !== 'boolean') throw new AppError('bad_request', msg('draft 必须是布尔值', 'draft must be true or false'));
    const decisions: Record<string, DryRunDecision> = {};
    if (body.decisions !== undefined) {
      if (!body.decisions || typeof body.decisions !== 'object' || Array.isArray(body.decisions)) {
        throw new AppError('bad_request', msg('decisions 必须是对象', 'decisions must be an object'));
      }
      for (const [node, d] of Object.entries(body.decisions as Record<string, unknown>)) {
        if (d !== 'approve' && d !== 'reject') {
          throw new AppError('validation', msg('审批决定不合法', 'Invalid approval decision'), { fields: { [`/decisions/${node}`]: [msg("须为 'approve' 或 'reject'", "must be 'approve' or 'reject'")] } });
        }
        decisions[node] = d;
      }
    }
    // The document: one sent along (the canvas as it is), else the draft or the published one.
    const def: WorkflowDef = body.document !== undefined
      ? validateWorkflowDef(body.document, registry)
      : await docs.get('workflows', key, { draft: body.draft === true });
    const form = def.trigger.form;
    if (!form) throw new AppError('bad_request', msg('此流程的触发器没有表单，无法按记录试运行', "This workflow's trigger has no form: there is no record to dry-run it on"));
    const actor = actorOf(req);
    const record = await records.get(actor, form, recordId);
    const result = dryRunWorkflow(def, record as Record<string, unknown>, { decisions, startedBy: actor.userId ?? null, registry });
    const lang = langOf(req);
    res.json({
      workflow: key, form, record: recordId, triggered: result.triggered, trigger: result.trigger[lang],
      outcome: result.outcome, changes: result.changes,
      path: result.path.map((s) => ({ ...s, note: s.note[lang] })),
    });
  });

  // Anything else under /api/meta/workflows falls through to the meta router.
  return r;
}
