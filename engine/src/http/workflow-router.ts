/**
 * Workflows over HTTP (API.md): the task inbox and task completion, a record's workflow
 * timeline and its buttons, notifications, and the automations' run history with retry.
 */
import crypto from 'node:crypto';
import { langOf } from './errors.js';
import { labelText } from '../meta/types.js';
import { Router } from 'express';
import type { Engine } from '../app.js';
import { actorOf, requireAdmin } from './authn.js';
import { bodyObject, intParam, optionalString } from './params.js';
import { AppError, msg, notFound } from '../errors.js';
import { KEY_RE } from '../meta/types.js';
import { nowIso } from '../store/system.js';
import { SYSTEM_ACTOR } from '../auth/actor.js';
import { applyRule, truthy } from '../rules/operations.js';

export function tasksRouter(engine: Engine): Router {
  const { runtime } = engine.workflow;
  const r = Router();
  r.get('/', async (req, res) => {
    const status = optionalString(req.query.status, 'status', 10) ?? 'open';
    if (!['open', 'done', 'cc'].includes(status)) throw new AppError('bad_request', msg('status 须为 open、done 或 cc', 'status must be open, done or cc'));
    res.json({ items: await runtime.inbox(actorOf(req), status as 'open' | 'done' | 'cc') });
  });
  r.post('/:id/complete', async (req, res) => {
    const out = await runtime.completeTask(actorOf(req), intParam(req.params.id, 'id'), bodyObject(req.body));
    engine.workflow.dispatcher.dispatchOnce().catch(() => undefined);
    res.json(out);
  });
  return r;
}

/** Mounted under /api/records, after the records router. */
export function recordWorkflowRouter(engine: Engine): Router {
  const { runtime } = engine.workflow;
  const r = Router();
  r.get('/:form/:id/workflow', async (req, res) => {
    const form = String(req.params.form);
    const id = intParam(req.params.id, 'id');
    await engine.records.get(actorOf(req), form, id); // the caller must be able to read the record
    res.json({ instances: await runtime.recordTimeline(form, id) });
  });
  /** The record's buttons: manual workflows on its form whose condition holds on it now. */
  r.get('/:form/:id/actions', async (req, res) => {
    const form = String(req.params.form);
    const id = intParam(req.params.id, 'id');
    await engine.records.get(actorOf(req), form, id); // the caller must be able to read the record
    await runtime.workflows.fresh();
    const record = await engine.records.get(SYSTEM_ACTOR, form, id);
    const lang = langOf(req);
    const items = new Map<string, { action: string; label: string; workflows: string[] }>();
    for (const w of runtime.published()) {
      const tr = w.def.trigger;
      if (w.def.enabled === false || tr.type !== 'button' || tr.form !== form) continue;
      if (tr.condition != null && !truthy(applyRule(tr.condition, record))) continue;
      const action = String(tr.config?.action);
      const label = labelText((tr.config?.label ?? w.def.label) as never, lang) || action;
      const item = items.get(action) ?? { action, label, workflows: [] };
      item.workflows.push(w.def.key);
      items.set(action, item);
    }
    res.json({ items: [...items.values()] });
  });

  r.post('/:form/:id/actions/:action', async (req, res) => {
    const form = String(req.params.form);
    const action = String(req.params.action);
    if (!KEY_RE.test(action)) throw notFound('没有这个操作', `No action '${action.slice(0, 60)}'`);
    const id = intParam(req.params.id, 'id');
    const actor = actorOf(req);
    await engine.records.get(actor, form, id);
    await runtime.workflows.fresh();
    const buttons = runtime.published().filter((w) => w.def.enabled !== false && w.def.trigger.type === 'button' && w.def.trigger.form === form && w.def.trigger.config?.action === action);
    if (!buttons.length) throw notFound('没有这个操作', `No action '${action}' on '${form}'`);
    // A button shows only while its condition holds on the record; the server checks it again.
    const record = await engine.records.get(SYSTEM_ACTOR, form, id);
    const matches = buttons.filter((w) => w.def.trigger.condition == null || truthy(applyRule(w.def.trigger.condition, record)));
    if (!matches.length) throw new AppError('conflict', msg('当前状态下不能执行此操作', `Action '${action}' is not available in the record's current state`));
    const body = req.body == null ? {} : bodyObject(req.body);
    const started = await engine.db.knex.transaction(async (trx) => {
      const ids: number[] = [];
      for (const wf of matches) {
        const key = `${wf.def.key}:button:${form}:${id}:${crypto.randomUUID()}`;
        const n = await runtime.start(trx, wf, { form, recordId: id }, { key, by: actor.userId, context: { action, input: body, at: nowIso() } });
        if (n != null) ids.push(n);
      }
      return ids;
    });
    const instances = [];
    for (const i of started) instances.push(await runtime.instanceView(engine.db.knex, i));
    res.status(201).json({ instances });
  });
  return r;
}

/** /api/workflow-instances/:id/withdraw: the submitter takes an untouched request back. */
export function instancesRouter(engine: Engine): Router {
  const r = Router();
  r.post('/:id/withdraw', async (req, res) => {
    res.json(await engine.workflow.runtime.withdraw(actorOf(req), intParam(req.params.id, 'id')));
  });
  return r;
}

export function notificationsRouter(engine: Engine): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const actor = actorOf(req);
    const q = engine.db.knex('fw_notifications').where({ user_id: actor.userId }).orderBy('id', 'desc').limit(200);
    if (req.query.unread === '1' || req.query.unread === 'true') q.whereNull('read_at');
    const rows = await q;
    const unread = await engine.db.knex('fw_notifications').where({ user_id: actor.userId }).whereNull('read_at').count({ n: '*' }).first();
    res.json({
      items: rows.map((n: any) => ({ id: Number(n.id), title: n.title, body: n.body ?? '', at: n.at, read: n.read_at != null, link: n.link ?? null })),
      unread: Number((unread as any)?.n ?? 0),
    });
  });
  r.post('/:id/read', async (req, res) => {
    const n = await engine.db.knex('fw_notifications').where({ id: intParam(req.params.id, 'id'), user_id: actorOf(req).userId }).update({ read_at: nowIso() });
    if (!n) throw notFound('通知不存在', 'No such notification');
    res.status(204).end();
  });
  r.post('/read-all', async (req, res) => {
    await engine.db.knex('fw_notifications').where({ user_id: actorOf(req).userId }).whereNull('read_at').update({ read_at: nowIso() });
    res.status(204).end();
  });
  return r;
}

export function runsRouter(engine: Engine): Router {
  const { runtime } = engine.workflow;
  const r = Router();
  r.use(requireAdmin);
  r.get('/', async (req, res) => {
    res.json({ items: await runtime.runs({ workflow: optionalString(req.query.workflow, 'workflow', 48), status: optionalString(req.query.status, 'status', 16) }) });
  });
  r.post('/:id/retry', async (req, res) => {
    const id = await runtime.retryRun(intParam(req.params.id, 'id'), actorOf(req).userId);
    res.status(201).json(await runtime.instanceView(engine.db.knex, id));
  });
  return r;
}
